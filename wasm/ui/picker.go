package ui

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// searchDelay lets a fast typist finish before the search goes out.
const searchDelay = 250 * time.Millisecond

// userPicker is a search-as-you-type list of people, paged with "More
// results". It lives inside a component (the new-conversation form, the
// manage panel) and uses that component's context. Without a network it
// falls back to people from the conversations already on this device.
type userPicker struct {
	env     *Env
	id      string                         // the search input's id; other ids derive from it
	exclude func(int64) bool               // people not to offer (oneself, chosen ones)
	pick    func(app.Context, shared.User) // called when someone is chosen
	changed func()                         // called when the query changes, to save drafts
	// back is called on Backspace in an empty box: it removes the last
	// chosen person, as in every chip input people know. Optional.
	back func(app.Context)

	query    string
	guard    keyGuard
	shown    []shared.User // the people offered in the last render, in order
	active   int           // the result the arrow keys point at; -1 for none
	searched string        // the query results belong to
	results  []shared.User
	next     string
	busy     bool
	err      string
	seq      int
}

func (p *userPicker) init(env *Env, id string, exclude func(int64) bool, pick func(app.Context, shared.User), changed func()) {
	p.env, p.id, p.exclude, p.pick, p.changed = env, id, exclude, pick, changed
	p.active = -1
}

// mount guards the box's keys (see keyGuard); call it from OnMount, and
// unmount from OnDismount.
func (p *userPicker) mount(ctx app.Context) { p.guard.attach(ctx, p.id, isPickerKey) }

// unmount releases what mount set up.
func (p *userPicker) unmount() { p.guard.release() }

func (p *userPicker) onInput(ctx app.Context, e app.Event) {
	p.query = inputValue(ctx)
	p.active = -1
	if p.changed != nil {
		p.changed()
	}
	p.seq++
	seq := p.seq
	ctx.After(searchDelay, func(ctx app.Context) {
		if seq == p.seq {
			p.search(ctx, false)
		}
	})
}

// onKey handles the keyboard the way people expect of a search box with
// suggestions: arrows move through the results, Enter picks the one pointed
// at (or the first match for what was typed) instead of submitting the
// form, and Backspace in an empty box takes back the last person chosen.
func (p *userPicker) onKey(ctx app.Context, e app.Event) {
	switch e.Get("key").String() {
	case "ArrowDown":
		e.PreventDefault()
		if len(p.shown) > 0 {
			p.active = min(p.active+1, len(p.shown)-1)
		}
	case "ArrowUp":
		e.PreventDefault()
		p.active = max(p.active-1, -1)
	case "Escape":
		p.active = -1
	case "Backspace":
		if inputValue(ctx) == "" && p.back != nil {
			p.back(ctx)
		}
	case "Enter":
		e.PreventDefault()
		if p.active >= 0 && p.active < len(p.shown) {
			p.choose(ctx, p.shown[p.active])
			return
		}
		if len(p.shown) > 0 && strings.TrimSpace(p.query) != "" {
			p.choose(ctx, p.shown[0]) // the best match for what was typed
		}
	default:
		ctx.PreventUpdate()
	}
}

// choose adds someone and readies the box for the next name: the query is
// cleared (otherwise the next name is typed after this one and finds
// nobody) and the focus stays in the box.
func (p *userPicker) choose(ctx app.Context, u shared.User) {
	p.pick(ctx, u)
	p.query, p.results, p.next, p.searched, p.err, p.busy, p.active = "", nil, "", "", "", false, -1
	p.seq++ // a search still in flight is for the old query
	if p.changed != nil {
		p.changed()
	}
	// At once, not deferred: the clicked result leaves the list in the
	// next render, and go-app skips work deferred from an element that is
	// gone. The box itself is the same element across renders.
	if el := app.Window().GetElementByID(p.id); el.Truthy() {
		el.Set("value", "")
		el.Call("focus")
	}
}

// search asks the server for the query's first page, or the next page.
func (p *userPicker) search(ctx app.Context, more bool) {
	q := strings.TrimSpace(p.query)
	if q == "" {
		p.results, p.next, p.err, p.searched, p.busy = nil, "", "", "", false
		return
	}
	after := ""
	if more {
		after = p.next
	}
	seq := p.seq
	p.busy = true
	api := p.env.API
	ctx.Async(func() {
		page, err := api.SearchUsers(ctx, q, after)
		ctx.Dispatch(func(ctx app.Context) {
			if seq != p.seq {
				return // the query changed meanwhile
			}
			p.busy = false
			if err != nil {
				p.results, p.next = nil, ""
				p.searched = q
				switch {
				case errors.Is(err, client.ErrUnreachable):
					p.err = "Search needs a connection. Showing people you already talk with."
				case unauthorized(err):
					p.err = "You are signed out. Sign in again to search."
					if p.env.SessionGone != nil {
						p.env.SessionGone(sessionEnded(err)) // wipes only what this device holds
					}
				default:
					p.err = "Search failed: " + fromError(err)[""]
				}
				return
			}
			p.err = ""
			if more {
				p.results = append(p.results, page.Users...)
			} else {
				p.results = page.Users
			}
			p.next, p.searched = page.Next, q
		})
	})
}

