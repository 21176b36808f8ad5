package main

import (
	"context"
	"time"

	"github.com/chromedp/cdproto/profiler"
)

// profileCold makes one cold visit of b with V8's sampling profiler on,
// from before the navigation until the list shows connected, and writes
// the profile to path (-profile with the visits): what the page's own code
// (the loader, Go's start, the first screens) spent the start on. Build
// the wasm without -ldflags=-s to see Go's function names.
func profileCold(chromium string, b *build, path string) (*profiler.Profile, error) {
	br, err := newColdBrowser(chromium, b)
	if err != nil {
		return nil, err
	}
	defer br.cancel()
	ctx, cancel := context.WithTimeout(br.ctx, 2*time.Minute)
	defer cancel()
	if err := startProfile(ctx); err != nil {
		return nil, err
	}
	if _, err := br.load(b.url+"/", `!!window.natterBench.connected && document.querySelectorAll("#conv-list li").length > 0`); err != nil {
		return nil, err
	}
	return stopProfile(ctx, path)
}
