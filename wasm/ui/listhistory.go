package ui

import (
	"errors"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/wasm/client"
)

// Older history: the list fetches the page before the oldest message held
// as the reader nears the top, and its top row says what is going on.

// maybeLoadOlder fetches older history when the view is near the top and
// reports whether it started.
func (c *MessageList) maybeLoadOlder(ctx app.Context) bool {
	if c.win.top+c.win.base >= olderTrigger || !c.HasOlder || c.loadingOlder || c.olderErr != "" ||
		c.Env.Engine.State().Status.State != client.StateConnected {
		return false // offline, OnUpdate tries again once connected
	}
	c.loadOlder(ctx)
	return true
}

func (c *MessageList) loadOlder(ctx app.Context) {
	c.loadingOlder, c.olderErr = true, ""
	convID := c.ConvID
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
