package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
)

// rounds repeats the whole measurement with fresh servers, databases and
// browsers, pooling every round's runs. On this shared machine one
// invocation's level moves by tens of milliseconds against the next (two
// copies of one build came out 16, −24 and −4 ms apart in three
// invocations of 9 cold visits), so a change of 20 ms needs several
// rounds; within a round the builds still alternate run by run.
var rounds = flag.Int("rounds", 1, "repeat every measurement this many times, each with fresh servers and databases, and pool the runs (medians and intervals over all of them)")

// warmup leaves the first runs of each round out of the figures. The first
// cold visit after the servers start measured 1,100-1,300 ms against
// 420-490 ms for the next ones, for either build: it measures a cold
// server and disk, not the app. A median of many runs shrugs it off, but
// with rounds it is one run in every few, and it widens the intervals.
var warmup = flag.Int("warmup", 0, "runs at the start of each round left out of the figures (logged)")

// bootstraps is how many resamples an interval draws.
const bootstraps = 2000

// interval returns a bootstrap 90% interval of median(after) −
// median(before), resampling each side's runs with replacement: whether
// a difference stands out of the runs' spread. ok is false with fewer
// than three runs on a side. The seed is fixed: the same runs give the
// same interval.
func interval(before, after []float64) (lo, hi float64, ok bool) {
	if len(before) < 3 || len(after) < 3 {
		return 0, 0, false
	}
	rng := rand.New(rand.NewPCG(1, 2))
	resample := func(v, into []float64) float64 {
		for i := range into {
			into[i] = v[rng.IntN(len(v))]
		}
		slices.Sort(into)
		return into[len(into)/2]
	}
	a, b := make([]float64, len(before)), make([]float64, len(after))
	d := make([]float64, bootstraps)
	for i := range d {
		d[i] = resample(after, b) - resample(before, a)
	}
	slices.Sort(d)
	return d[bootstraps*5/100], d[bootstraps*95/100], true
}

// intervalCell formats interval for a table cell, "—" without one.
func intervalCell(before, after []float64, format string) string {
	lo, hi, ok := interval(before, after)
	if !ok {
		return "—"
	}
	return fmt.Sprintf(format+" … "+format, lo, hi)
}
