//go:build js && wasm

package browser

import "syscall/js"

// Online reports navigator.onLine (true when the browser cannot tell).
func Online() bool {
	nav := global.Get("navigator")
	if !has(nav, "onLine") {
		return true
	}
	return nav.Get("onLine").Bool()
}

// Visible reports whether the page is visible (document.visibilityState).
func Visible() bool {
	doc := global.Get("document")
	return !has(doc, "visibilityState") || doc.Get("visibilityState").String() == "visible"
}

// listen adds an event listener whose Go handler runs on its own goroutine,
// and returns the function that removes it.
func listen(target js.Value, event string, fn func()) (release func()) {
	f := js.FuncOf(func(js.Value, []js.Value) any {
		go fn()
		return nil
	})
	target.Call("addEventListener", event, f)
	return func() {
		target.Call("removeEventListener", event, f)
		f.Release()
	}
}

// OnOnline calls fn(online) on the window's online and offline events: wire
// it to Engine.SetOnline.
func OnOnline(fn func(online bool)) (release func()) {
	r1 := listen(global, "online", func() { fn(true) })
	r2 := listen(global, "offline", func() { fn(false) })
	return func() { r1(); r2() }
}

// OnVisibility calls fn(visible) when the page is shown or hidden: on
// visible call Engine.RetryNow (a phone may have slept), on hidden
// Engine.Flush (a hidden tab may be killed without warning).
func OnVisibility(fn func(visible bool)) (release func()) {
	doc := global.Get("document")
	r1 := listen(doc, "visibilitychange", func() { fn(Visible()) })
	// pagehide covers closing and bfcache on browsers that skip
	// visibilitychange there.
	r2 := listen(global, "pagehide", func() { fn(false) })
	return func() { r1(); r2() }
}

// WebSocketURL returns the address of the server's WebSocket for the page's
// own origin: wss: under https:, ws: otherwise.
func WebSocketURL(path string) string {
	loc := global.Get("location")
	scheme := "ws:"
	if loc.Get("protocol").String() == "https:" {
		scheme = "wss:"
	}
	return scheme + "//" + loc.Get("host").String() + path
}
