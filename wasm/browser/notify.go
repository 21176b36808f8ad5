//go:build js && wasm

package browser

import (
	"sync"
	"syscall/js"
)

// Permission returns Notification.permission: "granted", "denied",
// "default", or "unsupported" when the browser has no notifications.
//
// The answer is kept: reading Notification.permission is a synchronous
// round trip to Chromium's browser process (several milliseconds, more on
// a busy machine), and the sidebar asks on every render. The kept answer is
// dropped when the page becomes visible again (the person may have changed
// the setting meanwhile) and after RequestPermission.
func Permission() string {
	perm.Lock()
	defer perm.Unlock()
	if perm.known {
		return perm.value
	}
	if !perm.watching {
		perm.watching = true
		watchPermission()
	}
	perm.value, perm.known = permissionNow(), true
	return perm.value
}

var perm struct {
	sync.Mutex
	value           string
	known, watching bool
}

func permissionNow() string {
	n := global.Get("Notification")
	if n.IsUndefined() {
		return "unsupported"
	}
	return n.Get("permission").String()
}

// forgetPermission makes the next Permission ask the browser.
func forgetPermission() {
	perm.Lock()
	perm.known = false
	perm.Unlock()
}

// watchPermission drops the kept permission when the page becomes visible
// again. Not on the Permissions API's change event: a permission granted
// while the page is on screen (the browser's prompt, or a test granting it
// before clicking "Enable notifications") is picked up by the request that
// follows, and a re-render in between must not take the button away from
// under the click. Its callback lives as long as the page.
func watchPermission() {
	forget := js.FuncOf(func(js.Value, []js.Value) any {
		forgetPermission()
		return nil
	})
	global.Get("document").Call("addEventListener", "visibilitychange", forget)
}

// RequestPermission asks the user and returns the new Permission. It blocks
// until the user answers the prompt, so the UI must call it from a button's
// handler inside ctx.Async (browsers only prompt in response to a click, and
// blocking the UI goroutine would freeze the page).
func RequestPermission() string {
	n := global.Get("Notification")
	if n.IsUndefined() {
		return "unsupported"
	}
	defer forgetPermission()
	var p js.Value
	if err := try(func() { p = n.Call("requestPermission") }); err != nil {
		return Permission()
	}
	if p.Type() == js.TypeObject && has(p, "then") {
		if v, err := await(p); err == nil && v.Type() == js.TypeString {
			return v.String()
		}
	}
	return Permission()
}

var clickHandler func(path string)

// OnNotificationClick sets what a click on a notification made by the page
// itself (the fallback without a service worker) does after focusing the
// tab: typically app.Navigate(path). Notifications shown through the service
// worker are handled by its notificationclick handler, which uses the same
// data.path.
func OnNotificationClick(fn func(path string)) { clickHandler = fn }

// Notify shows a local notification without blocking: through the service
// worker registration when there is one (so it works like a push, with the
// tag collapsing a conversation's notifications and data.path the deep
// link), else with new Notification. It does nothing without permission;
// failures go to the console.
func Notify(title, body, tag, path string) {
	if Permission() != "granted" {
		return
	}
	opts := map[string]any{"body": body, "tag": tag, "renotify": tag != "", "data": map[string]any{"path": path}, "icon": "/web/icon-192.png"}
	go func() {
		sw := global.Get("navigator").Get("serviceWorker")
		if sw.Type() == js.TypeObject {
			if reg, err := await(sw.Call("getRegistration")); err == nil && reg.Type() == js.TypeObject {
				if _, err := await(reg.Call("showNotification", title, opts)); err == nil {
					return
				}
			}
		}
		err := try(func() {
			n := global.Get("Notification").New(title, opts)
			var click, closed js.Func
			click = js.FuncOf(func(js.Value, []js.Value) any {
				global.Call("focus")
				if h := clickHandler; h != nil {
					go h(path)
				}
				n.Call("close")
				return nil
			})
			closed = js.FuncOf(func(js.Value, []js.Value) any {
				click.Release()
				closed.Release()
				return nil
			})
			n.Set("onclick", click)
			n.Set("onclose", closed)
		})
		if err != nil {
			global.Get("console").Call("warn", "natter: notification:", err.Error())
		}
	}()
}
