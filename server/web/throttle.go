package web

import (
	"sync"
	"time"
)

// SignInLimits tunes the sign-in throttle; zero fields take the defaults
// noted on each.
type SignInLimits struct {
	// PerAddress caps failed attempts from one client address against any
	// accounts (default 30): it stops one address spraying guesses.
	PerAddress int
	// PerAccountAddress caps failed attempts from one address against one
	// account (default 8): what a single guesser gets.
	PerAccountAddress int
	// PerAccount caps failed attempts against one account from all
	// addresses together (default 50), for guessing spread over many
	// addresses; see signInThrottle for who it applies to.
	PerAccount int
	// Window is how long a failure counts (default 15 minutes).
	Window time.Duration
}

func (l *SignInLimits) defaults() {
	if l.PerAddress == 0 {
		l.PerAddress = 30
	}
	if l.PerAccountAddress == 0 {
		l.PerAccountAddress = 8
	}
	if l.PerAccount == 0 {
		l.PerAccount = 50
	}
	if l.Window == 0 {
		l.Window = 15 * time.Minute
	}
}

// signInThrottle counts sign-in attempts in a sliding window under three
// keys: the client address, the (account, address) pair, and the account.
//
// An attempt is counted before its password is checked: reserve checks the
// three limits and records the attempt under all three keys in one step
// under one lock, so parallel attempts cannot all pass the check before any
// failure is recorded. A success hands its marks back and forgets the
// pair's failures; a failure keeps them.
//
// Why three keys: the pair key (8 per 15 minutes) is the limit a guesser
// meets, and it only ever blocks the address that did the guessing, so an
// attacker cannot lock a victim out by failing against their account from
// elsewhere. The address key (30) stops one address trying many accounts.
// The account key (50) bounds guessing spread over many addresses; once it
// is reached, only addresses that have themselves failed against the
// account in the window are refused. The owner, signing in from an address
// with no recent failure, still gets in; an attacker's addresses get one
// guess each. Locking the owner out therefore needs both a distributed
// attack and the owner mistyping during it, and lasts one window.
//
// It is a sliding window of marks rather than a golang.org/x/time/rate
// bucket because a success must hand its marks back: rate cannot refund a
// token it granted at once, and "8 failures in 15 minutes" is also what
// people understand from a Retry-After.
//
// Unknown logins are keyed by what was typed, so they throttle like an
// account and reveal nothing by being treated differently. The throttle is
// per node: with N nodes an attacker gets N times the limits.
type signInThrottle struct {
	mu     sync.Mutex
	lim    SignInLimits
	now    func() time.Time
	nextID uint64
	marks  map[string][]mark
}

// mark is one counted attempt.
type mark struct {
	at time.Time
	id uint64
}

// signInTicket identifies one reserved attempt, for release.
type signInTicket struct {
	id                uint64
	addr, pair, accnt string
}

func newSignInThrottle(lim SignInLimits) *signInThrottle {
	lim.defaults()
	return &signInThrottle{lim: lim, now: time.Now, marks: make(map[string][]mark)}
}

// reserve counts an attempt on account from addr, or refuses it and says
// how long until it would be allowed.
func (t *signInThrottle) reserve(account, addr string) (signInTicket, time.Duration, bool) {
	tk := signInTicket{addr: "a|" + addr, pair: "p|" + account + "|" + addr, accnt: "g|" + account}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	a, p, g := t.prune(tk.addr, now), t.prune(tk.pair, now), t.prune(tk.accnt, now)
	var wait time.Duration
	blocked := false
	for _, c := range []struct {
		list  []mark
		limit int
		apply bool
	}{
		{a, t.lim.PerAddress, true},
		{p, t.lim.PerAccountAddress, true},
		{g, t.lim.PerAccount, len(p) > 0},
	} {
		if c.apply && len(c.list) >= c.limit {
			blocked = true
			// The limit frees up when the oldest mark that keeps the
			// list at the limit expires.
			wait = max(wait, c.list[len(c.list)-c.limit].at.Add(t.lim.Window).Sub(now))
		}
	}
	if blocked {
		return tk, max(wait, time.Second), false
	}
	t.nextID++
	tk.id = t.nextID
	m := mark{at: now, id: tk.id}
	for _, k := range []string{tk.addr, tk.pair, tk.accnt} {
		t.marks[k] = append(t.marks[k], m)
	}
	t.sweep(now)
	return tk, 0, true
}

// succeeded hands a successful attempt's marks back and forgets the pair's
// failures. The account's failures from elsewhere stay: a success here says
// nothing about the other addresses.
func (t *signInThrottle) succeeded(tk signInTicket) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.unmark(tk.addr, tk.id)
	t.unmark(tk.accnt, tk.id)
	delete(t.marks, tk.pair)
}

// cancel hands an attempt's marks back when it was never judged (the
// server was too busy to check the password).
func (t *signInThrottle) cancel(tk signInTicket) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range []string{tk.addr, tk.pair, tk.accnt} {
		t.unmark(k, tk.id)
	}
}

func (t *signInThrottle) unmark(key string, id uint64) {
	list := t.marks[key]
	for i, m := range list {
		if m.id == id {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(t.marks, key)
	} else {
		t.marks[key] = list
	}
}

// prune drops key's marks older than the window and returns the rest.
func (t *signInThrottle) prune(key string, now time.Time) []mark {
	list := t.marks[key]
	cut := now.Add(-t.lim.Window)
	i := 0
	for i < len(list) && !list[i].at.After(cut) {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(t.marks, key)
		return nil
	}
	t.marks[key] = list
	return list
}

// sweep bounds memory under a spray of keys by dropping expired ones.
func (t *signInThrottle) sweep(now time.Time) {
	if len(t.marks) <= 100_000 {
		return
	}
	for k := range t.marks {
		t.prune(k, now)
	}
}
