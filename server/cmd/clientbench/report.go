package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"natter/server/listbench"
)

// median of the values picked from each round; 0 when none is set.
func median(rounds []round, pick func(round) float64) float64 {
	v := picked(rounds, pick)
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// span is the time between two marks of a visit, when both were set.
func span(v visit, from, to string) float64 {
	a, ok1 := v.Marks[from]
	b, ok2 := v.Marks[to]
	if from == "" {
		a, ok1 = 0, true
	}
	if !ok1 || !ok2 {
		return 0
	}
	return b - a
}

// report writes the medians as a Markdown table, one column per build.
func report(w io.Writer, builds []*build, results map[*build][]round, runs int) {
	rows := []struct {
		what string
		unit string
		pick func(*build, round) float64
	}{
		{"app.wasm on disk", "MB", func(b *build, _ round) float64 { return fileSize(b, "app.wasm") / 1e6 }},
		{"app.wasm transferred (brotli)", "MB", func(_ *build, r round) float64 { return r.cold.Wasm / 1e6 }},
		{"cold visit: everything transferred", "MB", func(_ *build, r round) float64 { return r.cold.Bytes / 1e6 }},
		{"cold visit → first paint", "ms", func(_ *build, r round) float64 { return r.cold.FCP }},
		{"cold visit → app's first frame", "ms", func(_ *build, r round) float64 { return r.cold.App }},
		{"cold visit → connected, list shown", "ms", func(_ *build, r round) float64 { return r.cold.Connected }},
		{"cold visit → wasm compiled", "ms", func(_ *build, r round) float64 { return span(r.cold, "", "natter:compiled") }},
		{"cold visit → Go started", "ms", func(_ *build, r round) float64 { return span(r.cold, "", "natter:go-start") }},
		{"cold visit: Go started → connected", "ms", func(_ *build, r round) float64 {
			if s := span(r.cold, "", "natter:go-start"); s > 0 {
				return r.cold.Connected - s
			}
			return 0
		}},
		{"cold visit: Go started → cache loaded", "ms", func(_ *build, r round) float64 { return span(r.cold, "natter:go-start", "natter:cache-loaded") }},
		{"cold visit: Go started → WebSocket open", "ms", func(_ *build, r round) float64 { return span(r.cold, "natter:go-start", "natter:ws-open") }},
		{"cold visit: cache loaded → connected", "ms", func(_ *build, r round) float64 {
			if s := span(r.cold, "", "natter:cache-loaded"); s > 0 {
				return r.cold.Connected - s
			}
			return 0
		}},
		{"cold visit → caught up (the replay in)", "ms", func(_ *build, r round) float64 { return span(r.cold, "", "natter:ready") }},
		{"warm visit → first paint", "ms", func(_ *build, r round) float64 { return r.warm.FCP }},
		{"warm visit → Go started", "ms", func(_ *build, r round) float64 { return span(r.warm, "", "natter:go-start") }},
		{"warm visit: Go started → app's first frame", "ms", func(_ *build, r round) float64 {
			if s := span(r.warm, "", "natter:go-start"); s > 0 {
				return r.warm.App - s
			}
			return 0
		}},
		{"warm visit → connected", "ms", func(_ *build, r round) float64 { return r.warm.Connected }},
		{"warm visit → caught up", "ms", func(_ *build, r round) float64 { return span(r.warm, "", "natter:ready") }},
		{"warm offline visit → first paint", "ms", func(_ *build, r round) float64 { return r.offline.FCP }},
		{"warm offline visit: Go started → app's first frame", "ms", func(_ *build, r round) float64 {
			if s := span(r.offline, "", "natter:go-start"); s > 0 {
				return r.offline.App - s
			}
			return 0
		}},
		{"warm offline visit → conversation list", "ms", func(_ *build, r round) float64 { return r.offline.List }},
	}
	paired := len(builds) == 2 // then a column for the difference's interval (pool.go)
	fmt.Fprintf(w, "| medians of %d | ", runs)
	for _, b := range builds {
		fmt.Fprintf(w, "%s | ", b.label)
	}
	if paired {
		fmt.Fprintf(w, "%s − %s, 90%% interval | ", builds[1].label, builds[0].label)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|")
	for range builds {
		fmt.Fprint(w, "---|")
	}
	if paired {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | ", row.what)
		for _, b := range builds {
			m := median(results[b], func(r round) float64 { return row.pick(b, r) })
			switch {
			case m == 0:
				fmt.Fprint(w, "— | ")
			case row.unit == "MB":
				fmt.Fprintf(w, "%.2f MB | ", m)
			default:
				fmt.Fprintf(w, "%.0f ms | ", m)
			}
		}
		if paired {
			cell := "—"
			if row.unit == "ms" {
				vals := func(b *build) []float64 { return picked(results[b], func(r round) float64 { return row.pick(b, r) }) }
				cell = intervalCell(vals(builds[0]), vals(builds[1]), "%.0f ms")
			}
			fmt.Fprintf(w, "%s | ", cell)
		}
		fmt.Fprintln(w)
	}
}

// picked returns the values picked from each round that are set.
func picked(rounds []round, pick func(round) float64) []float64 {
	var v []float64
	for _, r := range rounds {
		if x := pick(r); x > 0 {
			v = append(v, x)
		}
	}
	return v
}

// median1 is the median of v, 0 when empty.
func median1(v []float64) float64 { return listbench.Median(v) }

// reportList writes the message list's figures as a Markdown table: per
// run figures (older pages, catch-up) as medians of the runs, per event
// figures (a live message, a keystroke) as percentiles of every event of
// every run, pooled, so p99 rests on a few hundred events.
func reportList(w io.Writer, builds []*build, lists map[*build][]listRun, runs, msgs, missed int) {
	runValues := func(b *build, pick func(listRun) float64) []float64 {
		var v []float64
		for _, lr := range lists[b] {
			if x := pick(lr); x > 0 {
				v = append(v, x)
			}
		}
		return v
	}
	perRun := func(b *build, pick func(listRun) float64) float64 { return listbench.Median(runValues(b, pick)) }
	pooled := func(b *build, pick func(listRun) []float64, p float64) float64 {
		var v []float64
		for _, lr := range lists[b] {
			v = append(v, pick(lr)...)
		}
		return listbench.Pct(v, p)
	}
	first := func(lr listRun) float64 { return listbench.Median(lr.Older[:min(3, len(lr.Older))]) }
	last := func(lr listRun) float64 { return listbench.Median(lr.Older[max(0, len(lr.Older)-3):]) }
	live := func(lr listRun) []float64 { return lr.Live }
	framed := func(lr listRun) []float64 { return lr.Framed }
	keys := func(lr listRun) []float64 { return lr.Keys }
	step1 := func(lr listRun) float64 {
		if len(lr.Older) == 0 {
			return 0
		}
		return lr.Older[0]
	}
	count := func(lr listRun) float64 { return float64(len(lr.Older)) }
	catchUp := func(lr listRun) float64 { return lr.CatchUp }
	caught := func(lr listRun) float64 { return lr.Caught }
	rows := []struct {
		what string
		v    func(*build) float64
		runs func(listRun) float64 // for the interval: a figure per run; nil for pooled percentiles
	}{
		{"older page, first 3 pages (median of runs)", func(b *build) float64 { return perRun(b, first) }, first},
		{"older page, the first step alone, from the newest message (median of runs)", func(b *build) float64 { return perRun(b, step1) }, step1},
		{"older page, last 3 pages (median of runs)", func(b *build) float64 { return perRun(b, last) }, last},
		{"older pages to the start (count)", func(b *build) float64 { return perRun(b, count) }, nil},
		{"live message, frame → painted, p50", func(b *build) float64 { return pooled(b, framed, 0.5) }, nil},
		{"live message, frame → painted, p90", func(b *build) float64 { return pooled(b, framed, 0.9) }, nil},
		{"live message, frame → painted, p99", func(b *build) float64 { return pooled(b, framed, 0.99) }, nil},
		{"live message, write → painted, p50", func(b *build) float64 { return pooled(b, live, 0.5) }, nil},
		{"keystroke → next frame, 20 msg/s arriving, p50", func(b *build) float64 { return pooled(b, keys, 0.5) }, nil},
		{"keystroke → next frame, 20 msg/s arriving, p90", func(b *build) float64 { return pooled(b, keys, 0.9) }, nil},
		{"keystroke → next frame, 20 msg/s arriving, p99", func(b *build) float64 { return pooled(b, keys, 0.99) }, nil},
		{fmt.Sprintf("catch-up of %d missed: connected → newest painted (median of runs)", missed), func(b *build) float64 { return perRun(b, catchUp) }, catchUp},
		{fmt.Sprintf("catch-up of %d missed: connected → newest in the DOM (median of runs)", missed), func(b *build) float64 { return perRun(b, caught) }, caught},
	}
	paired := len(builds) == 2
	fmt.Fprintf(w, "| message list, %d messages; runs of %d | ", msgs, runs)
	for _, b := range builds {
		fmt.Fprintf(w, "%s (%d runs) | ", b.label, len(lists[b]))
	}
	if paired {
		fmt.Fprintf(w, "%s − %s, 90%% interval | ", builds[1].label, builds[0].label)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|")
	for range builds {
		fmt.Fprint(w, "---|")
	}
	if paired {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | ", row.what)
		for _, b := range builds {
			switch v := row.v(b); {
			case v == 0:
				fmt.Fprint(w, "— | ")
			case strings.HasSuffix(row.what, "(count)"):
				fmt.Fprintf(w, "%.0f | ", v)
			default:
				fmt.Fprintf(w, "%.1f ms | ", v)
			}
		}
		if paired {
			cell := "—"
			if row.runs != nil {
				cell = intervalCell(runValues(builds[0], row.runs), runValues(builds[1], row.runs), "%.1f ms")
			}
			fmt.Fprintf(w, "%s | ", cell)
		}
		fmt.Fprintln(w)
	}
}
