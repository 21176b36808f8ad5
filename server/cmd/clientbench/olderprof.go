package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"

	"natter/server/listbench"
)

// Breaking the older-page steps down (-steps): where a step's milliseconds
// go. Each step is run on its own (listbench.OlderPages one page at a
// time, the same scenario), and the page notes on its own clock, from the
// step's scroll (window.natterOlderT0), when the app sent history.fetch,
// when each answer holding a page arrived and when the list's DOM changed.
// With -profile too, V8's profiler records each step into its own file,
// and a timeline of the step's main thread is printed: busy and idle
// stretches with the functions that took them.

var steps = flag.Bool("steps", false, "break each older-page step down (fetch sent, answer in, DOM changed; with -profile, a V8 profile of each step)")

// revisit, an experiment, opens the conversation of the list scenarios a
// second time in the same browser after waiting this long, and measures
// that visit: a reader coming back, with what the browser kept from the
// first (V8's cache of the compiled wasm, the app's IndexedDB). Figures
// taken with it are not the benchmark's.
var revisit = flag.Duration("revisit", 0, "experiment: open the list's conversation, wait this long, open it again and measure that visit")

// settle, an experiment, waits this long between the list showing the
// conversation and the first older page: what the opening left to do (its
// first write to IndexedDB) is then done before the steps begin. Figures
// taken with it are not the benchmark's.
var settle = flag.Duration("settle", 0, "experiment: wait this long after the conversation opens before the older pages")

// stepProbeJS is installed before the app starts (after FrameProbeJS,
// whose wrapper it wraps in turn).
const stepProbeJS = `(() => {
	const WS = window.WebSocket;
	window.natterStep = {send: [], recv: [], mut: [], idb: []};
	const tx = IDBDatabase.prototype.transaction;
	IDBDatabase.prototype.transaction = function (names, mode, ...rest) {
		if (mode === "readwrite") natterStep.idb.push(performance.now());
		return tx.call(this, names, mode, ...rest);
	};
	const send = WS.prototype.send;
	WS.prototype.send = function (d) {
		if (typeof d === "string" && d.includes('"history.fetch"')) natterStep.send.push(performance.now());
		return send.call(this, d);
	};
	window.WebSocket = function (...args) {
		const ws = new WS(...args);
		ws.addEventListener("message", e => {
			if (typeof e.data === "string" && e.data.includes('"history":')) natterStep.recv.push([performance.now(), e.data.length]);
		});
		return ws;
	};
	window.WebSocket.prototype = WS.prototype;
	for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) window.WebSocket[k] = WS[k];
	const watch = () => {
		const l = document.getElementById("msgs-list");
		if (!l) return requestAnimationFrame(watch);
		new MutationObserver(rs => { let a = 0, r = 0; for (const m of rs) { a += m.addedNodes.length; r += m.removedNodes.length; } natterStep.mut.push([performance.now(), a, r, l.children.length]); }).observe(l, {childList: true, subtree: true, characterData: true, attributes: true});
	};
	document.addEventListener("DOMContentLoaded", watch);
})()`

// stepTimes is what stepProbeJS noted in one step, in ms from its scroll.
type stepTimes struct {
	Send []float64    `json:"send"`
	Recv [][2]float64 `json:"recv"` // ms, bytes
	Mut  [][4]float64 `json:"mut"`  // ms, nodes added, nodes removed, rows drawn
	IDB  []float64    `json:"idb"`  // IndexedDB writes begun (a flush)
}

// memStats is what the app's natterMemStats() reports (wasm/memory.go);
// builds before it report nothing.
type memStats struct {
	HeapAlloc float64 `json:"heapAlloc"`
	NextGC    float64 `json:"nextGC"`
	Sys       float64 `json:"sys"`
	NumGC     int     `json:"numGC"`
}

const memStatsJS = `window.natterMemStats ? natterMemStats() : {}`

const stepReset = `(natterStep.send = [], natterStep.recv = [], natterStep.mut = [], natterStep.idb = [], true)`

const stepRead = `(() => { const t0 = window.natterOlderT0 || 0, r = x => Math.round((x - t0) * 10) / 10;
	return {send: natterStep.send.map(r), recv: natterStep.recv.map(([t, n]) => [r(t), n]), mut: natterStep.mut.map(([t, a, d, k]) => [r(t), a, d, k]), idb: natterStep.idb.map(r)}; })()`

