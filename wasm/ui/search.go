package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// messageSearchDelay is how long typing must pause before a search goes out: the
// box searches as one types, but not on every keystroke.
const messageSearchDelay = 250 * time.Millisecond

// SearchPanel is a search box and its results: in the sidebar over every
// conversation, in a conversation's header over that one (Scope). Results
// come from the server, or from this device's cache when offline (and then
// say so); they are grouped by conversation, in the order of each one's
// best hit, and the next page loads as one scrolls to the end. A result
// opens the conversation at that message.
type SearchPanel struct {
	app.Compo
	Env *Env
	// Scope is a conversation id to search in, "" for all of them.
	Scope string
	// Convs names the conversations the results are in.
	Convs []client.ConvView
	MeID  int64
	// OnClose, when set, is called by Esc and the close button (the
	// conversation header's panel).
	OnClose func(ctx app.Context)

	query   string
	gen     int // bumped by every new query: answers for an older one are dropped
	hits    []shared.SearchHit
	next    string
	local   bool
	recent  bool // the server ranked recent matches only (shared.SearchResults.Recent)
	loading bool
	done    bool // the current query has an answer
	err     string
	keys    searchKeys // the sidebar's panel owns the shortcuts
}

// inputID is the id of the panel's box: one in the sidebar, one in a
// conversation's header.
func (p *SearchPanel) inputID() string {
	if p.Scope != "" {
		return "conv-search-input"
	}
	return "search-input"
}

// OnMount focuses the conversation's box, which appears when asked for;
// the sidebar's starts listening for the shortcuts.
func (p *SearchPanel) OnMount(ctx app.Context) {
	if p.Scope != "" {
		focusID(ctx, p.inputID())
		return
	}
	p.keys.attach()
}

// OnDismount stops listening for the shortcuts.
func (p *SearchPanel) OnDismount() { p.keys.release() }

func (p *SearchPanel) onInput(ctx app.Context, e app.Event) {
	p.query = ctx.JSSrc().Get("value").String()
	p.gen++
	gen := p.gen
	p.hits, p.next, p.err, p.done, p.local, p.recent = nil, "", "", false, false, false
	if shared.SearchWords(p.query) == nil && !hasFilter(p.query) {
		p.loading = false
		return
	}
	p.loading = true
	ctx.After(messageSearchDelay, func(ctx app.Context) {
		if gen == p.gen {
			p.load(ctx, gen, "")
		}
	})
}

// hasFilter reports whether a query holds a filter (from:, has:...), which
// is worth searching without words.
func hasFilter(q string) bool {
	parsed, fe := shared.ParseSearch(q)
	return fe == nil && len(parsed.Words) == 0
}

func (p *SearchPanel) onKey(ctx app.Context, e app.Event) {
	if e.Get("key").String() == "Escape" {
		e.PreventDefault()
		if p.query == "" && p.OnClose != nil {
			p.OnClose(ctx)
			return
		}
		p.clear(ctx, e)
	}
}

func (p *SearchPanel) clear(ctx app.Context, e app.Event) {
	p.query, p.hits, p.next, p.err, p.done, p.loading = "", nil, "", "", false, false
	p.gen++
	if el := app.Window().GetElementByID(p.inputID()); el.Truthy() {
		el.Set("value", "")
		el.Call("focus")
	}
}

// load asks for a page: the server's, or this device's when offline.
func (p *SearchPanel) load(ctx app.Context, gen int, cursor string) {
	p.loading = true
	req := shared.SearchRequest{Query: p.query, ConversationID: p.Scope, Cursor: cursor}
	eng := p.Env.Engine
	local := p.local && cursor != "" // a local search pages locally
	ctx.Async(func() {
		var res shared.SearchResults
		err := client.ErrOffline
		if !local {
			c, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			res, err = eng.Search(c, req)
			cancel()
		}
		if errors.Is(err, client.ErrOffline) {
			res, err = eng.SearchLocal(req)
		}
		ctx.Dispatch(func(ctx app.Context) {
			if gen != p.gen {
				return
			}
			p.loading, p.done = false, true
			if err != nil {
				p.err = searchError(err)
				return
			}
			p.err = ""
			p.local = res.Local
			p.recent = res.Recent
			p.hits = append(p.hits, res.Hits...)
			p.next = res.Next
		})
	})
}

// searchError words a failed search for the person.
func searchError(err error) string {
	var se *shared.Error
	if errors.As(err, &se) {
		return se.Message
	}
	return "Search failed; try again in a moment."
}

// more loads the next page, once.
func (p *SearchPanel) more(ctx app.Context, e app.Event) {
	if p.next == "" || p.loading {
		return
	}
	p.load(ctx, p.gen, p.next)
}

// onScroll loads the next page when the end of the results comes near.
func (p *SearchPanel) onScroll(ctx app.Context, e app.Event) {
	el := ctx.JSSrc()
	if el.Get("scrollTop").Float()+el.Get("clientHeight").Float() >= el.Get("scrollHeight").Float()-200 {
		p.more(ctx, e)
	}
}

