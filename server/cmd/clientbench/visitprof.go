package main

import (
	"context"
	"fmt"
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

// profileWarm makes a cold visit of b, waits for the service worker to
// keep the wasm, then profiles a warm (online) visit until the list shows
// connected and caught up, and writes the profile to path: the commonest
// start, whose Go work (the cache read, the first frame, the replay) runs
// interleaved on the one thread.
func profileWarm(chromium string, b *build, path string) (*profiler.Profile, error) {
	br, err := newSignedIn(chromium, b)
	if err != nil {
		return nil, err
	}
	defer br.cancel()
	if _, err := br.load(b.url+"/", readyJS); err != nil {
		return nil, err
	}
	if err := br.run(waitJS(wasmKept)); err != nil {
		return nil, fmt.Errorf("the service worker did not settle: %w", err)
	}
	if err := br.run(waitJS(stored)); err != nil {
		return nil, fmt.Errorf("the app's data did not settle: %w", err)
	}
	ctx, cancel := context.WithTimeout(br.ctx, 2*time.Minute)
	defer cancel()
	if err := startProfile(ctx); err != nil {
		return nil, err
	}
	if _, err := br.load(b.url+"/", readyJS); err != nil {
		return nil, err
	}
	return stopProfile(ctx, path)
}
