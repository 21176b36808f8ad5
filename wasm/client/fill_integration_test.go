//go:build !js

package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// dropper loses inbound envelopes while the connection stays up, as a
// server that dropped a fan-out would, and counts the history.fetch
// requests the engine writes.
type dropper struct {
	inner   client.Transport
	mu      sync.Mutex
	drop    func(shared.Envelope) bool // asked about each inbound envelope until one matches
	dropped chan shared.Envelope       // receives the one envelope dropped
	fetches []shared.HistoryFetch
}

func (d *dropper) Dial(ctx context.Context) (client.Conn, error) {
	c, err := d.inner.Dial(ctx)
	if err != nil {
		return nil, err
	}
	return &dropConn{Conn: c, d: d}, nil
}

// dropNext arms the dropper to lose the next message.created of conv.
func (d *dropper) dropNext(conv string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dropped = make(chan shared.Envelope, 1)
	d.drop = func(env shared.Envelope) bool {
		var m shared.Message
		return env.Type == shared.TypeMessageCreated && json.Unmarshal(env.Data, &m) == nil && m.ConversationID == conv
	}
}

func (d *dropper) mustDropped(tb testing.TB) shared.Envelope {
	tb.Helper()
	d.mu.Lock()
	ch := d.dropped
	d.mu.Unlock()
	select {
	case env := <-ch:
		return env
	case <-time.After(webtest.Timeout):
		tb.Fatalf("no message.created dropped within %s", webtest.Timeout)
		return shared.Envelope{}
	}
}

func (d *dropper) fetched() []shared.HistoryFetch {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]shared.HistoryFetch(nil), d.fetches...)
}

type dropConn struct {
	client.Conn
	d *dropper
}

// Read removes the first envelope drop matches from its frame (a batched
// frame keeps its other envelopes); a frame left empty is skipped.
func (c *dropConn) Read(ctx context.Context) ([]byte, error) {
	for {
		b, err := c.Conn.Read(ctx)
		if err != nil {
			return b, err
		}
		var kept [][]byte
		c.d.mu.Lock()
		for _, line := range bytes.Split(b, []byte{'\n'}) {
			var env shared.Envelope
			if c.d.drop != nil && json.Unmarshal(line, &env) == nil && c.d.drop(env) {
				c.d.drop = nil
				c.d.dropped <- env
				continue
			}
			kept = append(kept, line)
		}
		c.d.mu.Unlock()
		if len(kept) > 0 {
			return bytes.Join(kept, []byte{'\n'}), nil
		}
	}
}

func (c *dropConn) Write(ctx context.Context, frame []byte) error {
	var env shared.Envelope
	if json.Unmarshal(frame, &env) == nil && env.Type == shared.TypeHistoryFetch {
		var f shared.HistoryFetch
		json.Unmarshal(env.Data, &f)
		c.d.mu.Lock()
		c.d.fetches = append(c.d.fetches, f)
		c.d.mu.Unlock()
	}
	return c.Conn.Write(ctx, frame)
}

// mustDropEngine starts an engine for u whose connections pass through a
// dropper; its tap counts the dials.
func mustDropEngine(tb testing.TB, srv *webtest.Server, u user) (*engine, *dropper) {
	tb.Helper()
	d := &dropper{inner: &client.WebSocketTransport{URL: srv.WSURL, Header: u.header}}
	st, tp := client.NewMemoryStorage(), newTap(d)
	e := client.New(client.Config{Storage: st, Transport: tp, Device: "test", Rand: func() float64 { return 0.05 }})
	e.Start(context.Background())
	tb.Cleanup(e.Stop)
	return &engine{Engine: e, st: st, tap: tp}, d
}

func mustSay(tb testing.TB, w *webtest.WS, conv, body string) shared.Message {
	tb.Helper()
	return *w.MustAck(tb, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv, Body: body}).Message
}

// checkBodies asserts the engine shows exactly bodies, in seq order from 1.
func checkBodies(t *testing.T, e *engine, conv string, bodies []string) {
	t.Helper()
	checkHeld(t, e, conv, 1, int64(len(bodies)))
	for i, m := range e.Messages(conv) {
		if m.Body != bodies[i] {
			t.Errorf("seq %d is %q, want %q", m.Seq, m.Body, bodies[i])
		}
	}
}

