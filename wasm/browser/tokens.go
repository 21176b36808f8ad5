//go:build js && wasm

package browser

import (
	"crypto/rand"
	"encoding/hex"
	"syscall/js"

	"natter/wasm/client"
)

// SessionTokens keeps the sealed resume token in sessionStorage: it lives as
// long as the tab, survives reloads, and is not shared with other tabs,
// which each resume their own connection.
type SessionTokens struct{}

var _ client.TokenStore = SessionTokens{}

const tokenKey = "natter.resume"

// Get returns the token or "" (also when sessionStorage is refused).
func (SessionTokens) Get() string {
	var v js.Value
	if try(func() { v = global.Get("sessionStorage").Call("getItem", tokenKey) }) != nil || v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// Set stores the token; "" removes it. Failures are ignored: without a
// token the engine resumes with the session cookie.
func (SessionTokens) Set(tok string) {
	_ = try(func() {
		ss := global.Get("sessionStorage")
		if tok == "" {
			ss.Call("removeItem", tokenKey)
		} else {
			ss.Call("setItem", tokenKey, tok)
		}
	})
}

// DeviceID returns a random id for this browser profile, kept in
// localStorage, for client.Config.Device: the server tells a user's devices
// apart by it. Without localStorage it is new on every load.
func DeviceID() string {
	const key = "natter.device"
	var v js.Value
	if try(func() { v = global.Get("localStorage").Call("getItem", key) }) == nil && v.Type() == js.TypeString && v.String() != "" {
		return v.String()
	}
	b := make([]byte, 8)
	rand.Read(b)
	id := hex.EncodeToString(b)
	_ = try(func() { global.Get("localStorage").Call("setItem", key, id) })
	return id
}
