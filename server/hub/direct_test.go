package hub_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"natter/server/hub"
)

// directConn is a fakeConn the fan-out may write to itself. Each TryWrite
// takes the next outcome of its script (all of it, none, part of it, an
// error), "all" once the script is spent. A frame begun with "part" is
// completed by Flush; a Write before that fails the test.
type directConn struct {
	*fakeConn
	tb     testing.TB
	mu     sync.Mutex
	script []string
	kept   []byte
}

func newDirectConn(tb testing.TB, script ...string) *directConn {
	return &directConn{fakeConn: newFakeConn(), tb: tb, script: script}
}

func (d *directConn) TryWrite(frame []byte) (done, kept bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.kept != nil {
		d.tb.Error("TryWrite with part of a frame still kept")
	}
	step := "all"
	if len(d.script) > 0 {
		step, d.script = d.script[0], d.script[1:]
	}
	switch step {
	case "none":
		return false, false, nil
	case "part":
		d.kept = bytes.Clone(frame)
		return false, true, nil
	case "error":
		return false, false, errors.New("connection reset")
	}
	d.frames <- bytes.Clone(frame)
	return true, false, nil
}

func (d *directConn) Flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.kept != nil {
		d.frames <- d.kept
		d.kept = nil
	}
	return nil
}

func (d *directConn) Write(ctx context.Context, frame []byte) error {
	d.mu.Lock()
	if d.kept != nil {
		d.tb.Error("Write before the kept part of a frame was flushed")
	}
	d.mu.Unlock()
	return d.fakeConn.Write(ctx, frame)
}

// TestDirectWrites: the fan-out writes to an idle client itself, and
// whatever the socket does (takes all, nothing, part, fails), the client
// gets every envelope once, in order, or is cut off.
func TestDirectWrites(t *testing.T) {
	tests := []struct {
		name       string
		script     []string
		wantDirect uint64 // frames the fan-out wrote itself
	}{
		{name: "all", wantDirect: 3},
		{name: "socket full", script: []string{"none"}, wantDirect: 0}, // the writer, once started, keeps the rest
		{name: "part", script: []string{"part"}, wantDirect: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := MustHub(t, hub.Options{})
			d := newDirectConn(t, tt.script...)
			h.Attach(1, 10, d)
			var evs []hub.Event
			for i := range 3 {
				evs = append(evs, hub.Event{UserIDs: []int64{1}, Payload: named(fmt.Sprint("e", i))})
			}
			for _, ev := range evs {
				h.Publish(ev)
			}
			for i := range 3 {
				if got, want := d.MustNext(t), named(fmt.Sprint("e", i)); !bytes.Equal(got, want) {
					t.Fatalf("envelope %d = %s, want %s", i, got, want)
				}
			}
			if got := h.Stats().Direct; got < tt.wantDirect {
				t.Errorf("direct frames = %d, want at least %d", got, tt.wantDirect)
			}
			if got := h.Stats().Delivered; got != 3 {
				t.Errorf("delivered = %d, want 3", got)
			}
		})
	}
	t.Run("error", func(t *testing.T) {
		h := MustHub(t, hub.Options{})
		d := newDirectConn(t, "error")
		c := h.Attach(1, 10, d)
		h.Publish(hub.Event{UserIDs: []int64{1}, Payload: named("e0")})
		MustDone(t, c)
		if err := c.Err(); err == nil {
			t.Error("the client died without a cause")
		}
		d.MustClosed(t)
	})
}

// TestDirectFanoutManyReceivers: a conversation split over goroutines still
// gives each receiver every event once, in publish order.
func TestDirectFanoutManyReceivers(t *testing.T) {
	h := MustHub(t, hub.Options{})
	const users = 1000
	conns := make([]*directConn, users)
	ids := make([]int64, users)
	for i := range users {
		conns[i] = newDirectConn(t)
		ids[i] = int64(i + 1)
		h.Attach(ids[i], ids[i]*10, conns[i])
	}
	var evs []hub.Event
	for i := range 4 {
		evs = append(evs, hub.Event{UserIDs: ids, Payload: named(fmt.Sprint("e", i))})
	}
	h.PublishBatch(evs[:2])
	h.PublishBatch(evs[2:])
	for u, d := range conns {
		for i := range 4 {
			if got, want := d.MustNext(t), named(fmt.Sprint("e", i)); !bytes.Equal(got, want) {
				t.Fatalf("user %d: envelope %d = %s, want %s", u+1, i, got, want)
			}
		}
	}
	if got := h.Stats().Delivered; got != 4*users {
		t.Errorf("delivered = %d, want %d", got, 4*users)
	}
}

