package chat

import (
	"testing"
	"time"

	"golang.org/x/time/rate"

	"natter/shared"
)

func TestTakeIsAllOrNothing(t *testing.T) {
	now := time.Now()
	conn := rate.NewLimiter(1, 3)
	user := rate.NewLimiter(1, 2)
	for i := range 2 {
		if ok, _ := take(now, 1, conn, user); !ok {
			t.Fatalf("take %d refused within both bursts", i)
		}
	}
	ok, wait := take(now, 1, conn, user)
	if ok || wait < 900*time.Millisecond {
		t.Fatalf("third take: ok %v, wait %v; want refused for about a second", ok, wait)
	}
	// The refusal spent nothing: the connection still has its third token.
	if got := conn.TokensAt(now); got < 0.99 {
		t.Fatalf("the connection's limiter lost a token to a refusal: %v left", got)
	}
	if ok, wait := take(now, 5, conn); ok || wait != time.Hour {
		t.Fatalf("more than the burst: ok %v wait %v", ok, wait)
	}
}

func TestRetryAfterIsAtLeastOneMillisecond(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want int
	}{{0, 1}, {time.Nanosecond, 1}, {999 * time.Microsecond, 1}, {time.Millisecond, 1}, {1500 * time.Microsecond, 2}, {2 * time.Second, 2000}} {
		if got := retryAfter(c.in); got != c.want {
			t.Errorf("retryAfter(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestClassOf(t *testing.T) {
	for typ, want := range map[string]class{
		shared.TypeMessageSend: classAction, shared.TypeSeenMark: classAction, "no.such.type": classAction,
		shared.TypeHistoryFetch: classRead, shared.TypeSeenQuery: classRead, shared.TypeConversationsFetch: classRead,
		shared.TypeTyping: classSignal, shared.TypeReadPosition: classSignal, shared.TypePing: classSignal,
	} {
		if got := classOf(typ); got != want {
			t.Errorf("classOf(%s) = %s, want %s", typ, classNames[got], classNames[want])
		}
	}
}

func TestUserBudgetsOutliveConnections(t *testing.T) {
	l := DefaultLimits
	l.ConnsPerUser, l.OpensPerMinute = 2, 3
	u := newUsers(l)
	if _, ok := u.open(1); !ok {
		t.Fatal("first connection refused")
	}
	if _, ok := u.open(1); !ok {
		t.Fatal("second connection refused")
	}
	if _, ok := u.open(1); ok {
		t.Fatal("third connection over the cap accepted")
	}
	if _, ok := u.open(2); !ok {
		t.Fatal("another user's connection refused")
	}
	u.close(1)
	// One slot is free, and the third open of the minute is still allowed.
	b, ok := u.open(1)
	if !ok {
		t.Fatal("reopening after a close refused")
	}
	u.close(1)
	u.close(1)
	// Closing every connection keeps the budget (and what it spent).
	if b2, ok := u.open(1); ok || b2 != nil {
		t.Fatalf("a fourth open in a minute was allowed (budget %p, kept %p)", b2, b)
	}
}
