//go:build js

package client

import (
	"syscall/js"
	"time"
)

// idleWait bounds how long pause waits for the browser to be idle: a page
// that is never idle still gets its flush written, a slice at a time.
const idleWait = 50 * time.Millisecond

// pause hands the thread back to the browser until it is idle
// (requestIdleCallback), at most idleWait: a flush is background work. It
// used to resume a millisecond later (time.Sleep), whatever the page was
// doing, and so took four fifths of the thread from the frames drawn
// meanwhile: an older page scrolled to while the conversation's first
// flush ran took its slices in turn with them. Where requestIdleCallback
// is missing (Safari), it sleeps a millisecond as before.
//
// A hidden page does not pause at all: nothing is drawn, its timers are
// throttled to a second or more, and its flush (OnVisibility) races the
// page's end.
func pause() {
	if doc := js.Global().Get("document"); doc.Truthy() && doc.Get("hidden").Truthy() {
		return
	}
	ric := js.Global().Get("requestIdleCallback")
	if ric.Type() != js.TypeFunction {
		time.Sleep(time.Millisecond)
		return
	}
	done := make(chan struct{})
	f := js.FuncOf(func(js.Value, []js.Value) any {
		close(done)
		return nil
	})
	defer f.Release()
	ric.Invoke(f, map[string]any{"timeout": idleWait.Milliseconds()})
	<-done
}
