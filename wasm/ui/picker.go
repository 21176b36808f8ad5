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

	query    string
	searched string // the query results belong to
	results  []shared.User
	next     string
	busy     bool
	err      string
	seq      int
}

func (p *userPicker) init(env *Env, id string, exclude func(int64) bool, pick func(app.Context, shared.User), changed func()) {
	p.env, p.id, p.exclude, p.pick, p.changed = env, id, exclude, pick, changed
}

func (p *userPicker) onInput(ctx app.Context, e app.Event) {
	p.query = inputValue(ctx)
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

// onKey picks the first result on Enter instead of submitting the form.
func (p *userPicker) onKey(ctx app.Context, e app.Event) {
	if e.Get("key").String() != "Enter" {
		return
	}
	e.PreventDefault()
	for _, u := range p.results {
		if !p.excluded(u.ID) {
			p.choose(ctx, u)
			return
		}
	}
}

func (p *userPicker) choose(ctx app.Context, u shared.User) {
	p.pick(ctx, u)
	focusID(ctx, p.id)
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
	items := make([]app.UI, 0, len(list))
	for _, u := range list {
		if p.excluded(u.ID) {
			continue
		}
		u := u
		items = append(items, app.Li().Body(
			app.Button().Type("button").Class("user-result").DataSet("id", u.ID).
				OnClick(func(ctx app.Context, e app.Event) { p.choose(ctx, u) }, app.EventScope(u.ID)).
				Body(
					avatar(u.Nickname, u.Nickname, "avatar-sm"),
					app.Span().Class("user-name").Text(u.Nickname),
					app.Span().Class("user-add").Body(icon("plus"), app.Span().Class("visually-hidden").Text("Add")),
				),
		))
	}
	if q == "" && len(items) > 8 {
		items = items[:8]
	}
	describedBy := p.id + "-status " + p.id + "-error"
	return app.Div().Class("picker").Body(
		app.Div().Class("search-box").Body(
			icon("search"),
			app.Input().ID(p.id).Type("search").Class("input", "input-search").
				Value(p.query).Placeholder("Search by nickname").
				Attr("autocomplete", "off").Attr("spellcheck", "false").Attr("autocapitalize", "off").
				Aria("controls", p.id+"-results").Aria("describedby", describedBy).
				Aria("invalid", boolAttr(errMsg != "")).
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
