package main

import "testing"

// The interval of two samples from the same values holds 0; of samples a
// constant apart, it is that constant; it needs three runs a side.
func TestInterval(t *testing.T) {
	same := []float64{10, 12, 11, 13, 9, 10, 12}
	if lo, hi, ok := interval(same, same); !ok || lo > 0 || hi < 0 {
		t.Fatalf("same runs: %v … %v (%v), want an interval holding 0", lo, hi, ok)
	}
	shifted := make([]float64, len(same))
	for i, v := range same {
		shifted[i] = v + 100
	}
	if lo, hi, ok := interval(same, shifted); !ok || lo < 97 || hi > 103 || lo > hi {
		t.Fatalf("runs 100 apart: %v … %v (%v)", lo, hi, ok)
	}
	if _, _, ok := interval(same[:2], same); ok {
		t.Fatal("an interval from two runs")
	}
}
