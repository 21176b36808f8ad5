//go:build js && wasm

package browser

import (
	"encoding/json"
	"syscall/js"

	"natter/wasm/client"
)

// What a sign-out or a revocation clears in the browser, besides the
// engine's IndexedDB buckets (client.Engine.Forget):
//
//   - sessionStorage: the resume token, and anything else of this tab;
//   - the notifications still shown, which quote messages;
//   - the other tabs' memory: they are told on SessionChannel and wipe too.
//
// Cache Storage is left alone on purpose: the service worker (sw.js) caches
// only the app shell, precached at install (the page routes as the server
// renders them, with no user in them, the static assets and app.wasm); it
// never stores an API answer, /ws is network-only, and fetched responses are
// not added to the cache. Deleting it would only break the next offline
// start. localStorage holds only the device id (DeviceID), no user data.

// noticeKey is where the reason of the last sign-out waits in
// sessionStorage for the sign-in page, across the page load that follows.
const noticeKey = "natter.signed-out"

// ClearSessionStorage empties this tab's sessionStorage (the resume token).
func ClearSessionStorage() {
	_ = try(func() { global.Get("sessionStorage").Call("clear") })
}

// SetSignOutNotice keeps r for the sign-in page that the next page load
// shows. It lives in sessionStorage rather than in the URL so that a link
// cannot put made-up words on the sign-in page.
func SetSignOutNotice(r client.SignOut) {
	b, err := json.Marshal(r)
	if err != nil {
		return
	}
	_ = try(func() { global.Get("sessionStorage").Call("setItem", noticeKey, string(b)) })
}

// SignOutNotice returns the reason kept by SetSignOutNotice, if any.
func SignOutNotice() (client.SignOut, bool) {
	var v js.Value
	if try(func() { v = global.Get("sessionStorage").Call("getItem", noticeKey) }) != nil || v.Type() != js.TypeString {
		return client.SignOut{}, false
	}
	var r client.SignOut
	if json.Unmarshal([]byte(v.String()), &r) != nil || r.Code == "" {
		return client.SignOut{}, false
	}
	return r, true
}

// ClearSignOutNotice forgets the reason once someone signed in again.
func ClearSignOutNotice() {
	_ = try(func() { global.Get("sessionStorage").Call("removeItem", noticeKey) })
}

// CloseNotifications closes every notification this site still shows: they
// quote messages of the user who is gone. It blocks on the service worker's
// promises, so call it from a goroutine.
func CloseNotifications() {
	nav := global.Get("navigator")
	if !has(nav, "serviceWorker") {
		return
	}
	reg, err := await(nav.Get("serviceWorker").Call("getRegistration"))
	if err != nil || reg.Type() != js.TypeObject || !has(reg, "getNotifications") {
		return
	}
	list, err := await(reg.Call("getNotifications"))
	if err != nil || list.Type() != js.TypeObject {
		return
	}
	for i := 0; i < list.Length(); i++ {
		_ = try(func() { list.Index(i).Call("close") })
	}
}

// SessionChannelName is the BroadcastChannel on which a tab that learned
// the session is gone tells the user's other tabs, so they wipe and show
// sign-in too, even when they are not connected themselves.
const SessionChannelName = "natter-session"

// SessionChannel carries sign-outs between the tabs of this origin. A zero
// one (no BroadcastChannel) does nothing; the other tabs then learn from
// their own connection.
type SessionChannel struct {
	bc js.Value
	fn js.Func
}

// OpenSessionChannel joins SessionChannelName; onSignedOut runs on its own
// goroutine, with FromTab set, when another tab announces a sign-out. Wire
// it to Engine.Forget.
func OpenSessionChannel(onSignedOut func(client.SignOut)) *SessionChannel {
	ctor := global.Get("BroadcastChannel")
	if ctor.IsUndefined() {
		return &SessionChannel{}
	}
	c := &SessionChannel{bc: ctor.New(SessionChannelName)}
	c.fn = js.FuncOf(func(_ js.Value, args []js.Value) any {
		d := arg0(args).Get("data")
		if d.Type() != js.TypeString {
			return nil
		}
		var r client.SignOut
		if json.Unmarshal([]byte(d.String()), &r) != nil || r.Code == "" {
			return nil
		}
		r.FromTab = true
		go onSignedOut(r)
		return nil
	})
	c.bc.Set("onmessage", c.fn)
	return c
}

// Announce tells the other tabs (never this one) that the user is signed
// out, and why.
func (c *SessionChannel) Announce(r client.SignOut) {
	if c == nil || c.bc.Type() != js.TypeObject {
		return
	}
	b, err := json.Marshal(r)
	if err != nil {
		return
	}
	_ = try(func() { c.bc.Call("postMessage", string(b)) })
}
