package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"natter/shared"
	"natter/wasm/client"
)

// Scrolling thresholds in CSS pixels.
const (
	bottomSlack  = 48  // this close to the end counts as "at the bottom"
	olderTrigger = 240 // this close to the top fetches older history
	viewingDelay = 400 * time.Millisecond
)

// MessageList is the scrolling list of a conversation's messages. It keeps
// the view pinned to the newest message while the reader is at the bottom,
// keeps their place when older history is prepended, fetches that history
// as they scroll up, and marks messages seen only when they are on screen in
// a visible tab.
//
// Its inputs are exported fields that the page sets; go-app re-renders it
// only when they change, so typing in the composer does not redraw it.
type MessageList struct {
	app.Compo
	Env      *Env
	ConvID   string
	MeID     int64
	Msgs     []client.MsgView
	Members  []shared.Member
	Viewers  []shared.ReadPosition
	HasOlder bool
	Typing   []string

	atBottom     bool
	newBelow     bool
	loadingOlder bool
	olderErr     string
	lastMarked   int64
	firstKey     string
	lastKey      string
	viewSeq      int
	visFn        app.Func

	detailSeq int64          // the message whose "seen by" details are open
	detail    *shared.SeenBy // its answer, once it came
	detailErr string

	x msgExtras // menus, reactions, edit history: msgactions.go

	// self is the list's own context, from OnMount. Answers that arrive
	// later are dispatched through it, not through the context of the
	// click or scroll that asked: go-app drops a Dispatch whose source
	// element is gone, and rows are re-rendered whenever anything changes
	// (a read receipt arriving while the question is out left "seen by"
	// saying "Asking the server…" for good).
	self    app.Context
	hasSelf bool
}

// OnMount starts at the newest message and listens for the tab becoming
// visible, which is when waiting messages become seen.
func (c *MessageList) OnMount(ctx app.Context) {
	c.self, c.hasSelf = ctx, true
	c.atBottom = true
	c.firstKey, c.lastKey = c.keys()
	ctx.Defer(func(ctx app.Context) {
		scrollToBottom()
		c.checkSeen()
		c.reportViewing()
	})
	c.visFn = app.FuncOf(func(this app.Value, args []app.Value) any {
		ctx.Dispatch(func(ctx app.Context) {
			c.checkSeen()
			c.reportViewing()
			ctx.PreventUpdate()
		})
		return nil
	})
	app.Window().Get("document").Call("addEventListener", "visibilitychange", c.visFn)
}

// dispatcher is the context answers are dispatched through: the list's
// own once mounted, else the asking one.
func (c *MessageList) dispatcher(ctx app.Context) app.Context {
	if c.hasSelf {
		return c.self
	}
	return ctx
}

// OnDismount stops listening.
func (c *MessageList) OnDismount() {
	if c.visFn != nil {
		app.Window().Get("document").Call("removeEventListener", "visibilitychange", c.visFn)
		c.visFn.Release()
		c.visFn = nil
	}
}

// OnUpdate runs before the new messages reach the DOM: it measures the list
// to decide, once they are drawn, whether to keep the reader's place
// (history prepended), follow the conversation (they were at the bottom or
// just sent something), or offer a "new messages" button.
func (c *MessageList) OnUpdate(ctx app.Context) {
	first, last := c.keys()
	el := listElement()
	if !el.Truthy() {
		c.firstKey, c.lastKey = first, last
		return
	}
	prevHeight := el.Get("scrollHeight").Float()
	prevTop := el.Get("scrollTop").Float()
	wasBottom := nearBottom(el)
	switch {
	case c.firstKey != "" && first != c.firstKey && last == c.lastKey:
		ctx.Defer(func(ctx app.Context) {
			if el := listElement(); el.Truthy() {
				el.Set("scrollTop", prevTop+el.Get("scrollHeight").Float()-prevHeight)
			}
		})
	case last != c.lastKey:
		if wasBottom || c.lastIsOwn() {
			c.newBelow = false
			c.atBottom = true
			ctx.Defer(func(ctx app.Context) { scrollToBottom() })
		} else {
			c.newBelow = true
		}
	}
	c.firstKey, c.lastKey = first, last
	ctx.Defer(func(ctx app.Context) {
		c.checkSeen()
		c.reportViewing() // a short list never scrolls, so report here too
	})
}

func (c *MessageList) keys() (first, last string) {
	if len(c.Msgs) == 0 {
		return "", ""
	}
	return msgKey(c.Msgs[0]), msgKey(c.Msgs[len(c.Msgs)-1])
}

func (c *MessageList) lastIsOwn() bool {
	return len(c.Msgs) > 0 && isOwn(c.Msgs[len(c.Msgs)-1], c.MeID)
}

