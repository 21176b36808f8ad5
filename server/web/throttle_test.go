package web

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"natter/server/store"
)

// The sign-in throttle's window, refunds and address limit, with attempts
// alternating between two nodes: the limits are the cluster's, not each
// node's.
func TestSignInThrottleWindow(t *testing.T) {
	s1, s2 := twoNodes(t)
	now := time.Unix(1_000_000, 0)
	var nodes []*signInThrottle
	for _, st := range []*store.Store{s1, s2} {
		th := newSignInThrottle(st, SignInLimits{PerAddress: 3, PerAccountAddress: 2, PerAccount: 10, Window: time.Minute}, slog.New(slog.DiscardHandler))
		th.now = func() time.Time { return now }
		nodes = append(nodes, th)
	}
	ctx := context.Background()
	n := 0
	reserve := func(account, addr string) (signInTicket, time.Duration, bool) {
		t.Helper()
		n++
		tk, wait, ok, err := nodes[n%2].reserve(ctx, account, addr)
		if err != nil {
			t.Fatal(err)
		}
		return tk, wait, ok
	}
	for i := range 2 {
		if _, _, ok := reserve("acct", "a"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
		now = now.Add(10 * time.Second)
	}
	_, wait, ok := reserve("acct", "a")
	if ok || wait != 40*time.Second {
		t.Fatalf("third attempt: ok %v wait %v; want refused until the first expires in 40s", ok, wait)
	}
	// Refused attempts are not counted: after the wait one slot is free.
	now = now.Add(wait)
	tk, _, ok := reserve("acct", "a")
	if !ok {
		t.Fatal("refused after the advertised wait")
	}
	if _, _, ok := reserve("acct", "a"); ok {
		t.Fatal("allowed beyond the limit")
	}
	// A cancelled attempt (the server was busy) gives its slot back, on
	// whichever node it is cancelled.
	nodes[0].cancel(ctx, tk)
	if _, _, ok := reserve("acct", "a"); !ok {
		t.Fatal("a cancelled attempt still counts")
	}
	// The address's limit spans accounts.
	if _, _, ok := reserve("other", "a"); !ok {
		t.Fatal("address limit applied early")
	}
	if _, _, ok := reserve("third", "a"); ok {
		t.Fatal("address limit of 3 not applied across accounts")
	}
	now = now.Add(time.Hour)
	tk, _, ok = reserve("acct", "a")
	if !ok {
		t.Fatal("refused after the window")
	}
	// A success hands its marks back and wipes the pair's failures.
	reserve("acct", "a")
	nodes[1].succeeded(ctx, tk)
	for i := range 2 {
		if _, _, ok := reserve("acct", "a"); !ok {
			t.Fatalf("attempt %d after a success refused", i)
		}
	}
}
