package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// sidebar is the conversation list: the whole screen on the dashboard of a
// phone, the left column on wide screens.
func (s *Shell) sidebar(me shared.User) app.UI {
	active := s.activeConversation()
	convs := s.st.Conversations
	now := time.Now()
	local := newestLocal(s.st.Outbox)
	items := make([]app.UI, 0, len(convs))
	for _, c := range convs {
		if s.unreadOnly && c.Unread == 0 && c.ID != active {
			continue
		}
		items = append(items, convItem(c, me.ID, c.ID == active, now, local[c.ID]))
	}
	perm := s.Env.notifyPermission()
	return app.Aside().Class("sidebar").Aria("label", "Conversations").Body(
		app.Header().Class("side-head").Body(
			app.A().Class("brand").Href(shared.RouteHome).Body(logo("brand-logo"), app.Span().Text("Natter")),
			app.A().ID("profile-link").Class("profile-link").Href(shared.RouteProfile).
				Aria("label", "Profile: "+me.Nickname).Title("%s", "Profile: "+me.Nickname).
				Body(avatar(me.Nickname, me.Nickname, "avatar-sm")),
		),
		app.Div().Class("side-actions").Body(
			app.A().ID("new-conversation").Class("btn", "btn-primary", "btn-block").Href(shared.RouteNew).
				Body(icon("plus"), app.Span().Text("New conversation")),
			app.If(perm == PermissionDefault && s.Env.RequestNotifyPermission != nil, func() app.UI {
				return app.Button().ID("enable-notifications").Type("button").Class("btn", "btn-secondary", "btn-small", "btn-block").
					Aria("busy", boolAttr(s.notifyReq)).OnClick(s.enableNotifications).
					Body(icon("bell"), app.Span().Text("Enable notifications"))
			}),
			app.If(s.notifyErr != "", func() app.UI {
				return app.P().ID("notify-error").Class("side-note").Role("alert").Text(s.notifyErr)
			}),
			&InstallButton{},
		),
		&SearchPanel{Env: s.Env, Convs: convs, MeID: me.ID},
		app.Nav().Class("conv-nav").Aria("label", "Your conversations").Body(
			s.unreadToggle(),
			app.If(len(items) == 0, func() app.UI {
				return app.P().Class("side-empty muted").Text(emptyListText(s.unreadOnly, len(convs)))
			}),
			app.Ul().ID("conv-list").Class("conv-list").Body(items...),
		),
	)
}

// enableNotifications asks for permission. The request blocks until the user
// answers, so it runs outside the UI goroutine.
func (s *Shell) enableNotifications(ctx app.Context, e app.Event) {
	if s.notifyReq {
		return
	}
	s.notifyReq = true
	s.notifyErr = ""
	ctx.Async(func() {
		var msg string
		if p := s.Env.Push; p != nil {
			// Permission, then this device's push subscription.
			if perm, err := p.Enable(); err != nil {
				msg = pushFailure(perm, err)
			}
		} else {
			s.Env.RequestNotifyPermission()
		}
		// Through the shell's own context: the button this click came from
		// is gone once permission is granted, and go-app drops a dispatch
		// through a removed element's context.
		s.ctx.Dispatch(func(ctx app.Context) { s.notifyReq, s.notifyErr = false, msg })
	})
}

// pushFailure words a failed Enable for the sidebar: with permission
// granted, notifications still work while a Natter tab is open, and only
// the closed-tab half is missing, which the person can retry from the
// profile (its card shows the state of every device).
func pushFailure(perm string, err error) string {
	if perm == PermissionGranted {
		return "Notifications are on while Natter is open, but this device couldn't be set up to notify you with Natter closed (" +
			errorText(err) + "). Try again from your profile."
	}
	return "Couldn't turn notifications on: " + errorText(err)
}

// newestLocal finds, per conversation, the newest own message still in the
// outbox. It is newer than anything the server confirmed, so the list shows
// it (with its queued or failed state) instead of an older preview or "No
// messages yet".
func newestLocal(outbox []client.ActionView) map[string]*client.ActionView {
	out := map[string]*client.ActionView{}
	for i := range outbox {
		a := &outbox[i]
		if a.Type == shared.TypeMessageSend {
			out[a.ConvID] = a // the outbox is in queue order: the last one wins
		}
	}
	return out
}

