//go:build !js

package client

import "runtime"

// pause lets other goroutines run; natively there is no browser to yield
// to (see pause_js.go).
func pause() { runtime.Gosched() }
