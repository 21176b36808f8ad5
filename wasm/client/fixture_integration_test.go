//go:build !js

package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"natter/server/pgtest"
	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// user is a signed-up account with the headers its engine dials with.
type user struct {
	shared.User
	header http.Header
}

func mustUser(tb testing.TB, srv *webtest.Server, nick string) user {
	tb.Helper()
	u, h := srv.MustSignUp(tb, nick)
	h.Set("Origin", srv.URL)
	return user{u, h}
}

// tap wraps a transport to watch and cut the traffic: it records every ack
// the engine receives and lets a test drop a frame and the connection.
type tap struct {
	inner client.Transport
	mu    sync.Mutex
	acks  map[string][]shared.Ack
	dials int
	// cut, when set, is asked about each inbound frame; true drops the frame
	// and closes the connection before the engine reads it.
	cut func(envs []shared.Envelope) bool
	// silent, when set and true for a connection's dial number, swallows
	// every inbound frame: the connection looks alive but says nothing, as
	// a half-open one does.
	silent func(dial int) bool
	// onAck runs after each ack is recorded, outside the lock.
	onAck func(total int)
	total int
	// types counts the inbound envelopes by type; frame is signalled after
	// each inbound frame (waitFrames).
	types map[string]int
	frame chan struct{}
}

func newTap(inner client.Transport) *tap {
	return &tap{inner: inner, acks: map[string][]shared.Ack{}, types: map[string]int{}, frame: make(chan struct{}, 1)}
}

func (t *tap) Dial(ctx context.Context) (client.Conn, error) {
	c, err := t.inner.Dial(ctx)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.dials++
	n := t.dials
	t.mu.Unlock()
	return &tapConn{Conn: c, t: t, dial: n}, nil
}

func (t *tap) isSilent(dial int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.silent != nil && t.silent(dial)
}

func (t *tap) dialCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dials
}

func (t *tap) acksOf(id string) []shared.Ack {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]shared.Ack(nil), t.acks[id]...)
}

type tapConn struct {
	client.Conn
	t    *tap
	dial int
}

var errCut = errors.New("test: connection cut")

func (c *tapConn) Read(ctx context.Context) ([]byte, error) {
	b, err := c.Conn.Read(ctx)
	for err == nil && c.t.isSilent(c.dial) {
		b, err = c.Conn.Read(ctx)
	}
	if err != nil {
		return b, err
	}
	var envs []shared.Envelope
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		var env shared.Envelope
		if json.Unmarshal(line, &env) == nil {
			envs = append(envs, env)
		}
	}
	c.t.mu.Lock()
	cut := c.t.cut
	c.t.mu.Unlock()
	if cut != nil && cut(envs) {
		c.Conn.Close()
		return nil, errCut
	}
	var hooks []int
	c.t.mu.Lock()
	for _, env := range envs {
		c.t.types[env.Type]++
		if env.Type == shared.TypeAck {
			var a shared.Ack
			json.Unmarshal(env.Data, &a)
			c.t.acks[env.ID] = append(c.t.acks[env.ID], a)
			c.t.total++
			hooks = append(hooks, c.t.total)
		}
	}
	onAck := c.t.onAck
	c.t.mu.Unlock()
	select {
	case c.t.frame <- struct{}{}:
	default:
	}
	if onAck != nil {
		for _, n := range hooks {
			onAck(n)
		}
	}
	return b, nil
}

// waitFor blocks until cond holds, re-checking after each inbound frame;
// it fails the test after webtest.Timeout, saying what it waited for.
func (t *tap) waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.NewTimer(webtest.Timeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-t.frame:
		case <-deadline.C:
			tb.Fatalf("waited %s for %s", webtest.Timeout, what)
		}
	}
}

// frames counts the inbound envelopes of type typ so far.
func (t *tap) frames(typ string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.types[typ]
}

