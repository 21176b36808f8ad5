package hub_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"natter/server/hub"
)

// awaitWriters waits until at most n writer goroutines run, calling poke
// between looks. A writer parks or leaves a moment after its last write;
// there is no event to wait on from outside, so this looks again until
// guard.
func awaitWriters(t *testing.T, h *hub.Hub, n int, poke func()) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for h.Writers() > n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writers still running, want at most %d", h.Writers(), n)
		}
		poke()
		runtime.Gosched()
	}
}

// Writers that found their queue empty leave once the sweep sees they
// waited Linger, with no timer of their own, and the next envelope starts
// a writer again.
func TestIdleWritersRetire(t *testing.T) {
	h := MustHub(t, hub.Options{})
	const n = 50
	conns := make([]*fakeConn, n)
	var users []int64
	for i := range conns {
		conns[i] = newFakeConn()
		h.Attach(int64(i+1), int64(i+1), conns[i])
		users = append(users, int64(i+1))
	}
	for seq := int64(1); seq <= 2; seq++ {
		h.Publish(hub.Event{UserIDs: users, Payload: envelope(seq, 100)})
		for i, f := range conns {
			if got := decode(t, f.MustNext(t)).Seq; got != seq {
				t.Fatalf("client %d: seq %d, want %d", i, got, seq)
			}
		}
		h.Sweep(0) // too early: nobody has lingered Linger yet
		awaitWriters(t, h, 0, func() { h.Sweep(hub.Linger) })
	}
}

// A client that says no traffic of its own follows (after caught_up) has
// its writer leave as soon as the queue is empty, without any sweep.
func TestRetireWhenEmpty(t *testing.T) {
	h := MustHub(t, hub.Options{})
	conn := newFakeConn()
	c := h.Attach(1, 1, conn)
	c.Send(named("caught_up"))
	c.RetireWhenEmpty()
	conn.MustNext(t)
	awaitWriters(t, h, 0, func() {})
	c.Send(named("later"))
	if got := decode(t, conn.MustNext(t)).ID; got != "later" {
		t.Fatalf("got %q after retiring", got)
	}
}

// abortConn is a Conn whose Write ignores its context, as the web layer's
// does: only Abort ends a write that hangs.
type abortConn struct {
	*fakeConn
	aborted chan struct{}
}

func (a *abortConn) Write(_ context.Context, frame []byte) error {
	return a.fakeConn.Write(context.Background(), frame)
}

func (a *abortConn) Abort() {
	select {
	case <-a.aborted:
	default:
		close(a.aborted)
	}
}

// A stuck client whose Conn only Abort can unblock is still cut off, for
// being slow or for a write that hangs, and the others keep receiving.
func TestAborterStuckClient(t *testing.T) {
	for _, tt := range []struct {
		name  string
		opt   hub.Options
		cause error
	}{
		{"slow", hub.Options{QueueBytes: 4 << 10}, hub.ErrSlow},
		{"timeout", hub.Options{WriteTimeout: 20 * time.Millisecond}, hub.ErrWriteTimeout},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := MustHub(t, tt.opt)
			gated := newGatedConn()
			stuck := &abortConn{fakeConn: gated, aborted: make(chan struct{})}
			gated.gate = stuck.aborted // the write hangs until aborted
			s := h.Attach(1, 1, stuck)
			fast := newFakeConn()
			h.Attach(2, 2, fast)
			for seq := int64(1); seq <= 20; seq++ {
				h.Publish(hub.Event{UserIDs: []int64{1, 2}, Payload: envelope(seq, 512)})
				if got := decode(t, fast.MustNext(t)).Seq; got != seq {
					t.Fatalf("fast client: seq %d, want %d", got, seq)
				}
				if seq == 1 {
					gated.MustStarted(t)
				}
			}
			MustDone(t, s) // the hung write returned: Abort reached it
			if !errors.Is(s.Err(), tt.cause) {
				t.Fatalf("err = %v, want %v", s.Err(), tt.cause)
			}
			if h.Stats().DroppedClients != 1 || !h.Online(2) {
				t.Fatalf("stats %+v", h.Stats())
			}
		})
	}
}