// known returns the people of the given conversations, by nickname, for
// suggestions and for searching without a network.
func known(convs []client.ConvView, meID int64) []shared.User {
	seen := map[int64]bool{meID: true}
	var out []shared.User
	for _, c := range convs {
		for _, m := range c.Members {
			if !seen[m.UserID] {
				seen[m.UserID] = true
				out = append(out, shared.User{ID: m.UserID, Nickname: m.Nickname})
			}
		}
	}
	slices.SortFunc(out, func(a, b shared.User) int {
		return strings.Compare(strings.ToLower(a.Nickname), strings.ToLower(b.Nickname))
	})
	return out
}

// render draws the search box, the results and the suggestions.
func (p *userPicker) render(convs []client.ConvView, meID int64, errMsg string) app.UI {
	q := strings.TrimSpace(p.query)
	var list []shared.User
	heading := ""
	status := ""
	switch {
	case q == "":
		list, heading = known(convs, meID), "People you talk with"
	case p.err != "":
		status = p.err
		for _, u := range known(convs, meID) {
			if strings.HasPrefix(strings.ToLower(u.Nickname), strings.ToLower(q)) {
				list = append(list, u)
			}
		}
	default:
		list = p.results
		if p.busy && p.searched != q {
			status = "Searching…"
		} else if p.searched == q && len(p.results) == 0 {
			status = "No one found for “" + q + "”."
		}
	}
	shown := make([]shared.User, 0, len(list))
	for _, u := range list {
		if !p.excluded(u.ID) {
			shown = append(shown, u)
		}
	}
	if q == "" && len(shown) > 8 {
		shown = shown[:8]
	}
	p.shown = shown
	if p.active >= len(shown) {
		p.active = len(shown) - 1
	}
	items := make([]app.UI, 0, len(shown))
	activeID := ""
	for i, u := range shown {
		u := u
		optID := p.id + "-opt-" + itoa(u.ID)
		if i == p.active {
			activeID = optID
		}
		items = append(items, app.Li().Body(
			app.Button().ID(optID).Type("button").Class("user-result", when(i == p.active, "is-active")).DataSet("id", u.ID).
				OnClick(func(ctx app.Context, e app.Event) { p.choose(ctx, u) }, app.EventScope(u.ID)).
				Body(
					avatar(u.Nickname, u.Nickname, "avatar-sm"),
					app.Span().Class("user-name").Text(u.Nickname),
					app.Span().Class("user-add").Body(icon("plus"), app.Span().Class("visually-hidden").Text("Add")),
				),
		))
	}
	describedBy := p.id + "-status " + p.id + "-error"
	return app.Div().Class("picker").Body(
		app.Div().Class("search-box").Body(
			icon("search"),
			app.Input().ID(p.id).Type("search").Class("input", "input-search").
				Value(p.query).Placeholder("Search by nickname").
				Attr("autocomplete", "off").Attr("spellcheck", "false").Attr("autocapitalize", "off").
				Aria("controls", p.id+"-results").Aria("describedby", describedBy).
				Aria("invalid", boolAttr(errMsg != "")).Aria("activedescendant", activeID).
				OnInput(p.onInput).OnKeyDown(p.onKey),
		),
		fieldError(p.id+"-error", errMsg),
		app.P().ID(p.id+"-status").Class("picker-status").Attr("aria-live", "polite").Text(status),
		app.If(heading != "" && len(items) > 0, func() app.UI {
			return app.H3().Class("picker-heading").Text(heading)
		}),
		app.Ul().ID(p.id+"-results").Class("user-results").Aria("label", "People").Body(items...),
		app.If(q != "" && p.err == "" && p.next != "" && p.searched == q, func() app.UI {
			return app.Button().ID(p.id+"-more").Type("button").Class("btn", "btn-secondary", "btn-small").
				Aria("busy", boolAttr(p.busy)).
				OnClick(func(ctx app.Context, e app.Event) { p.search(ctx, true) }).
				Text(when(!p.busy, "More results") + when(p.busy, "Loading…"))
		}),
	)
}

// excluded reports whether a person is not to be offered. go-app renders a
// component once before OnMount runs init, so exclude may still be nil.
func (p *userPicker) excluded(id int64) bool {
	return p.exclude != nil && p.exclude(id)
}