// onScroll tracks the bottom, fetches older history near the top and
// reports the read position. It redraws only when something visible changed.
func (c *MessageList) onScroll(ctx app.Context, e app.Event) {
	el := ctx.JSSrc()
	changed := false
	if b := nearBottom(el); b != c.atBottom {
		c.atBottom, changed = b, true
	}
	if c.atBottom && c.newBelow {
		c.newBelow, changed = false, true
	}
	if el.Get("scrollTop").Float() < olderTrigger && c.HasOlder && !c.loadingOlder && c.olderErr == "" {
		c.loadOlder(ctx)
		changed = true
	}
	if c.atBottom {
		c.checkSeen()
	}
	c.viewSeq++
	seq := c.viewSeq
	ctx.After(viewingDelay, func(ctx app.Context) {
		if seq == c.viewSeq {
			c.reportViewing()
		}
		ctx.PreventUpdate()
	})
	if !changed {
		ctx.PreventUpdate()
	}
}

func (c *MessageList) loadOlder(ctx app.Context) {
	c.loadingOlder, c.olderErr = true, ""
	convID := c.ConvID
	self := c.dispatcher(ctx)
	ctx.Async(func() {
		err := c.Env.Engine.LoadOlder(ctx, convID)
		self.Dispatch(func(ctx app.Context) {
			c.loadingOlder = false
			if err != nil {
				c.olderErr = "Couldn't load older messages. " + friendly(err)
			}
		})
	})
}

func (c *MessageList) onLoadOlder(ctx app.Context, e app.Event) {
	if !c.loadingOlder {
		c.loadOlder(ctx)
	}
}

func (c *MessageList) onJump(ctx app.Context, e app.Event) {
	c.newBelow, c.atBottom = false, true
	scrollToBottom()
	c.checkSeen()
}

// checkSeen moves the read cursor to the newest message when the reader is
// at the bottom of the list in a visible tab: only then was it on screen.
func (c *MessageList) checkSeen() {
	if !c.atBottom || !pageVisible() {
		return
	}
	var last int64
	for _, m := range c.Msgs {
		last = max(last, m.Seq)
	}
	var mine int64
	for _, m := range c.Members {
		if m.UserID == c.MeID {
			mine = m.SeenSeq
		}
	}
	if last > mine && last > c.lastMarked {
		c.lastMarked = last
		c.Env.Engine.MarkSeen(c.ConvID, last)
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

// Render draws the list, the jump button and the history controls.
func (c *MessageList) Render() app.UI {
	rows := buildRows(c.Msgs, c.Members, c.Viewers, c.MeID, time.Now())
	items := make([]app.UI, 0, len(rows)+1)
	items = append(items, c.historyRow())
	for _, r := range rows {
		items = append(items, c.row(r))
	}
	return app.Div().Class("msgs-wrap").Body(
		// The log is a div around the list: a role on the <ol> itself
		// would take away its list semantics and leave every <li> outside
		// a list for assistive technology.
		app.Div().ID("messages").Class("msgs").Role("log").Aria("label", "Messages").
			Aria("live", "polite").Aria("relevant", "additions").TabIndex(0).
			OnScroll(c.onScroll, app.PassiveEvent()).Body(
			app.Ol().Class("msgs-list").Body(items...),
		),
		app.If(c.newBelow, func() app.UI {
			return app.Button().ID("jump-latest").Type("button").Class("jump").OnClick(c.onJump).
				Body(icon("down"), app.Span().Text("New messages"))
		}),
		app.Div().ID("typing").Class("typing").Attr("aria-live", "polite").Body(
			app.If(len(c.Typing) > 0, func() app.UI {
				return app.Span().Class("typing-inner").Body(
					app.Span().Class("typing-dots").Aria("hidden", "true").Body(app.Span(), app.Span(), app.Span()),
					app.Span().Text(typingLine(c.Typing)),
				)
			}),
		),
	)
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
	case c.HasOlder:
		return app.Li().Class("history").Body(
			app.Button().ID("load-older").Type("button").Class("btn", "btn-small", "btn-secondary").Text("Load older messages").OnClick(c.onLoadOlder),
		)
	case len(c.Msgs) == 0:
		return app.Li().Class("history", "is-start").Text("No messages yet. Say hello!")
	default:
		return app.Li().Class("history", "is-start").Text("This is the beginning of the conversation.")
	}
}

// listElement returns the scrolling message list in the DOM.
func listElement() app.Value { return app.Window().GetElementByID("messages") }

func nearBottom(el app.Value) bool {
	return el.Get("scrollHeight").Float()-el.Get("scrollTop").Float()-el.Get("clientHeight").Float() < bottomSlack
}

func scrollToBottom() {
	if el := listElement(); el.Truthy() {
		el.Set("scrollTop", el.Get("scrollHeight").Float())
	}
}

// pageVisible reports whether the tab is on screen.
func pageVisible() bool {
	return app.Window().Get("document").Get("visibilityState").String() == "visible"
}

func parseInt(s string) int64 {
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int64(r-'0')
	}
	return n
}
