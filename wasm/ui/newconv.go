package ui

import (
	"encoding/json"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// draftNew is the engine draft key of the new-conversation form.
const draftNew = client.DraftNew

// newDraft is the new-conversation form as saved between visits.
type newDraft struct {
	Members []shared.User `json:"members,omitempty"`
	Title   string        `json:"title,omitempty"`
	Query   string        `json:"query,omitempty"`
}

// NewConversation is the form that starts a conversation: pick people, name
// it if you like, create. It works offline: the conversation is queued and
// opens at once, marked as pending.
type NewConversation struct {
	app.Compo
	Env   *Env
	Me    shared.User
	Rev   int
	Convs []client.ConvView // people from these are suggested, even offline

	members []shared.User
	title   string
	picker  userPicker
	errs    formErrors
}

// OnMount restores the saved form. The draft exists only for a form that
// is still open: OnDismount drops it when the person leaves the form or
// creates the conversation, so what survives is a reload (or a crash) with
// the form on screen, never a stale choice on the next visit.
func (c *NewConversation) OnMount(ctx app.Context) {
	var d newDraft
	if raw := c.Env.Engine.Draft(draftNew); raw != "" && json.Unmarshal([]byte(raw), &d) == nil {
		c.members, c.title = d.Members, d.Title
		c.picker.query = d.Query
	}
	c.picker.init(c.Env, "member-search", c.exclude, c.add, c.saveDraft)
	c.picker.back = c.removeLast
	c.picker.mount(ctx)
	c.picker.search(ctx, false)
}

// OnDismount forgets the form: leaving it abandons this conversation.
// A reload never dismounts, so the draft is still there after one.
func (c *NewConversation) OnDismount() {
	c.picker.unmount()
	c.Env.Engine.SetDraft(draftNew, "")
}

// removeLast takes back the person chosen last (Backspace in an empty box).
func (c *NewConversation) removeLast(ctx app.Context) {
	if len(c.members) == 0 {
		return
	}
	c.members = c.members[:len(c.members)-1]
	c.saveDraft()
}

// clear empties the form for a different conversation.
func (c *NewConversation) clear(ctx app.Context, e app.Event) {
	c.members, c.title, c.errs = nil, "", nil
	c.picker.query, c.picker.results, c.picker.searched, c.picker.active = "", nil, "", -1
	c.Env.Engine.SetDraft(draftNew, "")
	clearInput("conversation-title")
	clearInput("member-search")
	focusNow("member-search") // the Clear button is about to go
}

func (c *NewConversation) saveDraft() {
	d := newDraft{Members: c.members, Title: c.title, Query: c.picker.query}
	if len(d.Members) == 0 && d.Title == "" && d.Query == "" {
		c.Env.Engine.SetDraft(draftNew, "")
		return
	}
	b, _ := json.Marshal(d)
	c.Env.Engine.SetDraft(draftNew, string(b))
}

// exclude reports the users not to offer: oneself and those already chosen.
func (c *NewConversation) exclude(id int64) bool {
	if id == c.Me.ID {
		return true
	}
	for _, m := range c.members {
		if m.ID == id {
			return true
		}
	}
	return false
}

func (c *NewConversation) add(ctx app.Context, u shared.User) {
	if c.exclude(u.ID) {
		return
	}
	c.members = append(c.members, u)
	delete(c.errs, "members")
	c.saveDraft()
}

func (c *NewConversation) remove(id int64) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		for i, m := range c.members {
			if m.ID == id {
				c.members = append(c.members[:i:i], c.members[i+1:]...)
				break
			}
		}
		c.saveDraft()
		focusNow("member-search") // the clicked chip is about to go
	}
}

// placeholderTitle is the title the server will derive when none is given.
func (c *NewConversation) placeholderTitle() string {
	if len(c.members) == 0 {
		return "Optional"
	}
	names := make([]string, 0, len(c.members)+1)
	for _, m := range c.members {
		names = append(names, m.Nickname)
	}
	if len(names) > 1 {
		names = append(names, c.Me.Nickname)
	}
	return strings.Join(names, ", ")
}

// Render draws the form.
func (c *NewConversation) Render() app.UI {
	chips := make([]app.UI, 0, len(c.members))
	for _, m := range c.members {
		chips = append(chips, app.Li().Class("chip").DataSet("id", m.ID).Body(
			avatar(m.Nickname, m.Nickname, "avatar-xs"),
			app.Span().Class("chip-name").Text(m.Nickname),
			app.Button().Type("button").Class("chip-remove").Aria("label", "Remove "+m.Nickname).
				OnClick(c.remove(m.ID), app.EventScope(m.ID)).Body(icon("x")),
		))
	}
	return app.Section().Class("page page-new").Aria("labelledby", "new-heading").Body(
		pageHead("new-heading", "New conversation", shared.RouteHome),
		app.Div().Class("page-body").Body(
			app.Form().ID("new-form").Class("form card").NoValidate(true).OnSubmit(c.submit).Body(
				formAlert("new-form-error", c.errs[""]),
				app.Div().Class("field").Body(
					app.Label().For("member-search").Class("field-label").Text("People"),
					// Always present, even empty: a list that appears before
					// the search box would make go-app replace the box under
					// the person's click and drop the focus.
					app.Ul().ID("chosen-members").Class("chips").Aria("label", "Chosen people").Body(chips...),
					c.picker.render(c.Convs, c.Me.ID, c.errs["members"]),
				),
				field(fieldSpec{ID: "conversation-title", Label: "Title (optional)", Type: "text", Value: c.title,
					Error: c.errs["title"], Placeholder: c.placeholderTitle(), AutoComplete: "off",
					Hint: "Leave it empty to name the conversation after its members.", OnInput: c.onTitle}),
				app.Div().Class("form-actions").Body(
					app.Button().ID("create-conversation").Type("submit").Class("btn", "btn-primary", "btn-block").
						Body(icon("plus"), app.Span().Text("Create conversation")),
					app.If(len(c.members) > 0 || c.title != "" || c.picker.query != "", func() app.UI {
						return app.Button().ID("clear-new").Type("button").Class("btn", "btn-ghost").
							OnClick(c.clear).Text("Clear")
					}),
				),
			),
		),
	)
}

func (c *NewConversation) onTitle(ctx app.Context, e app.Event) {
	c.title = inputValue(ctx)
	delete(c.errs, "title")
	c.saveDraft()
}

func (c *NewConversation) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	c.errs = formErrors{}
	if len(c.members) == 0 {
		c.errs["members"] = "Add at least one person to talk with."
	}
	title := strings.TrimSpace(c.title)
	c.errs.add(shared.ValidateTitle(title))
	if len(c.members)+1 > shared.MaxMembers {
		c.errs["members"] = "A conversation can have at most 1000 members."
	}
	switch {
	case c.errs["members"] != "":
		focusID(ctx, "member-search")
		return
	case c.errs["title"] != "":
		focusID(ctx, "conversation-title")
		return
	}
	id, err := c.Env.Engine.CreateConversation(title, c.members)
	if err != nil {
		c.errs[""] = "Couldn't create the conversation: " + err.Error()
		return
	}
	c.members, c.title, c.picker.query = nil, "", ""
	c.Env.Engine.SetDraft(draftNew, "")
	ctx.Navigate(shared.ConversationPath(id))
}