// olderSteps runs the older-page steps one at a time, printing each one's
// breakdown to w; with dir set, each step is profiled into dir.
func olderSteps(ctx context.Context, w io.Writer, label, dir string) ([]float64, error) {
	var out []float64
	if open, err := listbench.Eval[stepTimes](ctx, stepRead); err == nil {
		fmt.Fprintf(w, "%s opening: answers at %v, list DOM changed at %v, IndexedDB writes at %v (ms from navigation)\n", label, open.Recv, open.Mut, open.IDB)
	}
	for i := range 100 {
		if _, err := listbench.Eval[bool](ctx, stepReset); err != nil {
			return out, err
		}
		if dir != "" {
			if err := startProfile(ctx); err != nil {
				return out, fmt.Errorf("profile: %w", err)
			}
		}
		m0, err := metrics(ctx)
		if err != nil {
			return out, err
		}
		ms, err := listbench.OlderPages(ctx, 1)
		if err != nil {
			return out, err
		}
		var prof *profiler.Profile
		if dir != "" {
			path := filepath.Join(dir, fmt.Sprintf("%s-older-%02d.cpuprofile", strings.ReplaceAll(label, " ", "-"), i+1))
			if prof, err = stopProfile(ctx, path); err != nil {
				return out, fmt.Errorf("profile: %w", err)
			}
		}
		if len(ms) == 0 {
			return out, nil // the start was already shown
		}
		out = append(out, ms[0])
		t, err := listbench.Eval[stepTimes](ctx, stepRead)
		if err != nil {
			return out, err
		}
		fmt.Fprintf(w, "%s older step %d: %.1f ms; fetch sent at %v, answers at %v (ms, bytes), list DOM changed at %v (ms, nodes added, removed, list children), IndexedDB writes at %v\n",
			label, i+1, ms[0], t.Send, t.Recv, t.Mut, t.IDB)
		if m, err := listbench.Eval[memStats](ctx, memStatsJS); err == nil && m.Sys > 0 {
			fmt.Fprintf(w, "    Go heap: %d collections so far, %.1f MB allocated of %.1f MB before the next, WebAssembly memory %.1f MB\n",
				m.NumGC, m.HeapAlloc/1e6, m.NextGC/1e6, m.Sys/1e6)
		}
		if m1, err := metrics(ctx); err == nil {
			d := func(k string) float64 { return 1000 * (m1[k] - m0[k]) }
			fmt.Fprintf(w, "    Blink, step and reading it back: script %.1f ms, V8 compile %.1f ms, style %.1f ms (%.0f times), layout %.1f ms (%.0f times), tasks %.1f ms\n",
				d("ScriptDuration"), d("V8CompileDuration"), d("RecalcStyleDuration"), m1["RecalcStyleCount"]-m0["RecalcStyleCount"], d("LayoutDuration"), m1["LayoutCount"]-m0["LayoutCount"], d("TaskDuration"))
		}
		if prof != nil {
			timeline(w, prof)
		}
	}
	return out, nil
}

// timeline prints a profile as stretches of main-thread work and idle
// (gaps under 0.5 ms fold into the work around them), each stretch with
// the Go functions that took most of it (by total time) and its share of
// (program) (the browser's own work outside script: style, layout, paint)
// and garbage collection.
func timeline(w io.Writer, prof *profiler.Profile) {
	parent := map[int64]int64{}
	byID := map[int64]*profiler.ProfileNode{}
	for _, n := range prof.Nodes {
		byID[n.ID] = n
		for _, c := range n.Children {
			parent[c] = n.ID
		}
	}
	type stretch struct {
		start, end  float64
		idle        bool
		program, gc float64
		fns         map[string]float64
		leaf        map[string]float64
	}
	var ss []*stretch
	at := 0.0
	for i, id := range prof.Samples {
		if i >= len(prof.TimeDeltas) {
			break
		}
		at += float64(prof.TimeDeltas[i]) / 1000
		ms := sampleMS(prof, i)
		n := byID[id]
		if n == nil {
			continue
		}
		f := n.CallFrame.FunctionName
		idle := f == "(idle)"
		if len(ss) == 0 || ss[len(ss)-1].idle != idle {
			ss = append(ss, &stretch{start: at, idle: idle, fns: map[string]float64{}, leaf: map[string]float64{}})
		}
		s := ss[len(ss)-1]
		s.end = at + ms
		switch f {
		case "(program)":
			s.program += ms
		case "(garbage collector)":
			s.gc += ms
		}
		if !idle {
			s.leaf[f] += ms
		}
		seen := map[string]bool{}
		for cur, ok := id, true; ok; cur, ok = parent[cur] {
			g := byID[cur].CallFrame.FunctionName
			if !seen[g] && (strings.HasPrefix(g, "natter") || strings.HasPrefix(g, "github.com")) {
				seen[g] = true
				s.fns[g] += ms
			}
		}
	}
	// Fold short idle gaps into the work around them.
	absorb := func(p, s *stretch) {
		p.end = s.end
		p.program += s.program
		p.gc += s.gc
		for k, v := range s.fns {
			p.fns[k] += v
		}
		for k, v := range s.leaf {
			p.leaf[k] += v
		}
	}
	var merged []*stretch
	for _, s := range ss {
		if len(merged) > 0 {
			if p := merged[len(merged)-1]; !p.idle && (!s.idle || s.end-s.start < 0.5) {
				absorb(p, s)
				continue
			}
		}
		merged = append(merged, s)
	}
	top := func(m map[string]float64, n int) string {
		var parts []string
		for _, e := range heaviest(m, n) {
			parts = append(parts, fmt.Sprintf("%s %.1f", e.name, e.ms))
		}
		return strings.Join(parts, "; ")
	}
	for _, s := range merged {
		if s.idle {
			fmt.Fprintf(w, "    %7.1f–%7.1f ms idle\n", s.start, s.end)
			continue
		}
		fmt.Fprintf(w, "    %7.1f–%7.1f ms busy (program %.1f, gc %.1f)\n      self: %s\n      in: %s\n", s.start, s.end, s.program, s.gc, top(s.leaf, 6), top(s.fns, 12))
	}
}

// metrics reads the page's cumulative run-time metrics (Performance
// domain): durations in seconds, counts.
func metrics(ctx context.Context) (map[string]float64, error) {
	out := map[string]float64{}
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, performance.Enable, performance.EnableParams{}); err != nil {
			return err
		}
		res, err := cdp.Call(ctx, t, performance.GetMetrics, cdp.Empty{})
		if err != nil {
			return err
		}
		for _, m := range res.Metrics {
			out[m.Name] = m.Value
		}
		return nil
	}))
	return out, err
}
