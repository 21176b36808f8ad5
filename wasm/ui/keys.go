package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// keyGuard cancels the browser's default action for some keys of one
// element, synchronously inside the keydown (and keypress). go-app runs Go event handlers
// from its own queue, which can run after the browser has already acted
// (the UI goroutine was waiting on IndexedDB, say): a PreventDefault there
// comes too late, and Enter types a newline into a refused message or
// submits the form around a search box. The Go handler still decides what
// the key does; the guard only makes sure the browser does nothing else.
type keyGuard struct {
	fn app.Func
	el app.Value
}

// attach starts guarding the element with the id, after the current render
// (the element must exist), for the keys match accepts.
func (g *keyGuard) attach(ctx app.Context, id string, match func(e app.Value) bool) {
	g.fn = app.FuncOf(func(this app.Value, args []app.Value) any {
		if len(args) > 0 && match(args[0]) {
			args[0].Call("preventDefault")
		}
		return nil
	})
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID(id); el.Truthy() && g.fn != nil {
			g.el = el
			// keypress too: where it comes on its own (synthetic input,
			// some keyboards), it is what inserts the newline or submits.
			el.Call("addEventListener", "keydown", g.fn)
			el.Call("addEventListener", "keypress", g.fn)
		}
	})
}

// release stops guarding; call it from OnDismount.
func (g *keyGuard) release() {
	if g.fn == nil {
		return
	}
	if g.el != nil && g.el.Truthy() {
		g.el.Call("removeEventListener", "keydown", g.fn)
		g.el.Call("removeEventListener", "keypress", g.fn)
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
