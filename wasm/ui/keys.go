package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// keyGuard cancels the browser's default action for some keys of one
// element, synchronously inside the keydown (and keypress). go-app runs Go
// event handlers from its own queue, which can run after the browser acted
// (the UI goroutine was waiting on IndexedDB, say): a PreventDefault there
// comes too late, and Enter types a newline into a refused message or
// submits the form around a search box. The Go handler still decides what
// the key does; the guard only makes sure the browser does nothing else.
//
// It also notes the element's value on each guarded keydown event (see
// valueAtKey): by the time the Go handler runs, the person may have typed
// on, and what Enter sends is what was in the box when they pressed it.
type keyGuard struct {
	fn app.Func
	el app.Value
}

// keyValueProp is the property the guard sets on a keydown event.
const keyValueProp = "natterValueAtKey"

// attach starts guarding the element with the id, after the current render
// (the element must exist), for the keys match accepts.
func (g *keyGuard) attach(ctx app.Context, id string, match func(e app.Value) bool) {
	g.fn = app.FuncOf(func(this app.Value, args []app.Value) any {
		if len(args) > 0 && match(args[0]) {
			args[0].Call("preventDefault")
			if args[0].Get("type").String() == "keydown" {
				args[0].Set(keyValueProp, args[0].Get("target").Get("value"))
			}
		}
		return nil
	})
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID(id); el.Truthy() && g.fn != nil {
			g.el = el
			// keypress too: where it comes on its own (synthetic input,
			// some keyboards), it is what inserts the newline or submits.
			// Capture phase: at the target, capture listeners run before
			// go-app's, whose Go handler may run inside its listener and
			// must find the value noted.
			el.Call("addEventListener", "keydown", g.fn, true)
			el.Call("addEventListener", "keypress", g.fn, true)
		}
	})
}

// valueAtKey returns the element's value when the key of this keydown went
// down, as a guard noted it on the event itself; ok is false when no guard
// saw the event.
func valueAtKey(e app.Event) (value string, ok bool) {
	v := e.Get(keyValueProp)
	if v.Type() != app.TypeString {
		return "", false
	}
	return v.String(), true
}

// release stops guarding; call it from OnDismount.
func (g *keyGuard) release() {
	if g.fn == nil {
		return
	}
	if g.el != nil && g.el.Truthy() {
		g.el.Call("removeEventListener", "keydown", g.fn, true)
		g.el.Call("removeEventListener", "keypress", g.fn, true)
	}
	g.fn.Release()
	g.fn, g.el = nil, nil
}

// isSendKey reports whether a keydown is the Enter that sends or picks:
// not with Shift, not while an input method is composing.
func isSendKey(e app.Value) bool {
	return e.Get("key").String() == "Enter" && !e.Get("shiftKey").Truthy() && !e.Get("isComposing").Truthy()
}

// isPickerKey reports whether a keydown in a search box is one the picker
// handles itself: Enter picks (never submits the form), the arrows move
// through the results (never the caret).
func isPickerKey(e app.Value) bool {
	switch e.Get("key").String() {
	case "Enter", "ArrowUp", "ArrowDown":
		return !e.Get("isComposing").Truthy()
	}
	return false
}
