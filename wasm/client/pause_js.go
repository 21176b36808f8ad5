//go:build js

package client

import "time"

// pause hands the thread back to the browser for a moment: with every
// goroutine asleep, Go's scheduler returns to the JavaScript event loop,
// which paints and dispatches input before the timer wakes it.
func pause() { time.Sleep(time.Millisecond) }
