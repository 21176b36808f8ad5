package web

import (
	"context"
	"fmt"
	"time"

	"natter/server/store"
)

// addrLimiter is a token bucket per key (a client address, a user): a burst
// of limit, refilled evenly over window. It guards expensive or abusable
// endpoints such as registration. The buckets live in the database
// (store.TakeToken, one upsert), so the limit holds across nodes rather
// than once per node.
type addrLimiter struct {
	st       *store.Store
	name     string // namespaces this limiter's keys in the shared table
	perSec   float64
	burst    int
	disabled bool
	now      func() time.Time
}

// newAddrLimiter allows limit requests per window per key; a negative
// limit allows everything.
func newAddrLimiter(st *store.Store, name string, limit int, window time.Duration) *addrLimiter {
	l := &addrLimiter{st: st, name: name, now: time.Now}
	if limit < 0 {
		l.disabled = true
		return l
	}
	l.burst = max(limit, 1)
	l.perSec = float64(l.burst) / window.Seconds()
	return l
}

// allow takes a token for key, or says how long until one is free. An
// error means neither happened.
func (l *addrLimiter) allow(ctx context.Context, key string) (time.Duration, bool, error) {
	if l.disabled {
		return 0, true, nil
	}
	wait, ok, err := l.st.TakeToken(ctx, l.name+":"+key, l.now(), l.perSec, l.burst)
	if err != nil {
		return 0, false, fmt.Errorf("web: %s limit: %w", l.name, err)
	}
	return wait, ok, nil
}