// TestLead: an answer rides ahead of its event, in the same frame, only
// when it is the connection's next answer; SendAnswer then skips it, and
// numbered answers keep their order either way.
func TestLead(t *testing.T) {
	ack := func(n int) []byte { return named(fmt.Sprint("ack", n)) }
	for _, direct := range []bool{false, true} {
		t.Run(fmt.Sprintf("next answer rides ahead, direct %v", direct), func(t *testing.T) {
			h := MustHub(t, hub.Options{})
			var f interface {
				hub.Conn
				MustFrame(testing.TB) []byte
			} = newFakeConn()
			if direct {
				f = newDirectConn(t)
			}
			c := h.Attach(1, 10, f)
			lead := &hub.Lead{Client: c, N: 0, Env: ack(0)}
			h.Publish(hub.Event{UserIDs: []int64{1, 2}, Payload: named("m0"), Lead: lead})
			if want := append(append(ack(0), '\n'), named("m0")...); !bytes.Equal(f.MustFrame(t), want) {
				t.Fatalf("the ack and its event did not come in one frame")
			}
			if !lead.Queued() {
				t.Error("Queued = false for a lead that went")
			}
			if c.SendAnswer(0, ack(0)) {
				t.Error("SendAnswer queued an answer its lead had queued")
			}
			if c.Answered() != 1 {
				t.Errorf("Answered = %d, want 1", c.Answered())
			}
			if got, want := h.Stats().Direct, map[bool]uint64{false: 0, true: 1}[direct]; got != want {
				t.Errorf("direct frames = %d, want %d", got, want)
			}
		})
	}
	t.Run("a run with answers, direct", func(t *testing.T) {
		h := MustHub(t, hub.Options{})
		d := newDirectConn(t)
		c := h.Attach(1, 10, d)
		l0, l1, l5 := &hub.Lead{Client: c, N: 0, Env: ack(0)}, &hub.Lead{Client: c, N: 1, Env: ack(1)}, &hub.Lead{Client: c, N: 5, Env: ack(5)}
		ids := []int64{1, 2}
		h.PublishBatch([]hub.Event{
			{UserIDs: ids, Payload: named("m0"), Lead: l0},
			{UserIDs: ids, Payload: named("m1"), Lead: l1},
			{UserIDs: ids, Payload: named("m5"), Lead: l5}, // not next: goes without its answer
		})
		want := bytes.Join([][]byte{ack(0), named("m0"), ack(1), named("m1"), named("m5")}, []byte{'\n'})
		if got := d.MustFrame(t); !bytes.Equal(got, want) {
			t.Fatalf("frame\n%s\nwant\n%s", got, want)
		}
		if !l0.Queued() || !l1.Queued() || l5.Queued() {
			t.Errorf("queued: %v %v %v, want true true false", l0.Queued(), l1.Queued(), l5.Queued())
		}
		if c.Answered() != 2 {
			t.Errorf("Answered = %d, want 2", c.Answered())
		}
	})
	t.Run("earlier answer due", func(t *testing.T) {
		h := MustHub(t, hub.Options{})
		f := newFakeConn()
		c := h.Attach(1, 10, f)
		lead := &hub.Lead{Client: c, N: 1, Env: ack(1)}
		h.Publish(hub.Event{UserIDs: []int64{1}, Payload: named("m1"), Lead: lead})
		if lead.Queued() {
			t.Fatal("a lead went before the answer ahead of it")
		}
		if !c.SendAnswer(0, ack(0)) || !c.SendAnswer(1, ack(1)) {
			t.Fatal("SendAnswer refused answers no lead had queued")
		}
		for _, want := range [][]byte{named("m1"), ack(0), ack(1)} {
			if got := f.MustNext(t); !bytes.Equal(got, want) {
				t.Fatalf("got %s, want %s", got, want)
			}
		}
	})
}
