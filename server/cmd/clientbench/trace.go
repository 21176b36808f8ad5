package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// Tracing a cold start: with -trace DIR, each build makes one more cold
// visit recorded by Chrome's tracing, written to DIR/<build>-cold.json
// (Perfetto and chrome://tracing open it) and summed by what the page's
// main thread and V8's compile threads did until "connected". The sampling
// profile (-profile) sees only JavaScript and wasm; the time a cold start
// spends in layout, font lookups (synchronous calls to the browser's font
// service on Linux), lazy compiles and style is in this trace. It is how
// the emoji faces' 88 local() lookups were found (docs/BENCHMARKS.md).
var traceDir = flag.String("trace", "", "record a Chrome trace of one more cold visit per build into this directory, and summarize it")

// traceCategories are what the summary needs: the timeline, V8's compiles
// and the font lookups.
var traceCategories = []string{"devtools.timeline", "disabled-by-default-devtools.timeline", "v8", "v8.wasm", "disabled-by-default-v8.compile", "blink", "loading", "toplevel", "fonts"}

// traceEvent is the part of a trace event the summary reads.
type traceEvent struct {
	Name string         `json:"name"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"`
	Dur  float64        `json:"dur"`
	Pid  int64          `json:"pid"`
	Tid  int64          `json:"tid"`
	Args map[string]any `json:"args"`
}

// tracedNames are the events summed, as "thread: event".
var tracedNames = []struct{ thread, event, label string }{
	{"CrRendererMain", "FunctionCall", "main thread: JavaScript and wasm running"},
	{"CrRendererMain", "wasm.CompileLazy", "main thread: wasm compiled on first call"},
	{"CrRendererMain", "Layout", "main thread: layout"},
	{"CrRendererMain", "FontCache::GetFontPlatformData", "  of it, font lookups"},
	{"CrRendererMain", "WebSandboxSupportLinux::MatchFontByPostscriptNameOrFullFontName", "    local() font names looked up"},
	{"CrRendererMain", "WebSandboxSupportLinux::GetWebFontRenderStyleForStrike", "    render styles asked (one per size and weight)"},
	{"CrRendererMain", "UpdateLayoutTree", "main thread: style"},
	{"CrRendererMain", "Paint", "main thread: paint"},
	{"CrRendererMain", "ParseHTML", "main thread: HTML parsing"},
	{"ThreadPoolForegroundWorker", "wasm.TopTierCompilation", "other threads: wasm optimized (TurboFan)"},
	{"ServiceWorker thread", "RunTask", "service worker thread: busy"},
}

// traceSummary is one traced visit: milliseconds and counts per traced
// name, and when the page said connected.
type traceSummary struct {
	ms        map[string]float64
	count     map[string]int
	connected float64
}

// newColdBrowser starts a browser with a fresh profile, signed in to b,
// on a page of b's site that is not the app (its manifest): the cold visit
// that follows then stays in the renderer a trace or a profile was started
// in.
func newColdBrowser(chromium string, b *build) (*browser, error) {
	br, err := newSignedIn(chromium, b)
	if err != nil {
		return nil, err
	}
	if err := br.run(chromedp.Navigate(b.url + "/manifest.webmanifest")); err != nil {
		br.cancel()
		return nil, err
	}
	return br, nil
}

// traceCold makes one cold visit of b with tracing on and writes the trace
// to path.
func traceCold(chromium string, b *build, path string) (traceSummary, error) {
	sum := traceSummary{ms: map[string]float64{}, count: map[string]int{}}
	br, err := newColdBrowser(chromium, b)
	if err != nil {
		return sum, err
	}
	defer br.cancel()
	var mu sync.Mutex
	var raw []json.RawMessage
	complete := make(chan struct{})
	if err := chromedp.Listen(br.ctx, func(ev any) {
		switch ev := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			for _, v := range ev.Value {
				raw = append(raw, json.RawMessage(v))
			}
			mu.Unlock()
		case *tracing.EventTracingComplete:
			close(complete)
		}
	}); err != nil {
		return sum, err
	}
	if err := br.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, tracing.Start, tracing.StartParams{TransferMode: tracing.StartTransferModeReportEvents,
			TraceConfig: &tracing.TraceConfig{IncludedCategories: traceCategories}})
		return err
	})); err != nil {
		return sum, fmt.Errorf("start tracing: %w", err)
	}
	v, err := br.load(b.url+"/", `!!window.natterBench.connected && document.querySelectorAll("#conv-list li").length > 0`)
	if err != nil {
		return sum, err
	}
	if err := br.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, tracing.End, cdp.Empty{})
		return err
	})); err != nil {
		return sum, fmt.Errorf("end tracing: %w", err)
	}
	select {
	case <-complete:
	case <-time.After(time.Minute):
		return sum, fmt.Errorf("the trace did not complete")
	}
	mu.Lock()
	defer mu.Unlock()
	if b, err := json.Marshal(map[string]any{"traceEvents": raw}); err == nil {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return sum, err
		}
	}
	sum.connected = v.Connected
	threads := map[[2]int64]string{}
	events := make([]traceEvent, 0, len(raw))
	for _, r := range raw {
		var e traceEvent
		if json.Unmarshal(r, &e) != nil {
			continue
		}
		if e.Name == "thread_name" {
			threads[[2]int64{e.Pid, e.Tid}] = fmt.Sprint(e.Args["name"])
		}
		events = append(events, e)
	}
	for _, e := range events {
		if e.Ph != "X" {
			continue
		}
		th := threads[[2]int64{e.Pid, e.Tid}]
		for _, n := range tracedNames {
			if n.thread == th && n.event == e.Name {
				sum.ms[n.label] += e.Dur / 1000
				sum.count[n.label]++
			}
		}
	}
	return sum, nil
}

// reportTraces writes one table of the builds' traced cold visits.
func reportTraces(w io.Writer, builds []*build, sums map[*build]traceSummary) {
	fmt.Fprint(w, "| traced cold visit (one each; ms, count) |")
	for _, b := range builds {
		fmt.Fprintf(w, " %s |", b.label)
	}
	fmt.Fprint(w, "\n|---|")
	for range builds {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "| → connected (slowed by tracing) |")
	for _, b := range builds {
		fmt.Fprintf(w, " %.0f ms |", sums[b].connected)
	}
	fmt.Fprintln(w)
	for _, n := range tracedNames {
		fmt.Fprintf(w, "| %s |", n.label)
		for _, b := range builds {
			fmt.Fprintf(w, " %.1f ms (%d) |", sums[b].ms[n.label], sums[b].count[n.label])
		}
		fmt.Fprintln(w)
	}
}
