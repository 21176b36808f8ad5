package chat

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// users keeps each user's budgets: shared by all their connections, and
// kept after the last one closes until they have refilled, so closing and
// reopening a connection refills nothing.
type users struct {
	lim Limits
	mu  sync.Mutex
	m   map[int64]*userBudget
}

// userBudget is one user's share of every limit.
type userBudget struct {
	conns   int
	classes [classCount]*rate.Limiter
	creates *rate.Limiter // conversations per hour
	adds    *rate.Limiter // people added per hour
	opens   *rate.Limiter // connections opened: each costs a replay
	search  *rate.Limiter // searches (chat/search.go)
}

func newUsers(l Limits) *users { return &users{lim: l, m: make(map[int64]*userBudget)} }

// open counts a new connection of the user, refusing it past ConnsPerUser
// or when the user opens connections faster than OpensPerMinute (each one
// replays what the client missed, which is the costliest thing a client
// can ask for).
func (u *users) open(userID int64) (*userBudget, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	b := u.m[userID]
	if b == nil {
		l := u.lim
		perHour := func(n int) *rate.Limiter { return rate.NewLimiter(rate.Limit(float64(n)/3600), n) }
		b = &userBudget{
			classes: [classCount]*rate.Limiter{
				classAction: rate.NewLimiter(rate.Limit(l.UserActionRate), l.UserActionBurst),
				classRead:   rate.NewLimiter(rate.Limit(2*l.ReadRate), 2*l.ReadBurst),
				classSignal: rate.NewLimiter(rate.Limit(2*l.SignalRate), 2*l.SignalBurst),
			},
			creates: perHour(l.CreatesPerHour),
			adds:    perHour(l.AddsPerHour),
			opens:   rate.NewLimiter(rate.Limit(l.OpensPerMinute)/60, l.OpensPerMinute),
			search:  rate.NewLimiter(rate.Limit(l.SearchRate), l.SearchBurst),
		}
		u.m[userID] = b
	}
	if b.conns >= u.lim.ConnsPerUser || !b.opens.Allow() {
		return nil, false
	}
	b.conns++
	return b, true
}

// close uncounts a connection; the budget stays until the sweep finds it
// idle and full.
func (u *users) close(userID int64) {
	u.mu.Lock()
	if b := u.m[userID]; b != nil && b.conns > 0 {
		b.conns--
	}
	u.mu.Unlock()
}

// sweep forgets, every interval, the budgets of users with no connection
// whose every limiter has refilled: forgetting them then changes nothing.
func (u *users) sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			u.mu.Lock()
			for id, b := range u.m {
				if b.conns == 0 && b.full(now) {
					delete(u.m, id)
				}
			}
			u.mu.Unlock()
		}
	}
}

func (b *userBudget) full(now time.Time) bool {
	for _, l := range append(b.classes[:], b.creates, b.adds, b.opens, b.search) {
		if l.TokensAt(now) < float64(l.Burst()) {
			return false
		}
	}
	return true
}

// take spends n from each limiter, all or nothing. When one cannot pay at
// once it spends nothing and says how long until all could.
func take(now time.Time, n int, lims ...*rate.Limiter) (bool, time.Duration) {
	rs := make([]*rate.Reservation, 0, len(lims))
	var wait time.Duration
	for _, l := range lims {
		r := l.ReserveN(now, n)
		if !r.OK() { // n is over the burst: it can never pass
			for _, r := range rs {
				r.CancelAt(now)
			}
			return false, time.Hour
		}
		rs = append(rs, r)
		wait = max(wait, r.DelayFrom(now))
	}
	if wait == 0 {
		return true, 0
	}
	for _, r := range rs {
		r.CancelAt(now)
	}
	return false, wait
}