func TestLostLiveEventIsFilledWithoutReconnect(t *testing.T) {
	srv := webtest.MustServer(t)
	tests := []struct {
		name string
		own  bool // the message after the lost one is the engine's own: its ack comes before its event
	}{
		{"next from the other member", false},
		{"next is own", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ann, bob := mustUser(t, srv, fmt.Sprint("ann", i)), mustUser(t, srv, fmt.Sprint("bob", i))
			conv := mustDirect(t, srv, ann, bob)
			w := srv.MustConnect(t, bob.header, nil)
			e, d := mustDropEngine(t, srv, ann)
			e.waitCaughtUp(t)
			mustSay(t, w, conv, "one")
			e.wait(t, "the first message", func() bool { return len(e.Messages(conv)) == 1 })
			dials := e.tap.dialCount()

			d.dropNext(conv)
			mustSay(t, w, conv, "two")
			if env := d.mustDropped(t); env.Seq != 2 {
				t.Fatalf("dropped seq %d, want 2", env.Seq)
			}
			if n := len(e.Messages(conv)); n != 1 {
				t.Fatalf("engine holds %d messages after the loss, want 1", n)
			}
			if tt.own {
				if _, err := e.Send(conv, "three"); err != nil {
					t.Fatal(err)
				}
			} else {
				mustSay(t, w, conv, "three")
			}
			e.wait(t, "the lost message filled in", func() bool {
				ms := e.Messages(conv)
				return len(ms) == 3 && ms[1].State == client.MsgSent && ms[2].State == client.MsgSent
			})
			checkBodies(t, e, conv, []string{"one", "two", "three"})
			if n := e.tap.dialCount(); n != dials {
				t.Errorf("dialed %d times, want %d: the hole must be filled on the same connection", n, dials)
			}
			want := []shared.HistoryFetch{{ConversationID: conv, Before: 3, Limit: 1}}
			if got := d.fetched(); len(got) != 1 || got[0] != want[0] {
				t.Errorf("history fetches %+v, want %+v", got, want)
			}
		})
	}
}

func TestWideHoleIsFilledPageByPage(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	w := srv.MustConnect(t, bob.header, nil)
	e, d := mustDropEngine(t, srv, ann)
	e.waitCaughtUp(t)
	mustSay(t, w, conv, "b0")
	e.wait(t, "the first message", func() bool { return len(e.Messages(conv)) == 1 })
	dials := e.tap.dialCount()

	// Stored without fan-out: every one of them is a lost live event.
	const lost = shared.HistoryPageMax + 50
	mustSend(t, srv, bob, conv, 1, lost)
	last := mustSay(t, w, conv, "last").Seq
	e.wait(t, "the hole filled", func() bool { return int64(len(e.Messages(conv))) == last })
	checkHeld(t, e, conv, 1, last)
	if n := e.tap.dialCount(); n != dials {
		t.Errorf("dialed %d times, want %d", n, dials)
	}
	want := []shared.HistoryFetch{
		{ConversationID: conv, Before: last, Limit: shared.HistoryPageMax},
		{ConversationID: conv, Before: last - shared.HistoryPageMax, Limit: lost - shared.HistoryPageMax},
	}
	if got := d.fetched(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("history fetches %+v, want %+v", got, want)
	}
	if v, _ := e.Conversation(conv); v.HasOlder {
		t.Error("HasOlder after every message from seq 1 is held")
	}
}

func TestReplayGapIsNotFilled(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	const stored = shared.ReplayPageMax + 50
	mustSend(t, srv, bob, conv, 0, stored)
	w := srv.MustConnect(t, bob.header, nil)
	e, d := mustDropEngine(t, srv, ann)
	e.waitCaughtUp(t)
	first := int64(stored - shared.ReplayPageMax + 1)
	checkHeld(t, e, conv, first, stored)

	last := mustSay(t, w, conv, "live").Seq
	e.wait(t, "the live message", func() bool { return int64(len(e.Messages(conv))) == last-first+1 })
	// A round trip after the live message: a fill it had wrongly started
	// would have written its request by now.
	if _, err := e.SeenBy(context.Background(), conv, last); err != nil {
		t.Fatal(err)
	}
	if got := d.fetched(); len(got) != 0 {
		t.Errorf("history fetched %+v for the gap below the replay page; that is for scrolling", got)
	}
	checkHeld(t, e, conv, first, last)
	if v, _ := e.Conversation(conv); !v.HasOlder {
		t.Error("HasOlder lost")
	}
}
