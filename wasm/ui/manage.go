package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
)

// ManagePanel changes a conversation: the owner renames it, adds and
// removes members, hands ownership over and closes it; anyone can leave.
// Every destructive step asks for confirmation in place first.
type ManagePanel struct {
	app.Compo
	Env  *Env
	Conv shared.Conversation
	MeID int64
	Page *ConversationPage

	title   string
	edited  bool   // the title field was touched
	confirm string // "remove:<id>", "owner:<id>", "close" or "leave"
	err     string
	done    string // what was just queued, announced politely
	picker  userPicker
}

// onKey closes the panel (or the open confirmation) on Escape.
func (c *ManagePanel) onKey(ctx app.Context, e app.Event) {
	if e.Get("key").String() != "Escape" {
		ctx.PreventUpdate()
		return
	}
	if c.confirm != "" {
		c.cancel(ctx, e)
		return
	}
	c.Page.closeManage(ctx)
}

// OnMount prepares the add-member search.
func (c *ManagePanel) OnMount(ctx app.Context) {
	c.picker.init(c.Env, "add-member-search", c.isMember, c.add, nil)
	c.picker.mount(ctx)
}

// OnDismount releases the search box's key guard.
func (c *ManagePanel) OnDismount() { c.picker.unmount() }

func (c *ManagePanel) isMember(id int64) bool { return c.Conv.Member(id) != nil }

func (c *ManagePanel) isOwner() bool { return c.Conv.Owner() == c.MeID }

func (c *ManagePanel) run(what string, err error) {
	if err != nil {
		c.err, c.done = err.Error(), ""
		return
	}
	c.err, c.done, c.confirm = "", what, ""
}

func (c *ManagePanel) add(ctx app.Context, u shared.User) {
	c.run(u.Nickname+" will be added.", c.Env.Engine.AddMember(c.Conv.ID, u))
	c.picker.query = ""
	clearInput("add-member-search")
}

func (c *ManagePanel) onTitle(ctx app.Context, e app.Event) {
	c.title, c.edited = inputValue(ctx), true
}

func (c *ManagePanel) rename(ctx app.Context, e app.Event) {
	e.PreventDefault()
	title := strings.TrimSpace(c.currentTitle())
	if fe := shared.ValidateTitle(title); fe != nil {
		c.err = fe.Message
		return
	}
	c.run("The conversation will be renamed.", c.Env.Engine.Rename(c.Conv.ID, title))
	c.edited = false
}

// currentTitle is the title field's value: what was typed, or the given
// title (a derived one shows as the placeholder instead).
func (c *ManagePanel) currentTitle() string {
	if c.edited {
		return c.title
	}
	if c.Conv.Named {
		return c.Conv.Title
	}
	return ""
}

// ask opens the confirmation for a destructive step.
func (c *ManagePanel) ask(what string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		c.confirm, c.err, c.done = what, "", ""
		focusID(ctx, "confirm-action")
	}
}

func (c *ManagePanel) cancel(ctx app.Context, e app.Event) {
	c.confirm = ""
	focusID(ctx, "manage-heading")
}

// confirmed runs the step that was confirmed.
func (c *ManagePanel) confirmed(ctx app.Context, e app.Event) {
	what, arg, _ := strings.Cut(c.confirm, ":")
	id := parseInt(arg)
	name := ""
	if m := c.Conv.Member(id); m != nil {
		name = m.Nickname
	}
	switch what {
	case "remove":
		c.run(name+" will be removed.", c.Env.Engine.RemoveMember(c.Conv.ID, id))
	case "owner":
		c.run(name+" will become the owner.", c.Env.Engine.TransferOwner(c.Conv.ID, id))
	case "close":
		c.run("The conversation will be closed.", c.Env.Engine.Close(c.Conv.ID))
	case "leave":
		if err := c.Env.Engine.Leave(c.Conv.ID); err != nil {
			c.run("", err)
			return
		}
		ctx.Navigate(shared.RouteHome)
	}
	focusID(ctx, "manage-heading")
}

// confirmBox asks "are you sure" in place of the button that asked.
func (c *ManagePanel) confirmBox(question, action string) app.UI {
	return app.Div().Class("confirm").Role("group").Aria("labelledby", "confirm-question").Body(
		app.P().ID("confirm-question").Class("confirm-question").Text(question),
		app.Div().Class("row-actions").Body(
			app.Button().ID("confirm-action").Type("button").Class("btn", "btn-small", "btn-danger").Text(action).OnClick(c.confirmed),
			app.Button().ID("cancel-action").Type("button").Class("btn", "btn-small", "btn-secondary").Text("Cancel").OnClick(c.cancel),
		),
	)
}

