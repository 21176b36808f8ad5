package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// searchKeys listens for the search shortcuts, / and Ctrl+K (⌘K), while
// the sidebar's search box exists: the sidebar's box takes the focus where
// it shows, a conversation's own box on a phone, where the conversation
// fills the screen.
type searchKeys struct {
	fn app.Func
}

func (k *searchKeys) attach() {
	k.fn = app.FuncOf(func(this app.Value, args []app.Value) any {
		if len(args) > 0 && isSearchShortcut(args[0]) {
			args[0].Call("preventDefault")
			focusSearch()
		}
		return nil
	})
	app.Window().Get("document").Call("addEventListener", "keydown", k.fn)
}

func (k *searchKeys) release() {
	if k.fn == nil {
		return
	}
	app.Window().Get("document").Call("removeEventListener", "keydown", k.fn)
	k.fn.Release()
	k.fn = nil
}

// isSearchShortcut reports / outside a text field, and Ctrl+K or ⌘K
// anywhere.
func isSearchShortcut(e app.Value) bool {
	key := e.Get("key").String()
	if (e.Get("ctrlKey").Truthy() || e.Get("metaKey").Truthy()) && strings.EqualFold(key, "k") {
		return true
	}
	if key != "/" || e.Get("ctrlKey").Truthy() || e.Get("metaKey").Truthy() || e.Get("altKey").Truthy() {
		return false
	}
	t := e.Get("target")
	if !t.Truthy() {
		return true
	}
	tag := strings.ToLower(t.Get("tagName").String())
	return tag != "input" && tag != "textarea" && tag != "select" && !t.Get("isContentEditable").Truthy()
}

// focusSearch focuses the search box the person can see: a conversation's
// open one, else the sidebar's, else it opens the conversation's.
func focusSearch() {
	for _, id := range []string{"conv-search-input", "search-input"} {
		if el := app.Window().GetElementByID(id); el.Truthy() && el.Get("offsetParent").Truthy() {
			el.Call("focus")
			el.Call("select")
			return
		}
	}
	if b := app.Window().GetElementByID("conv-search"); b.Truthy() {
		b.Call("click")
	}
}
