package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// addrLimiter is a token bucket per client address (golang.org/x/time/rate):
// a burst of limit, refilled evenly over window. It guards expensive
// anonymous endpoints such as registration.
type addrLimiter struct {
	mu       sync.Mutex
	every    rate.Limit
	burst    int
	disabled bool
	now      func() time.Time
	buckets  map[string]*rate.Limiter
}

// newAddrLimiter allows limit requests per window per address; a negative
// limit allows everything.
func newAddrLimiter(limit int, window time.Duration) *addrLimiter {
	l := &addrLimiter{now: time.Now, buckets: make(map[string]*rate.Limiter)}
	if limit < 0 {
		l.disabled = true
		return l
	}
	l.burst = max(limit, 1)
	l.every = rate.Every(window / time.Duration(l.burst))
	return l
}

// allow takes a token for key, or says how long until one is free.
func (l *addrLimiter) allow(key string) (time.Duration, bool) {
	if l.disabled {
		return 0, true
	}
	now := l.now()
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= 100_000 {
			l.sweep(now)
		}
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets[key] = b
	}
	l.mu.Unlock()
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // refused: give the token back
		return d, false
	}
	return 0, true
}

// sweep forgets buckets that are full again: they hold nothing a new
// bucket would not. Called with mu held.
func (l *addrLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
}
