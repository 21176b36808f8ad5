package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// runPaired judges a change on this shared, noisy machine the only way that
// holds up: the old binary (-against) and the new one run the same scenarios
// on the same database in one run, alternating old, new, old, new..., and the
// figures are compared round by round. Each run's full report is printed,
// then one table with every round's figures side by side and the ratio of
// the medians (new ÷ old).
func runPaired(ctx context.Context, o *options, base *report, runOnce func(bin string) *report) error {
	var olds, news []*report
	for round := 1; round <= o.rounds && ctx.Err() == nil; round++ {
		for _, side := range []struct {
			name string
			bin  string
			into *[]*report
		}{{"old", o.against, &olds}, {"new", base.natterBin, &news}} {
			logf("paired round %d: %s (%s)", round, side.name, side.bin)
			r := runOnce(side.bin)
			r.print(os.Stdout)
			*side.into = append(*side.into, r)
		}
	}
	printPaired(os.Stdout, o, olds, news)
	return ctx.Err()
}

// pairedFigure is one row of the paired table: how to read it off a report
// (ok false when the report lacks it).
type pairedFigure struct {
	name string
	unit string
	get  func(*report) (float64, bool)
}

func pairedFigures(o *options) []pairedFigure {
	var fs []pairedFigure
	phases, _ := o.fanPhases()
	for i, ph := range phases {
		phase := func(r *report) (*phaseResult, bool) {
			if r.fan == nil || i >= len(r.fan.phases) {
				return nil, false
			}
			return &r.fan.phases[i], true
		}
		fs = append(fs,
			pairedFigure{"fan-out " + ph.name + ": deliveries/s", "", func(r *report) (float64, bool) {
				p, ok := phase(r)
				return valueIf(p, ok, func(p *phaseResult) float64 { return p.deliveriesPerSec() })
			}},
			pairedFigure{"fan-out " + ph.name + ": deliveries per server CPU-s", "", func(r *report) (float64, bool) {
				p, ok := phase(r)
				return valueIf(p, ok, func(p *phaseResult) float64 { return p.perServerCore() })
			}},
			pairedFigure{"fan-out " + ph.name + ": p50", "ms", func(r *report) (float64, bool) {
				p, ok := phase(r)
				return valueIf(p, ok, func(p *phaseResult) float64 { return float64(p.lat.quantile(0.5).Microseconds()) / 1000 })
			}},
			pairedFigure{"fan-out " + ph.name + ": p99", "ms", func(r *report) (float64, bool) {
				p, ok := phase(r)
				return valueIf(p, ok, func(p *phaseResult) float64 { return float64(p.lat.quantile(0.99).Microseconds()) / 1000 })
			}},
		)
	}
	fs = append(fs,
		pairedFigure{"ingest: committed msgs/s", "", func(r *report) (float64, bool) {
			return valueIf(r.ingest, r.ingest != nil, func(i *ingestResult) float64 { return i.perSec() })
		}},
		pairedFigure{"ingest: server + PostgreSQL CPU per message", "µs", func(r *report) (float64, bool) {
			return valueIf(r.ingest, r.ingest != nil, func(i *ingestResult) float64 { s, pg := i.cpuPerMsg(); return s + pg })
		}},
		pairedFigure{"memory: RSS per idle connection", "KiB", func(r *report) (float64, bool) {
			return valueIf(r.mem, r.mem != nil, func(m *memResult) float64 { return m.perConn() })
		}},
	)
	return fs
}

func valueIf[T any](v T, ok bool, f func(T) float64) (float64, bool) {
	if !ok {
		return 0, false
	}
	return f(v), true
}

// printPaired writes the paired table.
func printPaired(w io.Writer, o *options, olds, news []*report) {
	line(w, "")
	line(w, "### Paired: %s (old) against %s (new), %d rounds, alternating", o.against, newBin(news), len(olds))
	line(w, "")
	head := "| figure |"
	sep := "| --- |"
	for i := range olds {
		head += fmt.Sprintf(" old %d | new %d |", i+1, i+1)
		sep += " --- | --- |"
	}
	line(w, "%s new ÷ old (medians) |", head)
	line(w, "%s --- |", sep)
	for _, f := range pairedFigures(o) {
		var row strings.Builder
		var ov, nv []float64
		for i := range olds {
			for _, side := range []struct {
				r    *report
				into *[]float64
			}{{olds[i], &ov}, {pick(news, i), &nv}} {
				v, ok := f.get(side.r)
				if !ok || side.r == nil {
					row.WriteString(" — |")
					continue
				}
				*side.into = append(*side.into, v)
				row.WriteString(" " + num(v) + " " + f.unit + " |")
			}
		}
		if len(ov) == 0 && len(nv) == 0 {
			continue
		}
		ratio := "—"
		if mo, mn := median(ov), median(nv); mo > 0 && len(nv) > 0 {
			ratio = fmt.Sprintf("%.2f×", mn/mo)
		}
		line(w, "| %s |%s %s |", f.name, row.String(), ratio)
	}
}

func pick(rs []*report, i int) *report {
	if i < len(rs) {
		return rs[i]
	}
	return nil
}

func newBin(rs []*report) string {
	if len(rs) == 0 {
		return "?"
	}
	return rs[0].natterBin
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
