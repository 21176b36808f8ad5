package main

import (
	"math/bits"
	"time"
)

// hist is a log-linear latency histogram in microseconds: exact below 64 µs,
// then 32 buckets per power of two (about 3% resolution). It is small enough
// (under 5 KiB) for every receiver to keep one per phase, so receivers never
// share a counter while they record.
type hist struct {
	counts [histBuckets]uint32
	n      int64
	max    int64 // µs
}

const (
	histSubBits = 6
	histSub     = 1 << histSubBits // 64
	histHalf    = histSub / 2      // 32
	histMaxLen  = 42               // values up to 2^42 µs (~51 days)
	histBuckets = histSub + (histMaxLen-histSubBits)*histHalf
)

// add records one latency in nanoseconds; negative ones (clock steps) count
// as zero.
func (h *hist) add(ns int64) {
	us := max(ns/1000, 0)
	h.n++
	h.max = max(h.max, us)
	h.counts[histIndex(us)]++
}

func histIndex(us int64) int {
	v := uint64(us)
	if v < histSub {
		return int(v)
	}
	l := bits.Len64(v)
	if l > histMaxLen {
		return histBuckets - 1
	}
	shift := l - histSubBits
	m := int(v >> shift) // in [32, 63]
	return histSub + (shift-1)*histHalf + m - histHalf
}

// histValue is the middle of bucket i, in microseconds.
func histValue(i int) int64 {
	if i < histSub {
		return int64(i)
	}
	shift := (i-histSub)/histHalf + 1
	m := int64((i-histSub)%histHalf + histHalf)
	lo := m << shift
	return lo + (int64(1)<<shift)/2
}

// merge adds o's counts to h.
func (h *hist) merge(o *hist) {
	if o == nil {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the q-quantile (0..1) as a duration; 0 when empty.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n-1)) + 1
	var seen int64
	for i, c := range h.counts {
		seen += int64(c)
		if seen >= rank {
			return time.Duration(min(histValue(i), h.max)) * time.Microsecond
		}
	}
	return time.Duration(h.max) * time.Microsecond
}

// maxDur is the largest recorded value, exact.
func (h *hist) maxDur() time.Duration { return time.Duration(h.max) * time.Microsecond }
