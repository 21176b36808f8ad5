package web

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// TestUserBudget drives the per-user budget with a fake clock: a burst,
// then refusals that say how long to wait, a refill after that wait, other
// users unaffected, and idle buckets swept when the map is full.
func TestUserBudget(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	b := newUserBudget(rate.Every(2*time.Second), 3)
	b.now = func() time.Time { return now }

	steps := []struct {
		name    string
		advance time.Duration
		user    int64
		ok      bool
		wait    time.Duration
	}{
		{"burst 1", 0, 1, true, 0},
		{"burst 2", 0, 1, true, 0},
		{"burst 3", 0, 1, true, 0},
		{"empty", 0, 1, false, 2 * time.Second},
		{"still empty, shorter wait", time.Second, 1, false, time.Second},
		{"another user is not slowed", 0, 2, true, 0},
		{"refilled one", time.Second, 1, true, 0},
		{"empty again", 0, 1, false, 2 * time.Second},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			now = now.Add(s.advance)
			ok, wait := b.take(s.user)
			if ok != s.ok || wait != s.wait {
				t.Fatalf("take(%d) = %v, %v; want %v, %v", s.user, ok, wait, s.ok, s.wait)
			}
		})
	}

	t.Run("full buckets are swept", func(t *testing.T) {
		for id := int64(100); len(b.buckets) < maxBudgetBuckets; id++ {
			b.take(id)
		}
		now = now.Add(time.Hour) // every bucket refills
		b.take(-1)
		if len(b.buckets) != 1 {
			t.Fatalf("%d buckets after the sweep, want only the new one", len(b.buckets))
		}
	})
}
