//go:build js && wasm

// Package browser is the thin layer between the sync engine (package client)
// and the browser's APIs: IndexedDB storage, the resume token in
// sessionStorage, online and visibility events, the Web Lock that picks the
// tab that sends, the BroadcastChannel that tells other tabs the outbox
// changed, and local notifications. It holds no logic of its own; anything
// worth testing lives in package client.
//
// Every js.FuncOf callback here only hands values to Go over buffered
// channels or starts a goroutine, because blocking inside a callback stalls
// the browser's event loop, and with it the very IndexedDB request or
// promise being awaited. Functions that await a promise or a request block
// their goroutine: call them from a goroutine (go-app's ctx.Async), never
// from inside a js.FuncOf callback.
package browser
