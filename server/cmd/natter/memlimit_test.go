package main

import "testing"

// The container's limit becomes a soft limit of 90%; no limit, or an
// unreadable one, leaves Go's default (none).
func TestSoftLimit(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1073741824\n", 966367638, true},
		{"max\n", 0, false},
		{"", 0, false},
		{"-1", 0, false},
		{"lots", 0, false},
	} {
		got, ok := softLimit(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("softLimit(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