// historyAcks counts the acks received that hold a page of history.
func (t *tap) historyAcks() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, as := range t.acks {
		for _, a := range as {
			if a.History != nil {
				n++
			}
		}
	}
	return n
}

// engine is a started engine under test.
type engine struct {
	*client.Engine
	st  *client.MemoryStorage
	tap *tap
}

// mustEngine starts an engine for u on st (a fresh one when nil). Back-off
// jitter is small so reconnects in tests are quick but not a busy loop.
func mustEngine(tb testing.TB, srv *webtest.Server, u user, st *client.MemoryStorage) *engine {
	tb.Helper()
	if st == nil {
		st = client.NewMemoryStorage()
	}
	tp := newTap(&client.WebSocketTransport{URL: srv.WSURL, Header: u.header})
	e := client.New(client.Config{Storage: st, Transport: tp, Device: "test", Rand: func() float64 { return 0.05 }})
	e.Start(context.Background())
	tb.Cleanup(e.Stop)
	return &engine{Engine: e, st: st, tap: tp}
}

// wait blocks until cond holds, re-checking after every state change. It
// fails the test after webtest.Timeout, saying what it waited for.
func (e *engine) wait(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	ch := make(chan struct{}, 1)
	cancel := e.Subscribe(func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	})
	defer cancel()
	deadline := time.NewTimer(webtest.Timeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-ch:
		case <-deadline.C:
			tb.Fatalf("waited %s for %s; state %+v", webtest.Timeout, what, e.State().Status)
		}
	}
}

func (e *engine) waitCaughtUp(tb testing.TB) {
	tb.Helper()
	e.wait(tb, "caught up", func() bool { return e.State().Status.CaughtUp })
}

// goOffline tells the engine the browser went offline and waits until it
// says so, as a tab does on the offline event.
func (e *engine) goOffline(tb testing.TB) {
	tb.Helper()
	e.SetOnline(false)
	e.wait(tb, "offline", func() bool { return e.State().Status.State == client.StateOffline })
}

// waitSent waits until no message of conv is queued, sending or failed.
func (e *engine) waitSent(tb testing.TB, conv string, n int) {
	tb.Helper()
	e.wait(tb, "all messages sent", func() bool {
		ms := e.Messages(conv)
		if len(ms) < n {
			return false
		}
		for _, m := range ms {
			if m.State != client.MsgSent {
				return false
			}
		}
		return true
	})
}

// waitAcked waits until the outbox in Storage is empty: every action acked.
func (e *engine) waitAcked(tb testing.TB) {
	tb.Helper()
	e.wait(tb, "every action acknowledged", func() bool {
		kvs, err := e.st.List(context.Background(), client.BucketOutbox)
		return err == nil && len(kvs) == 0
	})
}

// mustDirect makes a one-to-one between a and b through the raw protocol.
func mustDirect(tb testing.TB, srv *webtest.Server, a, b user) string {
	tb.Helper()
	w := srv.MustConnect(tb, a.header, nil)
	ack := w.MustAck(tb, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{b.ID}})
	w.Conn.CloseNow()
	return ack.Conversation.ID
}

// mustHistory reads every message of conv from the server, oldest first.
func mustHistory(tb testing.TB, srv *webtest.Server, u user, conv string) []shared.Message {
	tb.Helper()
	var all []shared.Message
	before := int64(0)
	for {
		h, err := srv.Store.History(context.Background(), u.ID, conv, before, shared.HistoryPageMax)
		if err != nil {
			tb.Fatalf("history: %v", err)
		}
		all = append(h.Messages, all...)
		if !h.More || len(h.Messages) == 0 {
			return all
		}
		before = h.Messages[0].Seq
	}
}

// countBody counts the messages with body: a message stored twice, or
// not at all, is what the outbox must never do.
func countBody(msgs []shared.Message, body string) int {
	n := 0
	for _, m := range msgs {
		if m.Body == body {
			n++
		}
	}
	return n
}

func decodeData(env shared.Envelope, v any) error { return json.Unmarshal(env.Data, v) }
