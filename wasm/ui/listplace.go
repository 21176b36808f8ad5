package ui

import (
	"math"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Placing the viewport: every change of the message list is drawn the same
// way. Before it, capture notes what the reader looks at; settle picks the
// rows to draw for where the view will be; after the DOM is updated, after
// measures the rows drawn and scrolls so the noted row is where it was, or
// to the bottom, or to a target. The browser's own scroll anchoring is off
// for the list (app.css): it would correct the same shift a second time.

// placeKind says where the view goes after a change.
type placeKind int

const (
	placeAnchor placeKind = iota // keep the row the reader looks at where it is
	placeBottom                  // follow the newest message
	placeRow                     // bring a row into view (a target, the "New" divider)
)

// placement is where the view goes after a change.
type placement struct {
	kind placeKind
	key  string  // placeAnchor, placeRow: the row
	off  float64 // placeAnchor: the row's top minus the view's top
	top  bool    // placeRow: at the top of the view, not in the middle
}

// capture notes where the reader is, from the DOM as it is now, or the
// placement still waiting to be applied: until it is, the DOM says where
// the reader was before the last change, not where they are going.
func (c *MessageList) capture() placement {
	if c.placing {
		return c.pending
	}
	if c.atBottom || c.win.empty() {
		return placement{kind: placeBottom}
	}
	if el := listElement(); el.Truthy() {
		c.win.viewport(el.Get("scrollTop").Float(), el.Get("clientHeight").Float())
	}
	if c.win.empty() {
		return placement{kind: placeBottom}
	}
	// A message, not a day or "Seen by" row: those move or are renamed
	// when older messages arrive (the day's first message changes).
	w := &c.win
	i := rowAt(w.offs, w.top)
	for j := i; j < len(c.rows) && w.offs[j] < w.top+w.height; j++ {
		if c.rows[j].Kind == rowMsg {
			i = j
			break
		}
	}
	return placement{kind: placeAnchor, key: w.keys[i], off: w.offs[i] - w.top}
}

// viewTop is where the view starts, in list coordinates, for p.
func (c *MessageList) viewTop(p placement) float64 {
	w := &c.win
	switch p.kind {
	case placeBottom:
		return max(0, w.total()-w.height)
	case placeRow:
		top, h, ok := w.rowTop(p.key)
		if !ok {
			return w.top
		}
		if p.top {
			return max(0, top-8)
		}
		return max(0, top-(w.height-h)/2)
	}
	top, _, ok := w.rowTop(p.key)
	if !ok {
		return w.top
	}
	return top - p.off
}

// settle picks the rows to draw for p.
func (c *MessageList) settle(p placement) {
	if c.win.height <= 0 {
		c.win.height = 800 // before the first layout: about a screen
		if el := listElement(); el.Truthy() {
			c.win.height = max(el.Get("clientHeight").Float(), 1)
		}
	}
	c.win.settle(c.viewTop(p), p.kind == placeBottom)
}

// after runs once the DOM shows the change: it measures the rows drawn,
// places the view, and draws again when the measured heights or the
// placement left the viewport uncovered (rarely more than once: heights
// are cached).
func (c *MessageList) after(ctx app.Context) {
	el := listElement()
	if !c.placing || !el.Truthy() {
		return
	}
	p := c.pending
	c.placing = false
	stale := c.measure()
	if p.kind == placeBottom {
		el.Set("scrollTop", el.Get("scrollHeight").Float())
	} else {
		el.Set("scrollTop", c.win.base+c.viewTop(p))
	}
	c.win.viewport(el.Get("scrollTop").Float(), el.Get("clientHeight").Float())
	c.atBottom = nearBottom(el)
	c.endGap = bottomGap(el)
	// Drawn again at once when the spacers are stale: a redraw without a
	// placement (the count on "Jump to latest" changing) would move the
	// rows by the difference.
	if stale || !c.win.coversView() {
		self := c.dispatcher(ctx)
		self.Dispatch(func(ctx app.Context) {
			q := c.capture()
			c.settle(q)
			c.place(ctx, q)
		})
	}
	c.markShown()
	c.reportViewing()
	if c.maybeLoadOlder(ctx) {
		c.dispatcher(ctx).Dispatch(c.replace) // draw "Loading older messages…"
	}
}

// replace draws a change of the list's own state (its top row, an
// answer) with the reader's place kept, as a change of the messages is:
// a redraw without a placement moves the rows by any change of height
// above them.
func (c *MessageList) replace(ctx app.Context) {
	p := c.capture()
	c.settle(p)
	c.place(ctx, p)
}

// measure reads where the DOM laid out the rows drawn: the list's children
// are the history row, the top spacer, the rows, the bottom spacer. It
// reports whether the spacers no longer stand for the rows' heights as
// measured now (see window.rebase), so must be drawn again.
//
// Each read is a call out of wasm and may force a layout, so it reads the
// rows never measured (a live message: one) and where the rows start and
// end; only when the rows measured before no longer add up to that (a row
// grew: a reaction, an edit) does it read every row again.
func (c *MessageList) measure() (stale bool) {
	ol := app.Window().GetElementByID("msgs-list")
	if !ol.Truthy() {
		return false
	}
	kids := ol.Get("children")
	w := &c.win
	n := w.hi - w.lo
	if kids.Length() != n+3 {
		return false // not this render's DOM
	}
	tops := make([]float64, n+1)
	read := make([]bool, n+1)
	top := func(j int) float64 {
		if !read[j] {
			tops[j], read[j] = kids.Index(j+2).Get("offsetTop").Float(), true
		}
		return tops[j]
	}
	start, end := top(0), top(n)
	sum := 0.0
	for i := w.lo; i < w.hi; i++ {
		if h, ok := w.hs.h[w.keys[i]]; ok {
			sum += h
		} else {
			sum += top(i-w.lo+1) - top(i-w.lo)
		}
	}
	if math.Abs(end-start-sum) >= 0.5 {
		for j := range tops {
			top(j)
		}
	} else {
		// The heights known add up: the rows not read are where they say.
		for j := 1; j <= n; j++ {
			if !read[j] {
				tops[j] = tops[j-1] + w.hs.h[w.keys[w.lo+j-1]]
			}
		}
	}
	w.measured(tops)
	spacer := kids.Index(1)
	drawn, err := strconv.ParseFloat(strings.TrimSuffix(spacer.Get("style").Get("height").String(), "px"), 64)
	if err != nil {
		drawn = w.above()
	}
	return w.rebase(spacer.Get("offsetTop").Float(), drawn)
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// place runs after once this change is drawn, with the latest placement
// asked for: several changes may come before one is drawn. It defers
// through the list's own context: go-app skips a deferred function whose
// source element is gone, and "Jump to latest", whose click asks for it,
// is gone once drawn.
func (c *MessageList) place(ctx app.Context, p placement) {
	c.pending, c.placing = p, true
	c.dispatcher(ctx).Defer(c.after)
}
