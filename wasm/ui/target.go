package ui

import (
	"context"
	"errors"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// Opening the list at a given message: a permalink's, a search result's, or
// the first unread one (the divider). The row may need fetching first; the
// list then waits for it to be laid out and brings it into view.

// openAt opens the list at message seq, highlighted: at once when it is
// held, else after fetching the history around it.
func (c *MessageList) openAt(ctx app.Context, seq int64) placement {
	c.shown, c.aroundErr = seq, ""
	c.goTo, c.goToTop, c.goToSeq = "s"+itoa(seq), false, 0
	c.atBottom = false
	if p := c.pendingPlacement(); p.kind == placeRow {
		return p
	}
	c.goToSeq = seq
	c.fetchAround(ctx, seq)
	return c.capture()
}

// pendingPlacement brings the row the list waits for into view once it is
// laid out.
func (c *MessageList) pendingPlacement() placement {
	if c.goTo == "" {
		return placement{kind: placeAnchor}
	}
	if _, ok := c.win.index[c.goTo]; !ok {
		return placement{kind: placeAnchor}
	}
	p := placement{kind: placeRow, key: c.goTo, top: c.goToTop}
	c.goTo, c.goToSeq, c.atBottom = "", 0, false
	return p
}

// fetchAround asks the engine for the history around seq; the engine's
// change brings the rows, and OnUpdate the placement.
func (c *MessageList) fetchAround(ctx app.Context, seq int64) {
	c.around = true
	eng, conv, self := c.Env.Engine, c.ConvID, c.dispatcher(ctx)
	ctx.Async(func() {
		err := eng.LoadAround(context.Background(), conv, seq)
		self.Dispatch(func(ctx app.Context) {
			c.around = false
			c.aroundErr = aroundError(err)
			var se *shared.Error
			if errors.As(err, &se) && se.Code == shared.CodeSeqOutOfRange {
				c.goTo, c.goToSeq = "", 0
			}
			if err == nil && c.goTo != "" {
				c.load()
				if p := c.pendingPlacement(); p.kind == placeRow {
					c.settle(p)
					c.place(ctx, p)
				}
			}
		})
	})
}

// aroundError says why a message cannot be opened.
func aroundError(err error) string {
	var se *shared.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, client.ErrOffline):
		return "That message isn't on this device yet. It opens as soon as you're back online."
	case errors.As(err, &se) && se.Code == shared.CodeSeqOutOfRange:
		return "That message doesn't exist in this conversation."
	}
	return "Couldn't open that message. " + friendly(err)
}
