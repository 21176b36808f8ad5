package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// Unread navigation: the list marks messages seen only as they are shown,
// offers "Jump to latest" with the number of newer messages while the
// reader is scrolled up, says what arrived to screen readers, and Esc marks
// everything read. (Opening at the first unread one is target.go's.)

// lastShown returns the seq of the newest confirmed message shown in the
// viewport (at least its first line), or 0.
func (c *MessageList) lastShown() int64 {
	w := &c.win
	if w.empty() {
		return 0
	}
	bottom := w.top + w.height
	for i := rowAt(w.offs, bottom-1); i >= 0 && w.offs[i+1] > w.top; i-- {
		r := c.rows[i]
		if r.Kind != rowMsg || r.Msg.Seq <= 0 {
			continue
		}
		if h := w.offs[i+1] - w.offs[i]; w.offs[i]+min(h, 24) <= bottom {
			return r.Msg.Seq
		}
	}
	return 0
}

// markShown moves the read cursor to the newest message on screen, in a
// visible tab: a message scrolled past unseen stays unread.
func (c *MessageList) markShown() {
	if !pageVisible() {
		return
	}
	if seq := c.lastShown(); seq > c.mySeen() && seq > c.lastMarked {
		c.lastMarked = seq
		c.Env.Engine.MarkSeen(c.ConvID, seq)
	}
}

// newer counts the messages after the last one shown, held or not.
func (c *MessageList) newer() int64 {
	shown := c.lastShown()
	if shown == 0 {
		return 0
	}
	return max(c.lastSeq-shown, 0)
}

// jumpButton is "Jump to latest", with the number of newer messages, while
// the reader is scrolled up.
func (c *MessageList) jumpButton() app.UI {
	if c.atBottom || c.win.empty() {
		return nil
	}
	n := c.newer()
	c.jumpN = n
	// The name is the visible text (axe: label-content-name-mismatch), the
	// count's meaning spelled out for screen readers only.
	return app.Button().ID("jump-latest").Type("button").Class("jump").OnClick(c.onJump).Body(
		icon("down"), app.Span().Text("Jump to latest"),
		app.If(n > 0, func() app.UI {
			return app.Span().ID("jump-count").Class("jump-count").Text(thousands(int(n)))
		}),
		app.If(n > 0, func() app.UI {
			return app.Span().Class("visually-hidden").Text(when(n > 1, " newer messages") + when(n == 1, " newer message"))
		}),
	)
}

func (c *MessageList) onJump(ctx app.Context, e app.Event) {
	c.atBottom = true
	p := placement{kind: placeBottom}
	c.settle(p)
	c.place(ctx, p)
}

// listenEsc marks the conversation read on Esc, unless something else
// took the key (a dialog, a menu) or it was typed into a text field.
func (c *MessageList) listenEsc(ctx app.Context) {
	c.keyFn = app.FuncOf(func(this app.Value, args []app.Value) any {
		if len(args) == 0 {
			return nil
		}
		e := args[0]
		if e.Get("key").String() != "Escape" || e.Get("defaultPrevented").Truthy() {
			return nil
		}
		if t := e.Get("target"); t.Truthy() && t.Get("tagName").String() == "INPUT" {
			return nil
		}
		ctx.Dispatch(func(ctx app.Context) { c.markAllRead() })
		return nil
	})
	app.Window().Get("document").Call("addEventListener", "keydown", c.keyFn)
}

// markAllRead moves the read cursor to the newest message, shown or not.
func (c *MessageList) markAllRead() {
	if c.lastSeq > c.mySeen() && c.lastSeq > c.lastMarked {
		c.lastMarked = c.lastSeq
		c.Env.Engine.MarkSeen(c.ConvID, c.lastSeq)
	}
}

// reportViewing tells the others where this reader is: the message at the
// bottom edge of the list and how far into it, in thousandths of its height.
func (c *MessageList) reportViewing() {
	if !pageVisible() {
		c.Env.Engine.SetViewing(c.ConvID, 0, 0) // a hidden tab is not reading
		return
	}
	el := listElement()
	if !el.Truthy() {
		return
	}
	edge := el.Get("scrollTop").Float() + el.Get("clientHeight").Float()
	nodes := el.Call("querySelectorAll", ".msg[data-seq]")
	for i := nodes.Length() - 1; i >= 0; i-- {
		n := nodes.Index(i)
		top := n.Get("offsetTop").Float()
		if top >= edge {
			continue
		}
		seq := parseInt(n.Call("getAttribute", "data-seq").String())
		if seq <= 0 {
			continue
		}
		h := max(n.Get("offsetHeight").Float(), 1)
		offset := int(min(max((edge-top)/h, 0), 1) * 1000)
		c.Env.Engine.SetViewing(c.ConvID, seq, offset)
		return
	}
}

// newsLine is what the status line says when a message arrives: who wrote
// what, cut short.
func newsLine(m client.MsgView, name func(int64, string) string) string {
	body := []rune(m.Body)
	if len(body) > 140 {
		body = append(body[:140], '…')
	}
	if m.Kind == shared.KindSystem {
		return string(body)
	}
	return name(m.SenderID, m.Sender) + ": " + string(body)
}
