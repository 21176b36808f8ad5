//go:build js && wasm

package browser

import "syscall/js"

// SenderLock is the Web Lock name held by the tab that runs the send loop.
const SenderLock = "natter-sender"

// AcquireSenderLock asks for the Web Lock and calls onAcquired (on its own
// goroutine) once this tab holds it; the lock is then held until the tab
// closes, when the browser hands it to a waiting tab. It returns false when
// the browser has no Web Locks: then it calls onAcquired at once and every
// tab sends, which the server's idempotency makes harmless.
// Wire onAcquired to Engine.SetSender(true) after calling SetSender(false).
func AcquireSenderLock(onAcquired func()) bool {
	nav := global.Get("navigator")
	if !has(nav, "locks") {
		go onAcquired()
		return false
	}
	cb := js.FuncOf(func(js.Value, []js.Value) any {
		go onAcquired()
		// A promise that never settles keeps the lock for the tab's life.
		return global.Get("Promise").New(js.FuncOf(func(js.Value, []js.Value) any { return nil }))
	})
	nav.Get("locks").Call("request", SenderLock, cb)
	return true
}

// OutboxChannel is the BroadcastChannel name on which tabs announce outbox
// changes.
const OutboxChannel = "natter-outbox"

// Channel pings the other tabs of this origin. A zero Channel (no
// BroadcastChannel in this browser) does nothing.
type Channel struct {
	bc js.Value
	fn js.Func
}

// OpenChannel joins OutboxChannel; onPing runs (on its own goroutine) when
// another tab pings. Wire onPing to Engine.ReloadOutbox and
// client.Config.OnOutboxChange to Ping.
func OpenChannel(onPing func()) *Channel {
	ctor := global.Get("BroadcastChannel")
	if ctor.IsUndefined() {
		return &Channel{}
	}
	c := &Channel{bc: ctor.New(OutboxChannel)}
	c.fn = js.FuncOf(func(js.Value, []js.Value) any {
		go onPing()
		return nil
	})
	c.bc.Set("onmessage", c.fn)
	return c
}

// Ping tells the other tabs (never this one) that the outbox changed.
func (c *Channel) Ping() {
	if c == nil || c.bc.Type() != js.TypeObject {
		return
	}
	_ = try(func() { c.bc.Call("postMessage", "outbox") })
}

// Close leaves the channel.
func (c *Channel) Close() {
	if c == nil || c.bc.Type() != js.TypeObject {
		return
	}
	c.bc.Call("close")
	c.fn.Release()
}
