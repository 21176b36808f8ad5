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

// MessageList is the scrolling list of a conversation's messages. It draws
// only the rows in and near the viewport (window.go), keeps the view pinned
// to the newest message while the reader is at the bottom, keeps their place
// when older history is prepended or new messages arrive while they read
// older ones, fetches older history as they scroll up, opens at a given
// message (a permalink) or at the first unread one, and marks messages seen
// only as they are shown in a visible tab.
//
// Its inputs are exported fields that the page sets. The messages are not
// among them: go-app compares every exported field with reflect.DeepEqual
// before each update, which for thousands of messages cost more than
// drawing them. Rev is the conversation's message revision
// (client.ConvView.Rev): it changes when the messages shown do, and only
// then, so a read mark, a typing signal or a keystroke in the composer
// does not update the list; the list then reads the messages itself.
type MessageList struct {
	app.Compo
	Env    *Env
	ConvID string
	MeID   int64
	Rev    uint64 // the conversation's message revision
	Target int64  // a message to open at and highlight (a permalink); 0 for none
	// Connected is whether the engine is connected: coming back online
	// retries what failed offline (older history, a permalink's page).
	Connected bool
	LastSeq   int64 // the conversation's newest seq, held or not
	Members   []shared.Member
	Viewers   []shared.ReadPosition
	HasOlder  bool
	Typing    []string

	msgs    []client.MsgView // what the engine holds, read on every Rev; shared, read-only
	lastSeq int64            // the conversation's newest seq, held or not
	unread  int64
	rows    []listRow
	win     window
	lay     layoutState // what rows were laid out from (listlayout.go)

	atBottom     bool
	pending      placement // where the view goes once the change is drawn
	placing      bool      // pending waits to be applied
	jumpN        int64     // the count "Jump to latest" shows
	loadingOlder bool
	olderErr     string
	olderOffline bool // olderErr is for want of a connection
	lastMarked   int64
	viewSeq      int
	visFn        app.Func
	keyFn        app.Func
	resizeFn     app.Func
	bottomFn     app.Func  // keepBottom's ResizeObserver callback
	bottomObs    app.Value // and the observer
	gapFn        app.Func  // keepBottom's scroll listener, which notes endGap
	endGap       float64   // how far the view stood from the end when last scrolled or placed

	news      string // the newest message from someone else, for screen readers
	newFrom   int64  // the first unread seq when the list opened: the "New" divider; 0 for none
	goTo      string
	goToSeq   int64  // the seq goTo waits for, while it is not held
	goToTop   bool   // place goTo at the top (the divider), not in the middle
	shown     int64  // the Target last opened
	around    bool   // a LoadAround is in flight
	aroundErr string // why the target cannot be shown

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

// OnMount reads the conversation and opens it at the target message, at
// the first unread one, or at the newest; it listens for the tab becoming
// visible (when shown messages become seen) and for Esc.
func (c *MessageList) OnMount(ctx app.Context) {
	c.self, c.hasSelf = ctx, true
	c.load()
	if c.unread > 0 && c.Target == 0 {
		c.newFrom = c.mySeen() + 1
		c.lay = layoutState{}
		c.load() // again, with the divider
	}
	p := placement{kind: placeBottom}
	switch {
	case c.Target > 0:
		p = c.openAt(ctx, c.Target)
	case c.newFrom > 0:
		c.goTo, c.goToTop = newRowKey, true
		if _, ok := c.win.index[newRowKey]; !ok {
			c.goToSeq = c.newFrom
			c.fetchAround(ctx, c.newFrom)
		}
		p = c.pendingPlacement()
	}
	c.atBottom = p.kind == placeBottom
	c.settle(p)
	c.place(ctx, p)
	c.readAhead()
	c.visFn = app.FuncOf(func(this app.Value, args []app.Value) any {
		ctx.Dispatch(func(ctx app.Context) {
			c.markShown()
			c.reportViewing()
			ctx.PreventUpdate()
		})
		return nil
	})
	app.Window().Get("document").Call("addEventListener", "visibilitychange", c.visFn)
	// A new viewport size (a phone turned, a window resized) may leave the
	// rows drawn short of it; the list does not scroll by itself then.
	c.resizeFn = app.FuncOf(func(this app.Value, args []app.Value) any {
		ctx.Dispatch(func(ctx app.Context) {
			p := c.capture()
			c.settle(p)
			c.place(ctx, p)
		})
		return nil
	})
	app.Window().Call("addEventListener", "resize", c.resizeFn)
	c.keepBottom()
	c.listenEsc(ctx)
}

// keepBottom keeps a reader who stands at the very end of the list there
// when the rows or the list's box change size with no placement of ours:
// a bubble wrapping anew, a web font arriving, the composer growing a
// line. Anything of ours that changes the rows places them itself (after);
// this is the net under the rest.
//
// It works on the DOM alone and at once, inside the browser's frame, so no
// frame is painted off: a scroll listener notes the distance from the end
// as the reader leaves it (scroll events run before resize observers in a
// frame), and a resize observer on the rows and on the list puts the view
// back at the end when that distance was under a pixel and now is not. A
// reader who scrolled up by as little as a pixel is left where they are.
func (c *MessageList) keepBottom() {
	ro := app.Window().Get("ResizeObserver")
	el := listElement()
	ol := app.Window().GetElementByID("msgs-list")
	if !ro.Truthy() || !el.Truthy() || !ol.Truthy() {
		return
	}
	c.endGap = bottomGap(el)
	c.gapFn = app.FuncOf(func(this app.Value, args []app.Value) any {
		c.endGap = bottomGap(this)
		return nil
	})
	el.Call("addEventListener", "scroll", c.gapFn, map[string]any{"passive": true})
	c.bottomFn = app.FuncOf(func(this app.Value, args []app.Value) any {
		el := listElement()
		if !el.Truthy() || c.placing || c.endGap >= 1 || bottomGap(el) < 0.5 {
			return nil
		}
		el.Set("scrollTop", el.Get("scrollHeight").Float())
		c.endGap = bottomGap(el)
		return nil
	})
	c.bottomObs = ro.New(c.bottomFn)
	c.bottomObs.Call("observe", ol)
	c.bottomObs.Call("observe", el)
}

// bottomGap is how far the list el is scrolled from its end, in CSS
// pixels; scrollTop may be fractional, the heights are whole.
func bottomGap(el app.Value) float64 {
	return el.Get("scrollHeight").Float() - el.Get("scrollTop").Float() - el.Get("clientHeight").Float()
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
	doc := app.Window().Get("document")
	if c.visFn != nil {
		doc.Call("removeEventListener", "visibilitychange", c.visFn)
		c.visFn.Release()
		c.visFn = nil
	}
	if c.resizeFn != nil {
		app.Window().Call("removeEventListener", "resize", c.resizeFn)
		c.resizeFn.Release()
		c.resizeFn = nil
	}
	if c.bottomFn != nil {
		c.bottomObs.Call("disconnect")
		c.bottomFn.Release()
		c.bottomFn = nil
	}
	if c.gapFn != nil {
		if el := listElement(); el.Truthy() {
			el.Call("removeEventListener", "scroll", c.gapFn, map[string]any{"passive": true})
		}
		c.gapFn.Release()
		c.gapFn = nil
	}
	if c.keyFn != nil {
		doc.Call("removeEventListener", "keydown", c.keyFn)
		c.keyFn.Release()
		c.keyFn = nil
	}
}

// OnUpdate runs before the change reaches the DOM: it notes where the
// reader is, reads the engine, and decides, once the rows are drawn,
// whether to keep the reader's place (history prepended, a message
// arriving while they read older ones), follow the conversation (they were
// at the bottom or just sent something), or open a new target.
func (c *MessageList) OnUpdate(ctx app.Context) {
	p := c.capture()
	last := c.lastKey()
	c.load()
	if l := c.lastKey(); l != last && c.lastIsOwn() && !c.win.empty() {
		p = placement{kind: placeBottom} // what they just sent is where they look
	} else if l != last && last != "" && len(c.msgs) > 0 {
		c.news = newsLine(c.msgs[len(c.msgs)-1], c.senderName)
	}
	if c.olderErr != "" && c.olderOffline && c.Connected {
		c.olderErr, c.olderOffline = "", false // back online: scrolling up fetches again
	}
	if c.Target != c.shown && c.Target > 0 {
		p = c.openAt(ctx, c.Target)
	} else if c.goTo != "" {
		if q := c.pendingPlacement(); q.kind == placeRow {
			p = q
		} else if c.goToSeq > 0 && !c.around && c.aroundErr != "" && c.Connected {
			c.fetchAround(ctx, c.goToSeq) // back online: try again
		}
	}
	if p.kind == placeBottom {
		c.atBottom = true
	}
	c.settle(p)
	// Where the view will be, not where the last scroll left it: a step up
	// merged a page above the reader, who stays on the row they were at,
	// a page's height below the top. Asked before settling, this saw the
	// view still at the top and fetched a second page at once, behind a
	// spinner, where one was to be held ahead unmerged.
	c.maybeLoadOlder(ctx) // also when the list opened near the top before the connection
	c.readAhead()
	c.place(ctx, p)
}

// load reads the messages from the engine and lays out the rows. It is
// linear in the messages held, in Go; what reaches the DOM is the window.
func (c *MessageList) load() {
	if c.Env == nil || c.Env.Engine == nil {
		return
	}
	ms := c.Env.Engine.MessagesAt(c.ConvID)
	c.msgs = ms.Msgs
	if v, ok := c.Env.Engine.Conversation(c.ConvID); ok {
		c.lastSeq, c.unread = v.LastSeq, v.Unread
	}
	c.relayout(ms, time.Now())
}

func (c *MessageList) lastKey() string {
	if len(c.msgs) == 0 {
		return ""
	}
	return msgKey(c.msgs[len(c.msgs)-1])
}

func (c *MessageList) lastIsOwn() bool {
	return len(c.msgs) > 0 && isOwn(c.msgs[len(c.msgs)-1], c.MeID)
}

// mySeen is the signed-in user's read cursor.
func (c *MessageList) mySeen() int64 {
	for _, m := range c.Members {
		if m.UserID == c.MeID {
			return m.SeenSeq
		}
	}
	return 0
}

// onScroll draws the rows the viewport moved to, tracks the bottom, fetches
// older history near the top and reports what is shown. It redraws only
// when the window or something visible changed.
func (c *MessageList) onScroll(ctx app.Context, e app.Event) {
	el := ctx.JSSrc()
	changed := false
	if b := nearBottom(el); b != c.atBottom {
		c.atBottom, changed = b, true
	}
	top, height := el.Get("scrollTop").Float(), el.Get("clientHeight").Float()
	c.win.viewport(top, height)
	if !c.win.coversView() {
		p := c.capture()
		c.settle(p)
		c.place(ctx, p)
		changed = true
	}
	if n := c.newer(); n != c.jumpN {
		c.jumpN, changed = n, true // the count on "Jump to latest"
	}
	if c.maybeLoadOlder(ctx) {
		changed = true
	}
	c.readAhead()
	c.shownLater(ctx)
	if !changed {
		ctx.PreventUpdate()
	}
}

// shownLater marks what is shown as seen and tells the others where the
// reader is once the scrolling has stopped for viewingDelay: a scroll makes
// one read mark, not one per frame. (A drawn change marks at once, in
// after: delaying those too left a reply's reader unmarked in
// TestTwoPeopleChat and a catch-up's whole backlog unread.)
func (c *MessageList) shownLater(ctx app.Context) {
	c.viewSeq++
	seq := c.viewSeq
	c.dispatcher(ctx).After(viewingDelay, func(ctx app.Context) {
		if seq == c.viewSeq {
			c.markShown()
			c.reportViewing()
		}
		ctx.PreventUpdate()
	})
}

// Render draws the list window between its spacers, the jump button and
// the history controls.
func (c *MessageList) Render() app.UI {
	lo, hi := c.win.lo, min(c.win.hi, len(c.rows))
	items := make([]app.UI, 0, hi-lo+3)
	items = append(items, c.historyRow(), spacer(c.win.above()))
	for i := lo; i < hi; i++ {
		items = append(items, c.drawRow(c.rows[i]))
	}
	items = append(items, spacer(c.win.below()))
	return app.Div().Class("msgs-wrap").Body(
		// The log is a div around the list: a role on the <ol> itself
		// would take away its list semantics and leave every <li> outside
		// a list for assistive technology. It is not live: rows are added
		// whenever the window moves, and a screen reader would read them
		// out as news; the status line below says what really arrived.
		app.Div().ID("messages").Class("msgs", "is-windowed").Role("log").Aria("label", "Messages").
			Aria("live", "off").TabIndex(0).
			OnScroll(c.onScroll, app.PassiveEvent()).Body(
			app.Ol().ID("msgs-list").Class("msgs-list").Body(items...),
		),
		c.jumpButton(),
		app.Div().ID("msgs-news").Class("visually-hidden").Role("status").Text(c.news),
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

// drawRow draws one row; the divider is the list's own, the rest are
// rowview's, with the target message highlighted.
func (c *MessageList) drawRow(r listRow) app.UI {
	if r.Kind == rowNew {
		return app.Li().ID("new-divider").Class("new-divider").Body(app.Span().Text("New"))
	}
	ui := c.row(r)
	if r.Kind == rowMsg && c.Target > 0 && r.Msg.Seq == c.Target {
		if li, ok := ui.(app.HTMLLi); ok {
			ui = li.Class("is-target").Aria("current", "true")
		}
	}
	return ui
}

// spacer stands for the rows not drawn, at their measured or estimated
// height, so the scrollbar stays honest.
func spacer(h float64) app.UI {
	return app.Li().Class("msgs-spacer").Aria("hidden", "true").Style("height", ftoa(h)+"px")
}

// listElement returns the scrolling message list in the DOM.
func listElement() app.Value { return app.Window().GetElementByID("messages") }

func nearBottom(el app.Value) bool {
	return el.Get("scrollHeight").Float()-el.Get("scrollTop").Float()-el.Get("clientHeight").Float() < bottomSlack
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
