package web

import (
	"testing"
	"time"
)

func TestSignInThrottleWindow(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	th := newSignInThrottle(SignInLimits{PerAddress: 3, PerAccountAddress: 2, PerAccount: 10, Window: time.Minute})
	th.now = func() time.Time { return now }
	for i := range 2 {
		if _, _, ok := th.reserve("acct", "a"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
		now = now.Add(10 * time.Second)
	}
	_, wait, ok := th.reserve("acct", "a")
	if ok || wait != 40*time.Second {
		t.Fatalf("third attempt: ok %v wait %v; want refused until the first expires in 40s", ok, wait)
	}
	// Refused attempts are not counted: after the wait one slot is free.
	now = now.Add(wait)
	tk, _, ok := th.reserve("acct", "a")
	if !ok {
		t.Fatal("refused after the advertised wait")
	}
	if _, _, ok := th.reserve("acct", "a"); ok {
		t.Fatal("allowed beyond the limit")
	}
	// A cancelled attempt (the server was busy) gives its slot back.
	th.cancel(tk)
	if _, _, ok := th.reserve("acct", "a"); !ok {
		t.Fatal("a cancelled attempt still counts")
	}
	// The address's limit spans accounts.
	if _, _, ok := th.reserve("other", "a"); !ok {
		t.Fatal("address limit applied early")
	}
	if _, _, ok := th.reserve("third", "a"); ok {
		t.Fatal("address limit of 3 not applied across accounts")
	}
	now = now.Add(time.Hour)
	if _, _, ok := th.reserve("acct", "a"); !ok {
		t.Fatal("refused after the window")
	}
}
