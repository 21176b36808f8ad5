package ui

import (
	"math"
	"sort"
)

// Windowing: the message list draws only the rows in and near the
// viewport, between two spacers whose heights are the sums of the rows
// they stand for, so the scrollbar stays honest. Rows have variable
// heights; each is measured once drawn and cached by its key, and rows
// never drawn count as the average measured so far. This file is the
// arithmetic, plain Go tested natively; msglist.go reads the DOM.

const (
	// defaultRowHeight is what a row counts as before any row was measured.
	defaultRowHeight = 48.0
	// overscan is how far beyond the viewport, in viewports, rows are
	// drawn, so a fast scroll does not outrun them.
	overscan = 1.0
	// maxWindow caps the rows drawn at once, whatever the estimates say:
	// the DOM holds a few hundred rows at most.
	maxWindow = 240
)

// heights is the cache of measured row heights, by row key, in CSS pixels.
type heights struct {
	h   map[string]float64
	sum float64 // of the measured heights, for the estimate
}

// get returns the measured height of the row with key k, or the estimate.
func (hs *heights) get(k string) float64 {
	if v, ok := hs.h[k]; ok {
		return v
	}
	return hs.estimate()
}

// estimate is what a row never drawn counts as: the average of the rows
// measured so far.
func (hs *heights) estimate() float64 {
	if len(hs.h) == 0 {
		return defaultRowHeight
	}
	return hs.sum / float64(len(hs.h))
}

// set records a measured height and reports whether it changed.
func (hs *heights) set(k string, v float64) bool {
	if hs.h == nil {
		hs.h = map[string]float64{}
	}
	old, ok := hs.h[k]
	if ok && old == v {
		return false
	}
	hs.sum += v - old
	hs.h[k] = v
	return true
}

// offsets returns where each row starts, relative to the first, and as a
// last element where the last one ends: len(keys)+1 values.
func (hs *heights) offsets(keys []string) []float64 {
	offs := make([]float64, len(keys)+1)
	est := hs.estimate()
	for i, k := range keys {
		v, ok := hs.h[k]
		if !ok {
			v = est
		}
		offs[i+1] = offs[i] + v
	}
	return offs
}

// rowAt returns the index of the row that covers position y (clamped to
// the rows), given the offsets.
func rowAt(offs []float64, y float64) int {
	n := len(offs) - 1
	if n <= 0 {
		return 0
	}
	i := sort.Search(n, func(i int) bool { return offs[i+1] > y })
	return min(i, n-1)
}

// pickWindow returns the rows [lo, hi) to draw for a viewport from top to
// top+height: the rows it shows plus overscan viewports either side,
// capped at maxWindow rows around the viewport's middle.
func pickWindow(offs []float64, top, height float64) (lo, hi int) {
	n := len(offs) - 1
	if n <= 0 {
		return 0, 0
	}
	pad := overscanPad(height)
	lo = rowAt(offs, top-pad)
	hi = rowAt(offs, top+height+pad) + 1
	if hi-lo > maxWindow {
		mid := rowAt(offs, top+height/2)
		lo = max(0, min(mid-maxWindow/2, n-maxWindow))
		hi = min(n, lo+maxWindow)
	}
	return lo, hi
}

// overscanPad is how far beyond a viewport of height rows are drawn.
func overscanPad(height float64) float64 { return max(height*overscan, 400) }

// covers reports whether the drawn rows [lo, hi) still cover the viewport
// with half the overscan to spare on each side that has more rows, so
// small scrolls draw nothing new.
func covers(offs []float64, lo, hi int, top, height float64) bool {
	n := len(offs) - 1
	if hi <= lo {
		return n == 0
	}
	pad := overscanPad(height) / 2
	if lo > 0 && offs[lo] > top-pad {
		return false
	}
	if hi < n && offs[hi] < top+height+pad {
		return false
	}
	return true
}

// window is the list's drawing state: the rows' keys, their offsets, the
// rows drawn [lo, hi), and the viewport in list coordinates (0 is the top
// of the first row).
type window struct {
	keys   []string
	index  map[string]int
	hs     heights
	offs   []float64
	lo, hi int
	// loKey and hiKey name the first and last row drawn, so the window
	// stays on the same rows when rows are added before or after it.
	loKey, hiKey string
	top, height  float64
	base         float64 // where the first row starts in the scrolled content
}

// setRows takes a new layout and keeps the window on the rows it drew.
func (w *window) setRows(keys []string) {
	w.keys = keys
	if w.index == nil {
		w.index = make(map[string]int, len(keys))
	} else {
		clear(w.index)
	}
	for i, k := range keys {
		w.index[k] = i
	}
	w.offs = w.hs.offsets(keys)
	n := len(keys)
	lo, okLo := w.index[w.loKey]
	hi, okHi := w.index[w.hiKey]
	switch {
	case okLo && okHi && hi >= lo:
		w.set(lo, hi+1)
	case okLo:
		w.set(lo, min(n, lo+(w.hi-w.lo)))
	case okHi:
		w.set(max(0, hi+1-(w.hi-w.lo)), hi+1)
	default:
		w.set(min(w.lo, n), min(w.hi, n))
	}
}

