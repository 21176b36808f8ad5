package ui

import (
	"errors"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/wasm/client"
)

// Older history: the list fetches the page before the oldest message held
// as the reader nears the top, and its top row says what is going on.

// maybeLoadOlder fetches older history when the view is near the top and
// reports whether the list's top row changed (a spinner to draw).
func (c *MessageList) maybeLoadOlder(ctx app.Context) bool {
	if c.win.top+c.win.base >= olderTrigger || !c.HasOlder || c.loadingOlder || c.olderErr != "" ||
		c.Env.Engine.State().Status.State != client.StateConnected {
		return false // offline, OnUpdate tries again once connected
	}
	return c.loadOlder(ctx)
}

// readAhead has the engine hold the page before what is held
// (client/readahead.go) whenever the conversation is shown and connected:
// on mount, on every update and on every scroll (the engine asks once per
// page, so repeated calls cost a lock). Even the first step up, a jump to
// the top of what is held, then finds its page in and draws once, where it
// drew the rows at the top, waited for the server and drew again; and a
// page dropped because a message in it changed is asked for again at the
// reader's next move. Not while a step is loading: LoadOlder reads the
// next page ahead once its own is in.
func (c *MessageList) readAhead() {
	if c.Connected && c.HasOlder && c.olderErr == "" && !c.loadingOlder {
		c.Env.Engine.ReadAhead(c.ConvID)
	}
}

// loadOlder merges the page read ahead when it is in (client/readahead.go;
// the engine's change then draws it, without a spinner first), else fetches
// it with the spinner up, and reports whether it put the spinner up.
func (c *MessageList) loadOlder(ctx app.Context) bool {
	convID := c.ConvID
	c.olderErr = ""
	if c.Env.Engine.LoadOlderHeld(convID) {
		return false
	}
	c.loadingOlder = true
	self := c.dispatcher(ctx)
	ctx.Async(func() {
		// Through the list's own context, not the asking one: the "Try
		// again" button that asks is gone once the spinner is drawn, and
		// go-app cancels the context of an element it removes (see
		// toggleSeen).
		err := c.Env.Engine.LoadOlder(self, convID)
		self.Dispatch(func(ctx app.Context) {
			c.loadingOlder = false
			if err != nil {
				c.olderErr = "Couldn't load older messages. " + friendly(err)
				c.olderOffline = errors.Is(err, client.ErrOffline)
			}
			c.replace(ctx) // the top row changes: the rows below stay put
		})
	})
	return true
}

func (c *MessageList) onLoadOlder(ctx app.Context, e app.Event) {
	if !c.loadingOlder {
		c.loadOlder(ctx)
		c.replace(ctx)
	}
}

// historyRow is the top of the list: a way to older messages, or the start.
func (c *MessageList) historyRow() app.UI {
	switch {
	case c.loadingOlder:
		return app.Li().Class("history").Role("status").Body(app.Span().Class("spinner"), app.Text("Loading older messages…"))
	case c.olderErr != "":
		return app.Li().Class("history", "is-error").Body(
			app.Span().Text(c.olderErr),
			app.Button().ID("load-older").Type("button").Class("btn", "btn-small", "btn-secondary").Text("Try again").OnClick(c.onLoadOlder),
		)
	case c.aroundErr != "":
		return app.Li().ID("target-error").Class("history", "is-error").Role("alert").Text(c.aroundErr)
	case c.HasOlder:
		return app.Li().Class("history").Body(
			app.Button().ID("load-older").Type("button").Class("btn", "btn-small", "btn-secondary").Text("Load older messages").OnClick(c.onLoadOlder),
		)
	case len(c.msgs) == 0:
		return app.Li().Class("history", "is-start").Text("No messages yet. Say hello!")
	default:
		return app.Li().Class("history", "is-start").Text("This is the beginning of the conversation.")
	}
}
