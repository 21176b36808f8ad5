package web

import (
	"testing"
	"time"
)

func TestAddrLimiter(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := newAddrLimiter(3, time.Hour)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if _, ok := l.allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	wait, ok := l.allow("a")
	if ok || wait <= 0 || wait > 20*time.Minute {
		t.Fatalf("fourth request: ok %v, wait %v; want refused for up to 20m", ok, wait)
	}
	if _, ok := l.allow("b"); !ok {
		t.Fatal("another address was refused")
	}
	now = now.Add(wait)
	if _, ok := l.allow("a"); !ok {
		t.Fatal("refused after the advertised wait")
	}
	if _, ok := l.allow("a"); ok {
		t.Fatal("a refused request's token was not given back, or the bucket refilled too fast")
	}
	off := newAddrLimiter(-1, time.Hour)
	for range 100 {
		if _, ok := off.allow("a"); !ok {
			t.Fatal("a disabled limiter refused")
		}
	}
}
