package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"
)

// Profiling a scenario: with -profile DIR, the live-message scenario of
// each build's first run is recorded by V8's sampling profiler (every
// 100 µs, JavaScript and wasm alike) and written to DIR as a
// .cpuprofile (DevTools opens it), and the functions that took the most
// time are printed. Function names in wasm need a build with its name
// section (go build without -ldflags=-s).

// startProfile starts V8's profiler in the browser's page.
func startProfile(ctx context.Context) error {
	return chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, profiler.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 100}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, profiler.Start, cdp.Empty{})
		return err
	}))
}

// stopProfile stops it and writes the profile to path.
func stopProfile(ctx context.Context, path string) (*profiler.Profile, error) {
	var prof *profiler.Profile
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		res, err := cdp.Call(ctx, t, profiler.Stop, cdp.Empty{})
		if err != nil {
			return err
		}
		prof = res.Profile
		return nil
	}))
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(prof)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return prof, os.WriteFile(path, b, 0o644)
}

// summarize prints the functions with the most self time and the most
// total time (self plus callees), in ms, over the profile.
func summarize(w io.Writer, title string, prof *profiler.Profile, top int) {
	parent := map[int64]int64{}
	byID := map[int64]*profiler.ProfileNode{}
	for _, n := range prof.Nodes {
		byID[n.ID] = n
		for _, c := range n.Children {
			parent[c] = n.ID
		}
	}
	name := func(n *profiler.ProfileNode) string {
		f := n.CallFrame.FunctionName
		if f == "" {
			f = "(anonymous)"
		}
		if u := n.CallFrame.URL; u != "" {
			f += " " + u[strings.LastIndex(u, "/")+1:]
		}
		return f
	}
	self, total := map[string]float64{}, map[string]float64{}
	var all float64
	for i, id := range prof.Samples {
		if i >= len(prof.TimeDeltas) {
			break
		}
		ms := sampleMS(prof, i)
		n := byID[id]
		if n == nil {
			continue
		}
		f := name(n)
		if strings.HasPrefix(f, "(idle)") || strings.HasPrefix(f, "(program)") {
			continue
		}
		all += ms
		self[f] += ms
		seen := map[string]bool{}
		for cur, ok := id, true; ok; cur, ok = parent[cur] {
			if f := name(byID[cur]); !seen[f] {
				seen[f] = true
				total[f] += ms
			}
		}
	}
	print := func(label string, m map[string]float64) {
		fmt.Fprintf(w, "%s, %s:\n", title, label)
		for _, e := range heaviest(m, top) {
			fmt.Fprintf(w, "  %8.1f ms  %5.1f%%  %s\n", e.ms, 100*e.ms/max(all, 1), e.name)
		}
	}
	fmt.Fprintf(w, "%s: %.0f ms busy on the main thread (idle and program left out)\n", title, all)
	print("self time", self)
	print("total time", total)
	ours := map[string]float64{}
	for k, v := range total {
		if strings.HasPrefix(k, "natter_") {
			ours[k] = v
		}
	}
	print("total time in Natter's own functions", ours)
}

// named is a function's name and its milliseconds in a profile.
type named struct {
	name string
	ms   float64
}

// heaviest returns m's n largest entries, largest first, ties by name.
func heaviest(m map[string]float64, n int) []named {
	var out []named
	for k, v := range m {
		out = append(out, named{k, v})
	}
	slices.SortFunc(out, func(a, b named) int {
		switch {
		case a.ms > b.ms:
			return -1
		case a.ms < b.ms:
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return out[:min(n, len(out))]
}

// sampleMS is how long sample i of prof stood, in milliseconds: the delta
// to the next sample (a tenth of a millisecond, the sampling interval, for
// the last).
func sampleMS(prof *profiler.Profile, i int) float64 {
	if i+1 < len(prof.TimeDeltas) {
		return float64(prof.TimeDeltas[i+1]) / 1000
	}
	return 0.1
}
