//go:build js && wasm

package main

import (
	"runtime"
	"runtime/debug"
	"syscall/js"
)

// The Go heap in the browser is small: 2-6 MB live with a few thousand
// messages held. At Go's default growth target (GOGC 100) a collection then
// starts every 2-4 MB allocated, which is about once per older page drawn
// (a render of the message window allocates 1-3 MB), and a collection runs
// on the one thread that also draws: 10-35 ms of marking and assists inside
// the step in profiled older-page steps. With the target at 400 it starts
// every 8-16 MB: in ten older-page steps 2 collections instead of 14, and
// none from the start to the first step (2 before). The price is memory:
// the page's WebAssembly memory (which never shrinks) reached 26-31 MB in
// those ten steps instead of 15 MB.
const gcPercent = 400

// memoryLimit caps what the larger target may cost a device holding much
// more: the heap is collected before it nears 256 MiB, whatever the target
// says. Up to about 50 MB live the target alone decides; at 128 MB live
// the limit makes it the default's; beyond that the heap is collected more
// often than at the default (the limit is soft: the collector never takes
// more than half the CPU to keep it).
const memoryLimit = 256 << 20

// tuneGC sets the collector's growth target and limit (above).
func tuneGC() {
	debug.SetGCPercent(gcPercent)
	debug.SetMemoryLimit(memoryLimit)
}

// exposeMemStats gives the page natterMemStats(), the heap's figures, so
// the client benchmark (server/cmd/clientbench -steps) can report how many
// collections a scenario ran and what memory it took. Reading them stops
// the world briefly; nothing in the app calls it.
func exposeMemStats() {
	js.Global().Set("natterMemStats", js.FuncOf(func(js.Value, []js.Value) any {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return map[string]any{
			"heapAlloc": float64(m.HeapAlloc),
			"nextGC":    float64(m.NextGC),
			"sys":       float64(m.Sys),
			"numGC":     float64(m.NumGC),
		}
	}))
}