// Render draws the panel.
func (c *ManagePanel) Render() app.UI {
	owner := c.isOwner()
	closed := c.Conv.ClosedAt != nil
	return app.Aside().ID("manage-panel").Class("manage").Aria("labelledby", "manage-heading").OnKeyDown(c.onKey).Body(
		app.Header().Class("manage-head").Body(
			app.H2().ID("manage-heading").Class("manage-title").TabIndex(-1).Text("Manage conversation"),
			app.Button().ID("manage-close").Type("button").Class("icon-btn").Aria("label", "Close panel").
				OnClick(func(ctx app.Context, e app.Event) { c.Page.closeManage(ctx) }).Body(icon("x")),
		),
		formAlert("manage-error", c.err),
		app.P().ID("manage-status").Class("form-status").Role("status").Text(c.done),
		app.If(owner && !closed, func() app.UI {
			return app.Form().ID("rename-form").Class("manage-section").NoValidate(true).OnSubmit(c.rename).Body(
				app.Label().For("rename-title").Class("field-label").Text("Title"),
				app.Div().Class("input-row").Body(
					app.Input().ID("rename-title").Type("text").Class("input").Value(c.currentTitle()).
						Placeholder("Members' names").Attr("autocomplete", "off").OnInput(c.onTitle),
					app.Button().ID("rename-submit").Type("submit").Class("btn", "btn-secondary").Text("Rename"),
				),
			)
		}),
		app.Section().Class("manage-section").Aria("labelledby", "members-heading").Body(
			app.H3().ID("members-heading").Class("section-title").Text(plural(len(c.Conv.Members), "member", "members")),
			app.Ul().ID("member-list").Class("member-list").Body(c.members(owner, closed)...),
		),
		app.If(owner && !closed, func() app.UI {
			return app.Section().Class("manage-section").Body(
				app.Label().For("add-member-search").Class("section-title").Text("Add people"),
				c.picker.render(nil, c.MeID, ""),
			)
		}),
		app.Section().Class("manage-section", "danger-zone").Body(
			app.If(owner && !closed, func() app.UI {
				if c.confirm == "close" {
					return c.confirmBox("Close this conversation? Nobody will be able to send messages any more.", "Close conversation")
				}
				return app.Button().ID("close-conversation").Type("button").Class("btn", "btn-danger-ghost", "btn-block").
					OnClick(c.ask("close")).Body(icon("lock"), app.Span().Text("Close conversation"))
			}),
			app.If(owner && len(c.Conv.Members) > 1 && !c.Conv.Direct && !closed, func() app.UI {
				return app.P().Class("muted small").Text("To leave, first make someone else the owner.")
			}).ElseIf(c.confirm == "leave", func() app.UI {
				return c.confirmBox("Leave this conversation? You will no longer see its messages.", "Leave")
			}).Else(func() app.UI {
				return app.Button().ID("leave-conversation").Type("button").Class("btn", "btn-danger-ghost", "btn-block").
					OnClick(c.ask("leave")).Text("Leave conversation")
			}),
		),
	)
}

// members lists the members with the owner's actions on each.
func (c *ManagePanel) members(owner, closed bool) []app.UI {
	items := make([]app.UI, 0, len(c.Conv.Members))
	for _, m := range c.Conv.Members {
		id := m.UserID
		key := itoa(id)
		var actions app.UI
		switch {
		case c.confirm == "remove:"+key:
			actions = c.confirmBox("Remove "+m.Nickname+" from this conversation?", "Remove")
		case c.confirm == "owner:"+key:
			actions = c.confirmBox("Make "+m.Nickname+" the owner? You will no longer be able to manage this conversation.", "Make owner")
		case owner && !closed && id != c.MeID:
			actions = app.Div().Class("member-actions").Body(
				app.Button().Type("button").Class("btn", "btn-small", "btn-ghost", "transfer-owner").DataSet("id", id).
					Aria("label", "Make owner: "+m.Nickname).Text("Make owner").
					OnClick(c.ask("owner:"+key), app.EventScope("owner", id)),
				app.Button().Type("button").Class("btn", "btn-small", "btn-danger-ghost", "remove-member").DataSet("id", id).
					Aria("label", "Remove "+m.Nickname).Text("Remove").
					OnClick(c.ask("remove:"+key), app.EventScope("remove", id)),
			)
		}
		items = append(items, app.Li().Class("member").DataSet("id", id).Body(
			app.Div().Class("member-who").Body(
				avatar(m.Nickname, m.Nickname, "avatar-sm"),
				app.Span().Class("member-name").Text(m.Nickname),
				app.If(id == c.MeID, func() app.UI { return app.Span().Class("muted small").Text("(you)") }),
				app.If(m.Owner, func() app.UI { return app.Span().Class("badge", "badge-owner").Text("Owner") }),
			),
			actions,
			app.If(id != c.MeID, func() app.UI { return &BlockButton{Env: c.Env, MeID: c.MeID, UserID: id, Nickname: m.Nickname} }),
		))
	}
	return items
}
