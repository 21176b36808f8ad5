package ui

import (
	"errors"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// row draws one row of the message list.
func (c *MessageList) row(r listRow) app.UI {
	switch r.Kind {
	case rowDay:
		return app.Li().Class("day-sep").Body(app.Span().Text(r.Day))
	case rowSeen:
		li := app.Li().Class("seen-by").Body(
			app.Span().Class("seen-text").Text("Seen by "+joinNames(r.Names)),
			app.If(!r.At.IsZero(), func() app.UI {
				return app.Time().Class("seen-time").DateTime(r.At.UTC().Format(time.RFC3339)).
					Title("%s", fullTime(r.At)).Text(" · " + seenTime(r.At, time.Now()))
			}),
		)
		if r.Newest {
			li = li.ID("seen-by")
		}
		return li
	case rowGhosts:
		ghosts := make([]app.UI, 0, len(r.Names))
		for _, n := range r.Names {
			ghosts = append(ghosts, avatar(n, n, "avatar-xs"))
		}
		return app.Li().Class("ghosts-at").Title("%s", joinNames(r.Names)+" reading here").Body(
			app.Span().Class("visually-hidden").Text(joinNames(r.Names)+" reading here"),
			app.Span().Class("ghost-faces").Body(ghosts...),
		)
	}
	return c.msg(r)
}

// msg draws a message: the sender at the start of a group, the body
// as text with safe links, the time, and for own messages the delivery state
// with Retry and Discard when it failed.
func (c *MessageList) msg(r listRow) app.UI {
	m := *r.Msg
	state := string(m.State)
	if state == "" {
		state = string(client.MsgSent)
	}
	li := app.Li().
		Class(cls("msg",
			when(r.Own, "own"), when(!r.Own, "other"),
			when(r.First, "is-first"), when(r.Last, "is-last"),
			when(m.Kind == shared.KindSystem, "system"),
			when(r.LatestOwn, "is-latest-own"),
			"state-"+state)).
		DataSet("seq", m.Seq).
		DataSet("state", state)
	if m.ActionID != "" {
		li = li.DataSet("action-id", m.ActionID)
	}
	if m.Seq > 0 {
		li = li.ID("msg-" + itoa(m.Seq))
	}
	t := msgTime(m)
	if m.Kind == shared.KindSystem {
		return li.Body(app.Div().Class("system-text").Body(bodyNodes(m.Body)...),
			app.Time().Class("msg-time").DateTime(t.UTC().Format(time.RFC3339)).Text(clock(t)))
	}

	var body []app.UI
	switch {
	case m.DeletedAt != nil:
		body = []app.UI{app.Em().Class("muted", "msg-deleted").Text("Message deleted")}
	default:
		body = c.msgBody(m) // quote and formatting: msgactions.go
	}
	sender := c.senderName(m.SenderID, m.Sender)
	return li.Body(
		app.If(r.First && !r.Own, func() app.UI {
			return app.Div().Class("msg-head").Body(
				avatar(sender, sender, "avatar-sm"),
				app.Span().Class("msg-sender").Text(sender),
			)
		}),
		app.Div().Class("bubble").Body(
			app.Div().Class("msg-body").Body(body...),
			app.Div().Class("msg-meta").Body(
				c.edited(m),
				app.If(!t.IsZero(), func() app.UI {
					return c.permalink(m, app.Time().Class("msg-time").DateTime(t.UTC().Format(time.RFC3339)).
						Title("%s", fullTime(t)).Text(clock(t)))
				}),
				app.If(r.Own, func() app.UI { return msgState(m.State) }),
				app.If(m.Seq > 0, func() app.UI {
					seq := m.Seq
					return app.Button().Type("button").Class("seen-info").
						Aria("label", "Who has seen this message").Aria("expanded", c.detailSeq == seq).
						Title("Who has seen this").
						OnClick(func(ctx app.Context, e app.Event) { c.toggleSeen(ctx, seq) }, app.EventScope(itoa(seq))).
						Body(icon("eye"))
				}),
				c.menuButton(m),
			),
		),
		c.reactions(m),
		c.menu(m, r.Own),
		c.history(m),
		app.If(m.Seq > 0 && c.detailSeq == m.Seq, func() app.UI { return c.seenDetails() }),
		app.If(m.State == client.MsgFailed, func() app.UI { return c.failedBar(m) }),
	)
}

// senderName is the sender's current nickname: a member's entry follows a
// rename live, while the name stored with each message is the one it was
// sent under. Someone who left keeps the name their messages carry.
func (c *MessageList) senderName(id int64, stored string) string {
	for _, m := range c.Members {
		if m.UserID == id && m.Nickname != "" {
			return m.Nickname
		}
	}
	return stored
}

// toggleSeen opens (asking the server) or closes the "seen by" details of a
// message: who saw it and when, for any message, not only the last one.
func (c *MessageList) toggleSeen(ctx app.Context, seq int64) {
	if c.detailSeq == seq {
		c.detailSeq, c.detail, c.detailErr = 0, nil, ""
		return
	}
	c.detailSeq, c.detail, c.detailErr = seq, nil, ""
	eng, conv := c.Env.Engine, c.ConvID
	self := c.dispatcher(ctx)
	ctx.Async(func() {
		// Asked through the list's own context, not the click's: go-app
		// cancels the context of an element it removes, and a row redrawn
		// meanwhile made the answer "context canceled" (TestAccessibility
		// and TestFirstUseConversation failed so now and then).
		sb, err := eng.SeenBy(self, conv, seq)
		self.Dispatch(func(ctx app.Context) {
			if c.detailSeq != seq {
				return
			}
			if err != nil {
				c.detailErr = "Can't tell right now: " + err.Error()
				if errors.Is(err, client.ErrOffline) {
					c.detailErr = "Who has seen this is known once you are back online."
				}
				return
			}
			c.detail = &sb
		})
	})
}

// seenDetails lists who saw the open message and when.
func (c *MessageList) seenDetails() app.UI {
	var body app.UI
	switch {
	case c.detailErr != "":
		body = app.P().Class("seen-details-note").Text(c.detailErr)
	case c.detail == nil:
		body = app.P().Class("seen-details-note").Text("Asking the server…")
	case len(c.detail.Seen) == 0:
		body = app.P().Class("seen-details-note").Text("Not seen by anyone yet.")
	default:
		items := make([]app.UI, 0, len(c.detail.Seen))
		now := time.Now()
		for _, s := range c.detail.Seen {
			// The relative time reads at a glance; the clock beside it and
			// the full date in the tooltip are exact, and visible without
			// hovering, which a phone cannot do.
			rel := ago(s.At, now)
			items = append(items, app.Li().Body(
				app.Span().Class("seen-name").Text(s.Nickname),
				app.Time().Class("seen-when").DateTime(s.At.UTC().Format(time.RFC3339)).Title("%s", fullTime(s.At)).Body(
					app.Span().Class("seen-ago").Text(rel),
					app.If(!strings.Contains(rel, " at "), func() app.UI {
						return app.Span().Class("seen-exact").Text(" · " + clock(s.At))
					}),
				),
			))
		}
		body = app.Ul().Class("seen-list").Body(items...)
	}
	return app.Div().ID("seen-details").Class("seen-details").Role("status").Body(
		app.Span().Class("seen-details-title").Text("Seen by"), body)
}

// msgState is the delivery state of an own message: an icon and a word.
func msgState(s client.MsgState) app.UI {
	var ic, label string
	switch s {
	case client.MsgQueued:
		ic, label = "clock", "Queued"
	case client.MsgSending:
		ic, label = "sending", "Sending…"
	case client.MsgFailed:
		ic, label = "alert", "Not sent"
	default:
		ic, label = "check", "Sent"
	}
	return app.Span().Class("msg-state").Title("%s", label).Body(icon(ic), app.Span().Class("msg-state-label").Text(label))
}

// failedBar explains why a message was refused and offers Retry and Discard.
func (c *MessageList) failedBar(m client.MsgView) app.UI {
	reason := m.Error
	if reason == "" {
		reason = "The server refused it."
	}
	id := m.ActionID
	return app.Div().Class("msg-failed").Role("alert").Body(
		app.Span().Class("msg-failed-reason").Text("Not sent: "+reason),
		app.Div().Class("msg-failed-actions").Body(
			app.Button().Type("button").Class("btn", "btn-small", "btn-secondary", "retry").
				DataSet("action-id", id).Text("Retry").
				OnClick(func(ctx app.Context, e app.Event) { c.Env.Engine.Retry(id) }, app.EventScope("retry", id)),
			app.Button().Type("button").Class("btn", "btn-small", "btn-ghost", "discard").
				DataSet("action-id", id).Text("Discard").
				OnClick(func(ctx app.Context, e app.Event) { c.Env.Engine.Discard(id) }, app.EventScope("discard", id)),
		),
	)
}
