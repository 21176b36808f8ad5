package ui

import (
	"fmt"
	"testing"
)

func testKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprint("s", i+1)
	}
	return keys
}

func TestHeightsEstimateAndOffsets(t *testing.T) {
	var hs heights
	keys := testKeys(4)
	if got := hs.offsets(keys)[4]; got != 4*defaultRowHeight {
		t.Fatalf("unmeasured total %v", got)
	}
	if !hs.set("s1", 100) || hs.set("s1", 100) {
		t.Fatal("set reports changes wrongly")
	}
	hs.set("s2", 20)
	offs := hs.offsets(keys)
	// s3 and s4 count as the average of the measured, 60.
	if want := []float64{0, 100, 120, 180, 240}; fmt.Sprint(offs) != fmt.Sprint(want) {
		t.Fatalf("offsets %v, want %v", offs, want)
	}
	hs.set("s1", 40) // a row re-measured replaces its height in the average
	if hs.estimate() != 30 {
		t.Fatalf("estimate %v after a re-measure, want 30", hs.estimate())
	}
}

// The window covers the viewport plus overscan, is capped, and stays put
// for a small scroll; it is flat in the number of rows.
func TestPickWindow(t *testing.T) {
	var hs heights
	for _, n := range []int{5000, 50000} {
		offs := hs.offsets(testKeys(n))
		total := offs[n]
		lo, hi := pickWindow(offs, total-800, 800) // at the bottom
		if hi != n || hi-lo > maxWindow || offs[lo] > total-800-400 {
			t.Fatalf("%d rows, at the bottom: window %d..%d", n, lo, hi)
		}
		if !covers(offs, lo, hi, total-800-50, 800) {
			t.Errorf("%d rows: a 50 px scroll left the window", n)
		}
		if covers(offs, lo, hi, total/2, 800) {
			t.Errorf("%d rows: the middle is covered by the bottom window", n)
		}
		lo, hi = pickWindow(offs, 0, 800)
		if lo != 0 || float64(hi) < 800/defaultRowHeight || hi-lo > maxWindow {
			t.Errorf("%d rows, at the top: window %d..%d", n, lo, hi)
		}
		lo, hi = pickWindow(offs, 0, 1e6) // a huge viewport is capped
		if hi-lo != maxWindow {
			t.Errorf("%d rows, huge viewport: %d rows drawn", n, hi-lo)
		}
	}
	if lo, hi := pickWindow([]float64{0}, 0, 800); lo != 0 || hi != 0 {
		t.Fatalf("no rows: %d..%d", lo, hi)
	}
}

// The window stays on the rows it drew when older rows are prepended and
// newer ones appended, and following the bottom extends it by the new rows
// alone until it outgrows maxWindow.
func TestWindowKeepsItsRows(t *testing.T) {
	var w window
	w.height = 600
	keys := testKeys(1000)
	w.setRows(keys[500:])
	w.settle(w.total()-600, true)
	lo, hi := w.loKey, w.hiKey
	if w.hi != 500 || w.hi-w.lo > maxWindow {
		t.Fatalf("bottom window %d..%d of 500", w.lo, w.hi)
	}
	w.setRows(keys[400:]) // an older page
	if w.loKey != lo || w.hiKey != hi || w.lo < 100 {
		t.Fatalf("after a prepend the window is %s..%s (%d..%d), was %s..%s", w.loKey, w.hiKey, w.lo, w.hi, lo, hi)
	}
	more := append(append([]string{}, keys[400:]...), "s1001")
	w.setRows(more) // a new message while not following: not drawn
	if w.hiKey != hi {
		t.Fatalf("a new message while reading moved the window to %s", w.hiKey)
	}
	before := w.lo
	w.settle(w.total()-600, true) // following: one more row
	if w.lo != before || w.hi != len(more) {
		t.Fatalf("following drew %d..%d, want %d..%d", w.lo, w.hi, before, len(more))
	}
	// Measuring the drawn rows replaces their estimates.
	tops := make([]float64, w.hi-w.lo+1)
	for i := range tops {
		tops[i] = float64(i) * 30
	}
	if !w.measured(tops) || w.hs.get(w.keys[w.lo]) != 30 || w.below() != 0 {
		t.Fatalf("measured: %v below %v", w.hs.get(w.keys[w.lo]), w.below())
	}
}

// A list that drew nothing yet (the conversation's first page arrives
// while it opens at the bottom) draws the rows near the viewport, not every
// row from the first to the newest.
func TestFirstPageDrawsAWindow(t *testing.T) {
	for _, n := range []int{1, 30, 100, 200, maxWindow} {
		t.Run(fmt.Sprint(n, " rows"), func(t *testing.T) {
			var w window
			w.height = 600
			w.setRows(testKeys(n))
			w.settle(w.total()-600, true)
			want := min(n, (600+2*600)/int(defaultRowHeight)+2)
			if w.hi != n || w.hi-w.lo > want {
				t.Fatalf("window %d..%d of %d rows, want the last %d at most", w.lo, w.hi, n, want)
			}
			if !w.coversView() {
				t.Fatalf("window %d..%d does not cover the view", w.lo, w.hi)
			}
		})
	}
}

// Following the bottom while rows arrive in batches (a conversation
// opening takes its newest messages a replay page at a time) keeps the
// rows drawn near the view: a window kept on the first batch's rows would
// draw every row since.
func TestFollowingBatchesKeepsTheWindowSmall(t *testing.T) {
	var w window
	w.height = 600
	keys := testKeys(1000)
	for n := 100; n <= 220; n += 30 {
		w.setRows(keys[:n])
		w.settle(w.total()-600, true)
		if w.hi != n || w.offs[w.lo] < w.top-2*overscanPad(600) {
			t.Fatalf("%d rows: window %d..%d draws from %.0f px above the view", n, w.lo, w.hi, w.top-w.offs[w.lo])
		}
		if !w.coversView() {
			t.Fatalf("%d rows: window %d..%d does not cover the view", n, w.lo, w.hi)
		}
	}
}

// A fresh page opened far down a long cached conversation: the first rows
// measured change the estimate for the thousands above them, whose spacer
// is still drawn at the old one. A view placed at a drawn row lands on it
// in the DOM, not past the end of the content.
func TestPlacingAfterTheEstimateChanged(t *testing.T) {
	var w window
	w.height = 600
	keys := testKeys(5000)
	w.setRows(keys)
	target := w.index["s4960"]
	top, _, _ := w.rowTop("s4960")
	w.settle(top, false)
	if w.lo > target || w.hi <= target {
		t.Fatalf("window %d..%d misses row %d", w.lo, w.hi, target)
	}
	const spacerTop = 10.0 // the history row above it
	drawnAbove := w.above()
	tops := make([]float64, w.hi-w.lo+1) // the rows drawn are 62px high
	for i := range tops {
		tops[i] = spacerTop + drawnAbove + float64(i)*62
	}
	if !w.measured(tops) {
		t.Fatal("measuring reports no change")
	}
	if !w.rebase(spacerTop, drawnAbove) {
		t.Fatal("the spacer drawn at the old estimate is not reported stale")
	}
	at, _, _ := w.rowTop("s4960")
	if got, want := w.base+at, tops[target-w.lo]; got != want {
		t.Fatalf("row s4960 placed at %v in the content, the DOM has it at %v", got, want)
	}
	// Once the spacer is drawn at the new estimate, its top is the base.
	if w.rebase(spacerTop, w.above()) || w.base != spacerTop {
		t.Fatalf("base %v with the spacer drawn current, want %v", w.base, spacerTop)
	}
}
