//go:build js && wasm

package browser

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"syscall/js"

	"natter/shared"
)

// Web Push in the browser: PushManager through the service worker's
// registration. Every function here waits on promises, so the UI calls them
// inside ctx.Async (subscribing after a click: browsers refuse a
// permission prompt that no gesture started).

// errNoPush is returned where the browser has no service worker or no
// PushManager (Safari outside an installed app, for one).
var errNoPush = errors.New("this browser cannot receive push notifications")

// PushSupported reports whether this browser can subscribe to push.
func PushSupported() bool {
	nav := global.Get("navigator")
	return nav.Get("serviceWorker").Type() == js.TypeObject && global.Get("PushManager").Type() == js.TypeFunction
}

// pushManager waits for the active service worker and returns its
// PushManager.
func pushManager() (js.Value, error) {
	if !PushSupported() {
		return js.Undefined(), errNoPush
	}
	reg, err := await(global.Get("navigator").Get("serviceWorker").Get("ready"))
	if err != nil {
		return js.Undefined(), err
	}
	pm := reg.Get("pushManager")
	if pm.Type() != js.TypeObject {
		return js.Undefined(), errNoPush
	}
	return pm, nil
}

// PushSubscribe subscribes this device with the server's VAPID public key
// (base64url) and returns the subscription as the server takes it. An
// existing subscription made with another key (the operator rotated the
// keys) is dropped first, since the browser refuses to change the key in
// place.
func PushSubscribe(vapidKey string) (shared.PushSubscription, error) {
	var sub shared.PushSubscription
	pm, err := pushManager()
	if err != nil {
		return sub, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(vapidKey, "="))
	if err != nil {
		return sub, errors.New("the server's push key is malformed")
	}
	if cur, err := await(pm.Call("getSubscription")); err == nil && cur.Type() == js.TypeObject {
		if subscriptionKey(cur) != base64.RawURLEncoding.EncodeToString(raw) {
			_, _ = await(cur.Call("unsubscribe"))
		}
	}
	key := global.Get("Uint8Array").New(len(raw))
	js.CopyBytesToJS(key, raw)
	var p js.Value
	if err := try(func() {
		p = pm.Call("subscribe", map[string]any{"userVisibleOnly": true, "applicationServerKey": key})
	}); err != nil {
		return sub, err
	}
	s, err := await(p)
	if err != nil {
		return sub, err
	}
	return subscriptionOf(s)
}

// subscriptionKey is the applicationServerKey a subscription was made
// with, base64url, or "" when the browser does not say.
func subscriptionKey(s js.Value) string {
	opts := s.Get("options")
	if opts.Type() != js.TypeObject {
		return ""
	}
	k := opts.Get("applicationServerKey")
	if k.Type() != js.TypeObject {
		return ""
	}
	u8 := global.Get("Uint8Array").New(k)
	b := make([]byte, u8.Get("length").Int())
	js.CopyBytesToGo(b, u8)
	return base64.RawURLEncoding.EncodeToString(b)
}

// subscriptionOf converts a PushSubscription through its toJSON.
func subscriptionOf(s js.Value) (shared.PushSubscription, error) {
	var sub shared.PushSubscription
	j := global.Get("JSON").Call("stringify", s).String()
	if err := json.Unmarshal([]byte(j), &sub); err != nil || sub.Endpoint == "" {
		return sub, errors.New("the browser gave an unreadable push subscription")
	}
	return sub, nil
}

// PushCurrent returns this device's subscription and whether it has one
// made with vapidKey ("" accepts any key).
func PushCurrent(vapidKey string) (shared.PushSubscription, bool) {
	pm, err := pushManager()
	if err != nil {
		return shared.PushSubscription{}, false
	}
	cur, err := await(pm.Call("getSubscription"))
	if err != nil || cur.Type() != js.TypeObject {
		return shared.PushSubscription{}, false
	}
	if vapidKey != "" && subscriptionKey(cur) != strings.TrimRight(vapidKey, "=") {
		return shared.PushSubscription{}, false
	}
	sub, err := subscriptionOf(cur)
	return sub, err == nil
}

// PushUnsubscribe drops this device's subscription in the browser and
// returns its endpoint ("" when there was none), for the server to forget.
func PushUnsubscribe() string {
	pm, err := pushManager()
	if err != nil {
		return ""
	}
	cur, err := await(pm.Call("getSubscription"))
	if err != nil || cur.Type() != js.TypeObject {
		return ""
	}
	endpoint := cur.Get("endpoint").String()
	_, _ = await(cur.Call("unsubscribe"))
	return endpoint
}

// SetBadge shows n on the installed app's icon (navigator.setAppBadge),
// clearing it at 0. Browsers without badges ignore it.
func SetBadge(n int) {
	nav := global.Get("navigator")
	name := "setAppBadge"
	if n <= 0 {
		name = "clearAppBadge"
	}
	if nav.Get(name).Type() != js.TypeFunction {
		return
	}
	var p js.Value
	if err := try(func() {
		if n > 0 {
			p = nav.Call(name, n)
		} else {
			p = nav.Call(name)
		}
	}); err != nil || p.Type() != js.TypeObject {
		return
	}
	go func() { _, _ = await(p) }() // a refusal (no permission) is harmless
}

// DeviceLabel names this browser for the devices list, e.g. "Chrome on
// Android", from the user agent.
func DeviceLabel() string {
	ua := global.Get("navigator").Get("userAgent").String()
	browser := "Browser"
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	os := ""
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"}, {"Mac OS", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			os = o.name
			break
		}
	}
	if os == "" {
		return browser
	}
	return browser + " on " + os
}

// pushOffKey marks, in localStorage, that the person turned push off on
// this device: it is not subscribed again by itself at the next start.
const pushOffKey = "natter.push-off"

// PushOffByChoice reports whether the person turned push off here.
func PushOffByChoice() bool {
	var v js.Value
	return try(func() { v = global.Get("localStorage").Call("getItem", pushOffKey) }) == nil && v.Type() == js.TypeString
}

// SetPushOffByChoice records (or clears) that the person turned push off
// on this device.
func SetPushOffByChoice(off bool) {
	_ = try(func() {
		if off {
			global.Get("localStorage").Call("setItem", pushOffKey, "1")
		} else {
			global.Get("localStorage").Call("removeItem", pushOffKey)
		}
	})
}
