package web

import (
	"sync"
	"time"
)

// throttle counts failed sign-ins per key (an IP address or an account) in a
// sliding window. Only failures count, so a user who types their password
// right is never slowed down by someone else guessing at another account.
// It is per node: with several nodes an attacker gets the limit once per node,
// which still caps guessing at a few attempts a minute.
type throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	fails  map[string][]time.Time
}

func newThrottle(limit int, window time.Duration) *throttle {
	return &throttle{limit: limit, window: window, now: time.Now, fails: make(map[string][]time.Time)}
}

// blocked reports whether key has reached its limit, and for how long.
func (t *throttle) blocked(key string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := t.prune(key)
	if len(recent) < t.limit {
		return false, 0
	}
	return true, recent[0].Add(t.window).Sub(t.now())
}

// fail records a failure for key.
func (t *throttle) fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fails[key] = append(t.prune(key), t.now())
	if len(t.fails) > 100_000 { // bound memory under a spray of keys
		for k := range t.fails {
			if len(t.prune(k)) == 0 {
				delete(t.fails, k)
			}
		}
	}
}

// reset forgets key's failures after a success.
func (t *throttle) reset(key string) {
	t.mu.Lock()
	delete(t.fails, key)
	t.mu.Unlock()
}

func (t *throttle) prune(key string) []time.Time {
	list := t.fails[key]
	cut := t.now().Add(-t.window)
	i := 0
	for i < len(list) && !list[i].After(cut) {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(t.fails, key)
		return nil
	}
	t.fails[key] = list
	return list
}