// Render draws the box, and under it the results once there is a query.
func (p *SearchPanel) Render() app.UI {
	label := "Search all conversations"
	placeholder := "Search messages  ( / )"
	if p.Scope != "" {
		label, placeholder = "Search this conversation", "Search this conversation"
	}
	return app.Div().Class("search", when(p.Scope != "", "search-scoped"), when(p.query != "", "is-active")).Role("search").Aria("label", label).Body(
		app.Div().Class("msearch-box").Body(
			icon("search"),
			app.Input().ID(p.inputID()).Class("search-input").Type("search").
				Placeholder(placeholder).Aria("label", label).AutoComplete(false).Spellcheck(false).
				Attr("enterkeyhint", "search").Value(p.query).
				OnInput(p.onInput).OnKeyDown(p.onKey),
			app.If(p.query != "" || p.OnClose != nil, func() app.UI {
				return app.Button().Type("button").Class("icon-btn", "search-clear").Aria("label", "Close search").
					OnClick(func(ctx app.Context, e app.Event) {
						if p.query == "" && p.OnClose != nil {
							p.OnClose(ctx)
							return
						}
						p.clear(ctx, e)
					}).Body(icon("x"))
			}),
		),
		app.If(p.query != "", p.results),
	)
}

// results is the list under the box.
func (p *SearchPanel) results() app.UI {
	id := "search-results"
	if p.Scope != "" {
		id = "conv-search-results"
	}
	titles := map[string]string{}
	for _, c := range p.Convs {
		titles[c.ID] = Title(c.Conversation, p.MeID)
	}
	var body []app.UI
	if p.local && p.done {
		body = append(body, app.P().Class("search-note").Role("note").Body(
			icon("alert"), app.Text("Offline: these results come from this device only.")))
	}
	if p.recent && p.done && !p.local {
		body = append(body, app.P().Class("search-note search-recent").Role("note").Body(
			icon("clock"), app.Text("A very common word: these are the best of its most recent matches. Add a word or a filter to find older ones.")))
	}
	if p.err != "" {
		body = append(body, app.P().Class("search-error").Role("alert").Text(p.err))
	}
	now := time.Now()
	for _, g := range groupHits(p.hits) {
		title := titles[g.convID]
		if title == "" {
			title = "Conversation"
		}
		items := make([]app.UI, len(g.hits))
		for i, h := range g.hits {
			items[i] = searchHit(h, p.MeID, now)
		}
		body = append(body, app.Section().Class("search-group").DataSet("conv", g.convID).Body(
			app.If(p.Scope == "", func() app.UI {
				return app.H3().Class("search-group-title").Text(title)
			}),
			app.Ul().Class("search-hits").Body(items...),
		))
	}
	switch {
	case p.loading:
		body = append(body, app.P().Class("search-status muted").Role("status").Text("Searching…"))
	case p.done && len(p.hits) == 0 && p.err == "":
		body = append(body, app.P().Class("search-status muted").Role("status").Text("No messages match."))
	case p.next != "":
		body = append(body, app.Button().ID(id+"-more").Type("button").Class("btn", "btn-secondary", "btn-small", "btn-block").
			OnClick(p.more).Text("More results"))
	}
	return app.Div().ID(id).Class("search-results").Aria("label", "Search results").
		Aria("busy", boolAttr(p.loading)).OnScroll(p.onScroll).Body(body...)
}

// searchHit is one result: who, when, and the snippet with the matching
// words marked. The parts are text nodes and <mark> elements: nothing of a
// message is ever read as HTML.
func searchHit(h shared.SearchHit, meID int64, now time.Time) app.UI {
	who := h.Sender
	if h.SenderID == meID && meID != 0 {
		who = "You"
	}
	parts := make([]app.UI, len(h.Snippet))
	for i, s := range h.Snippet {
		if s.Hit {
			parts[i] = app.Mark().Text(s.Text)
		} else {
			parts[i] = app.Text(s.Text)
		}
	}
	return app.Li().Body(
		app.A().Class("search-hit").Href(messagePath(h.ConversationID, h.Seq)).
			DataSet("conv", h.ConversationID).DataSet("seq", h.Seq).Body(
			app.Div().Class("search-hit-meta").Body(
				app.Span().Class("search-hit-who").Text(who),
				app.Time().Class("search-hit-time").DateTime(h.CreatedAt.UTC().Format(time.RFC3339)).Text(listTime(h.CreatedAt, now)),
			),
			app.P().Class("search-snippet").Body(parts...),
		),
	)
}

// messagePath is the permalink of a message, which opens its conversation
// there (the route is the conversation page's).
func messagePath(convID string, seq int64) string {
	return fmt.Sprintf("%s%s/m/%d", shared.RouteConversation, convID, seq)
}

// hitGroup is the hits of one conversation.
type hitGroup struct {
	convID string
	hits   []shared.SearchHit
}

// groupHits groups hits by conversation, keeping the order of each
// conversation's first (best) hit and the order of hits within each: the
// server's ranking, by conversation.
func groupHits(hits []shared.SearchHit) []hitGroup {
	var out []hitGroup
	at := map[string]int{}
	for _, h := range hits {
		i, ok := at[h.ConversationID]
		if !ok {
			i = len(out)
			at[h.ConversationID] = i
			out = append(out, hitGroup{convID: h.ConversationID})
		}
		out[i].hits = append(out[i].hits, h)
	}
	return out
}
