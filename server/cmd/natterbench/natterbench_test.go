package main

import (
	"encoding/json"
	"testing"
	"time"

	"natter/shared"
)

func TestBodyStamp(t *testing.T) {
	created := func(body string) []byte {
		env, err := shared.NewEnvelope(shared.TypeMessageCreated, "", 7, shared.Message{Seq: 7, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(env)
		return b
	}
	for _, tc := range []struct {
		name  string
		line  []byte
		phase int
		stamp int64
		ok    bool
	}{
		{"ours", created("nb 3 1700000000123456789 abc"), 3, 1700000000123456789, true},
		{"someone else's body", created("hello"), 0, 0, false},
		{"phase out of range", created("nb 9 123 x"), 0, 0, false},
		{"no digits", created("nb 1 x"), 1, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			phase, stamp, ok := bodyStamp(tc.line)
			if ok != tc.ok || (ok && (phase != tc.phase || stamp != tc.stamp)) {
				t.Fatalf("bodyStamp(%s) = %d, %d, %v; want %d, %d, %v", tc.line, phase, stamp, ok, tc.phase, tc.stamp, tc.ok)
			}
			if seq, _ := intAfter(tc.line, seqKey); seq != 7 {
				t.Fatalf("seq = %d, want 7", seq)
			}
		})
	}
}

func TestSeqCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		base  int64
		seqs  []int64
		final int64
		want  seqCheck
	}{
		{"in order", 0, []int64{1, 2, 3}, 3, seqCheck{}},
		{"after a replay", 10, []int64{11, 12}, 12, seqCheck{}},
		{"reordered", 0, []int64{2, 1, 3}, 3, seqCheck{reorders: 1}},
		{"duplicate", 0, []int64{1, 2, 2, 3}, 3, seqCheck{dups: 1}},
		{"replayed seq again", 5, []int64{5, 6}, 6, seqCheck{dups: 1}},
		{"missing", 0, []int64{1, 3}, 3, seqCheck{missing: 1}},
		{"beyond the end", 0, []int64{1, 2, 3}, 2, seqCheck{extra: 1}},
		{"past a word of the bitmap", 0, seqRange(1, 200), 200, seqCheck{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &client{caught: true, base: tc.base}
			for _, s := range tc.seqs {
				c.mark(s)
			}
			if got := c.check(tc.final); got != tc.want {
				t.Fatalf("check = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func seqRange(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func TestHistQuantiles(t *testing.T) {
	var h hist
	for i := 1; i <= 1000; i++ {
		h.add(int64(i) * int64(time.Millisecond)) // 1..1000 ms
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, 1000 * time.Millisecond}} {
		got := h.quantile(tc.q)
		if d := got - tc.want; d < -tc.want/25 || d > tc.want/25 {
			t.Errorf("quantile(%v) = %v, want %v ± 4%%", tc.q, got, tc.want)
		}
	}
	if h.maxDur() != time.Second {
		t.Errorf("max = %v, want 1s", h.maxDur())
	}
	var empty hist
	if empty.quantile(0.99) != 0 {
		t.Error("an empty histogram has no quantiles")
	}
}

func TestHistIndexMonotonic(t *testing.T) {
	prev := -1
	for us := int64(0); us < 1<<22; us += 1 + us/50 {
		i := histIndex(us)
		if i < prev || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d after %d", us, i, prev)
		}
		if v := histValue(i); us >= 64 && (v < us-us/16 || v > us+us/16) {
			t.Fatalf("histValue(histIndex(%d)) = %d, more than 6%% off", us, v)
		}
		prev = i
	}
}

func TestNum(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 269236.4: "269,236", 1234567: "1,234,567"} {
		if got := num(in); got != want {
			t.Errorf("num(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestFanPhases(t *testing.T) {
	o := &options{rates: "10,100,max", actionRate: 50, maxSenders: 64, members: 1000}
	ph, err := o.fanPhases()
	if err != nil {
		t.Fatal(err)
	}
	want := []fanPhase{{"10/s", 10, 1}, {"100/s", 100, 3}, {"max", 0, 64}}
	for i := range want {
		if ph[i] != want[i] {
			t.Errorf("phase %d = %+v, want %+v", i, ph[i], want[i])
		}
	}
	o.rates = "fast"
	if _, err := o.fanPhases(); err == nil {
		t.Error("a rate that is not a number was accepted")
	}
}
