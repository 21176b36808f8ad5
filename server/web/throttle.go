package web

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"natter/server/store"
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
// under the keys' locks, so parallel attempts (on any nodes) cannot all
// pass the check before any failure is recorded. A success hands its marks back and forgets the
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
// account and reveal nothing by being treated differently.
//
// The marks live in the database (store.ReserveMarks), so every node counts
// against the same limits: spreading guesses over N nodes gains nothing.
// Reserving is one short transaction that locks the three keys; it runs
// only for sign-ins and password checks, which cost an argon2 hash anyway.
type signInThrottle struct {
	st  *store.Store
	lim SignInLimits
	now func() time.Time
	log *slog.Logger
}

// signInTicket identifies one reserved attempt, for release.
type signInTicket struct {
	id                int64
	addr, pair, accnt string
}

func newSignInThrottle(st *store.Store, lim SignInLimits, log *slog.Logger) *signInThrottle {
	lim.defaults()
	return &signInThrottle{st: st, lim: lim, now: time.Now, log: log}
}

// reserve counts an attempt on account from addr, or refuses it and says
// how long until it would be allowed. An error means neither happened.
func (t *signInThrottle) reserve(ctx context.Context, account, addr string) (signInTicket, time.Duration, bool, error) {
	tk := signInTicket{addr: "signin:a|" + addr, pair: "signin:p|" + account + "|" + addr, accnt: "signin:g|" + account}
	now := t.now()
	id, wait, ok, err := t.st.ReserveMarks(ctx, []string{tk.addr, tk.pair, tk.accnt}, now, t.lim.Window,
		func(l []store.Marks) (time.Duration, bool) { return t.judge(now, l[0], l[1], l[2]) })
	if err != nil {
		return tk, 0, false, fmt.Errorf("web: sign-in throttle: %w", err)
	}
	tk.id = id
	if ok && rand.IntN(sweepOneIn) == 0 {
		t.sweep(now)
	}
	return tk, wait, ok, nil
}

// judge applies the three limits to the marks in the window under the
// address (a), pair (p) and account (g) keys.
func (t *signInThrottle) judge(now time.Time, a, p, g store.Marks) (time.Duration, bool) {
	var wait time.Duration
	blocked := false
	for _, c := range []struct {
		list  store.Marks
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
			wait = max(wait, c.list[len(c.list)-c.limit].Add(t.lim.Window).Sub(now))
		}
	}
	if blocked {
		return max(wait, time.Second), false
	}
	return 0, true
}

// succeeded hands a successful attempt's marks back and forgets the pair's
// failures. The account's failures from elsewhere stay: a success here says
// nothing about the other addresses.
func (t *signInThrottle) succeeded(ctx context.Context, tk signInTicket) {
	if err := t.st.ReleaseMarks(ctx, tk.id, []string{tk.addr, tk.accnt}, []string{tk.pair}); err != nil {
		t.log.Warn("web: sign-in throttle: refund a success", "err", err)
	}
}

// cancel hands an attempt's marks back when it was never judged (the
// server was too busy to check the password).
func (t *signInThrottle) cancel(ctx context.Context, tk signInTicket) {
	if err := t.st.ReleaseMarks(ctx, tk.id, []string{tk.addr, tk.pair, tk.accnt}, nil); err != nil {
		t.log.Warn("web: sign-in throttle: refund a cancelled attempt", "err", err)
	}
}

// sweepOneIn is how rarely (one reservation in so many) a node deletes the
// throttle rows nobody has touched for a day: a spray of one-off keys must
// not grow the tables for ever, and a timer per node would be one more
// moving part for the same effect.
const sweepOneIn = 256

// sweep deletes throttle rows older than a day, the longest window any
// throttle uses, in the background.
func (t *signInThrottle) sweep(now time.Time) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := t.st.SweepThrottles(ctx, now.Add(-25*time.Hour)); err != nil {
			t.log.Warn("web: sweep throttles", "err", err)
		}
	}()
}