// convItem is one row of the conversation list; local is the newest own
// message still queued for it, if any.
func convItem(c client.ConvView, meID int64, active bool, now time.Time, local *client.ActionView) app.UI {
	var at time.Time
	switch {
	case c.LastAt != nil:
		at = *c.LastAt
	case c.Preview != nil:
		at = c.Preview.CreatedAt
	default:
		at = c.CreatedAt
	}
	if local != nil && local.QueuedAt.After(at) {
		at = local.QueuedAt
	}
	title := Title(c.Conversation, meID)
	unread := ""
	if c.Unread > 0 {
		unread = thousands(int(c.Unread))
		if c.Unread > 99 {
			unread = "99+"
		}
	}
	a := app.A().
		Class(cls("conv-item", when(c.Unread > 0, "is-unread"), when(active, "is-active"), when(c.ClosedAt != nil, "is-closed"))).
		DataSet("id", c.ID).
		Href(shared.ConversationPath(c.ID))
	if active {
		a = a.Aria("current", "page")
	}
	return app.Li().Body(a.Body(
		avatar(title, convAvatarKey(c, meID), ""),
		app.Div().Class("conv-main").Body(
			app.Div().Class("conv-line").Body(
				app.Span().Class("conv-title").Text(title),
				app.If(c.ClosedAt != nil, func() app.UI {
					return app.Span().Class("conv-flag").Title("Closed").Body(icon("lock"))
				}),
				app.Time().Class("conv-time").DateTime(at.UTC().Format(time.RFC3339)).Text(listTime(at, now)),
			),
			app.Div().Class("conv-line").Body(
				convPreview(c, meID, local),
				app.If(c.Mentioned, func() app.UI {
					return app.Span().Class("badge", "badge-mention").Aria("label", "You were mentioned").Title("You were mentioned").Text("@")
				}),
				app.If(unread != "", func() app.UI {
					return app.Span().Class("badge", "badge-unread").Aria("label", unread+" unread").Text(unread)
				}),
			),
		),
	))
}

// convPreview is the second line of a list row: what happened last.
func convPreview(c client.ConvView, meID int64, local *client.ActionView) app.UI {
	switch {
	case c.Failed != "":
		return app.Span().Class("conv-preview", "is-failed").Text("Couldn't create: " + c.Failed)
	case len(c.Typing) > 0:
		return app.Span().Class("conv-preview", "is-typing").Text(typingLine(c.Typing))
	case local != nil:
		ic, state := "clock", "Queued"
		switch local.State {
		case client.MsgFailed:
			ic, state = "alert", "Not sent"
		case client.MsgSending:
			ic, state = "sending", "Sending"
		}
		return app.Span().Class("conv-preview", "is-local", "state-"+string(local.State)).DataSet("state", string(local.State)).Body(
			app.Span().Class("conv-preview-state").Title("%s", state).Body(icon(ic), app.Span().Class("visually-hidden").Text(state+": ")),
			app.Span().Class("conv-preview-who").Text("You: "),
			app.Text(preview(local.Summary, 90)),
		)
	case c.Pending && c.Preview == nil:
		return app.Span().Class("conv-preview", "is-pending").Body(icon("clock"), app.Text("Waiting to be created"))
	case c.Preview == nil:
		return app.Span().Class("conv-preview", "muted").Text("No messages yet")
	}
	p := c.Preview
	who := p.Sender
	if p.SenderID == meID {
		who = "You"
	}
	if p.DeletedAt != nil {
		return app.Span().Class("conv-preview", "muted").Text("Message deleted")
	}
	if p.Kind == shared.KindSystem || who == "" {
		return app.Span().Class("conv-preview", "is-system").Text(preview(p.Body, 90))
	}
	return app.Span().Class("conv-preview").Body(
		app.Span().Class("conv-preview-who").Text(who+": "),
		app.Text(preview(PlainText(ParseMarkup(p.Body)), 90)), // without the formatting marks

	)
}

// convAvatarKey colors a conversation like the other person when there is
// just one, so the same face keeps its color everywhere.
func convAvatarKey(c client.ConvView, meID int64) string {
	if !c.Named && len(c.Members) == 2 {
		for _, m := range c.Members {
			if m.UserID != meID {
				return m.Nickname
			}
		}
	}
	return c.ID
}

// avatar is a colored circle with initials.
func avatar(name, colorKey, class string) app.UI {
	return app.Span().Class("avatar", class).DataSet("c", avatarColor(colorKey)).Aria("hidden", "true").Text(initials(name))
}