// set draws rows [lo, hi).
func (w *window) set(lo, hi int) {
	w.lo, w.hi = lo, max(lo, hi)
	w.loKey, w.hiKey = "", ""
	if w.hi > w.lo {
		w.loKey, w.hiKey = w.keys[w.lo], w.keys[w.hi-1]
	}
}

func (w *window) empty() bool { return len(w.keys) == 0 }

// total is the height of all rows.
func (w *window) total() float64 {
	if len(w.offs) == 0 {
		return 0 // before the first layout: go-app renders before OnMount
	}
	return w.offs[len(w.offs)-1]
}

// above and below are the heights the spacers stand for.
func (w *window) above() float64 {
	if w.lo >= len(w.offs) {
		return 0
	}
	return w.offs[w.lo]
}

func (w *window) below() float64 {
	if w.hi >= len(w.offs) {
		return 0
	}
	return w.total() - w.offs[w.hi]
}

// viewport records where the list is scrolled to.
func (w *window) viewport(scrollTop, height float64) {
	w.top, w.height = scrollTop-w.base, height
}

// coversView reports whether the rows drawn still cover the viewport.
func (w *window) coversView() bool { return covers(w.offs, w.lo, w.hi, w.top, w.height) }

// settle makes the window cover a viewport starting at top: it keeps the
// rows drawn when they still do (extended to the end when following the
// bottom), so appending a message draws one row, not a new window.
//
// Following the bottom extends the window only while the rows it draws
// above the view stay within twice the overscan: a conversation opening
// takes its newest messages in batches of tens, and a window kept on the
// first batch's rows drew them all (over a hundred rows where a screen
// and its overscan hold about twenty), each laid out with the rest and
// taken out of the DOM again by the first older page. A window that drew
// nothing is not extended either: from row 0 to the end it would draw
// every row of the first page.
func (w *window) settle(top float64, toEnd bool) {
	w.top = max(0, top)
	lo, hi := w.lo, w.hi
	if toEnd && hi > lo {
		hi = len(w.keys)
		if lo < len(w.offs) && w.offs[lo] < w.top-2*overscanPad(w.height) {
			hi = lo // drawn too far above the view: a fresh window
		}
	}
	if hi <= lo || hi-lo > maxWindow || !covers(w.offs, lo, hi, w.top, w.height) {
		lo, hi = pickWindow(w.offs, w.top, w.height)
	}
	w.set(lo, hi)
}

// rebase sets where list coordinate 0 lies in the scrolled content, from
// where the DOM put the top spacer and the height it was drawn with, after
// measured. That is the spacer's top while the spacer stands for the rows
// above at the heights the offsets now give them. Measuring changes the
// estimate every row never drawn counts as, though, and so the offsets of
// the rows drawn below them, while the spacer keeps the height it was
// drawn with until the next render: on a fresh page the first rows
// measured at 62px instead of the 48 assumed move the 5,000th row down by
// 70,000px, and a view placed at it from the spacer's top lands past the
// end of the content. Until the spacers are drawn again, the rows drawn
// are where the DOM has them: coordinate 0 is that much higher. It reports
// whether the spacers are stale so.
func (w *window) rebase(spacerTop, spacerHeight float64) (stale bool) {
	w.base = spacerTop
	if d := w.above() - spacerHeight; math.Abs(d) >= 1 {
		w.base = spacerTop - d
		return true
	}
	return false
}

// rowTop returns where the row with key k starts, and whether it exists.
func (w *window) rowTop(k string) (top, height float64, ok bool) {
	i, ok := w.index[k]
	if !ok {
		return 0, 0, false
	}
	return w.offs[i], w.offs[i+1] - w.offs[i], true
}

// measured records the tops of the rows drawn, as the DOM laid them out
// (len hi-lo+1: the last is where the bottom spacer starts), and reports
// whether any height changed.
func (w *window) measured(tops []float64) bool {
	if len(tops) != w.hi-w.lo+1 {
		return false
	}
	changed := false
	for i := w.lo; i < w.hi; i++ {
		if h := tops[i-w.lo+1] - tops[i-w.lo]; h >= 0 && w.hs.set(w.keys[i], h) {
			changed = true
		}
	}
	if changed {
		w.offs = w.hs.offsets(w.keys)
	}
	return changed
}

// appendRows adds rows after the last one, at their measured or estimated
// heights: O(len(keys)), whatever the history held.
func (w *window) appendRows(keys []string) {
	if w.index == nil {
		w.index = make(map[string]int, len(keys))
	}
	if len(w.offs) == 0 {
		w.offs = []float64{0}
	}
	end := w.offs[len(w.offs)-1]
	for _, k := range keys {
		w.index[k] = len(w.keys)
		w.keys = append(w.keys, k)
		end += w.hs.get(k)
		w.offs = append(w.offs, end)
	}
}
