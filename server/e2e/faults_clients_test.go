package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"natter/shared"
	"natter/wasm/client"
)

// bell wakes every waiter at once: engines ring it on each state change,
// the test when it releases more typing.
type bell struct {
	mu sync.Mutex
	ch chan struct{}
}

func newBell() *bell { return &bell{ch: make(chan struct{})} }

func (b *bell) ring() {
	b.mu.Lock()
	close(b.ch)
	b.ch = make(chan struct{})
	b.mu.Unlock()
}

func (b *bell) c() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

// waitBell re-checks cond after every ring until it holds, for at most
// faultWait.
func waitBell(ctx context.Context, b *bell, what string, cond func() bool) error {
	return waitBellFor(ctx, b, faultWait, what, cond)
}

// waitBellFor is waitBell with its own bound.
func waitBellFor(ctx context.Context, b *bell, limit time.Duration, what string, cond func() bool) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		ch := b.c()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("waited %s for %s", limit, what)
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
}

// faultSent is one message a stream sent: the action id Send returned.
type faultSent struct {
	sender         int64
	id, conv, body string
}

// faultPeer is one user's tab: its durable storage outlives the engines that
// a reload replaces.
type faultPeer struct {
	shared.User
	header http.Header
	wsURL  string
	st     *client.MemoryStorage
	bell   *bell

	mu    sync.RWMutex // held for writing while the tab reloads
	eng   *client.Engine
	unsub func()
	sent  []faultSent

	dials  atomic.Int64
	gate   atomic.Pointer[chan struct{}] // while set, dials wait for it to close (reload)
	wmu    sync.Mutex                    // not mu: the engine writes while a reload holds mu
	writes map[string][]time.Time        // message.send action id -> when each copy went on the wire
	got    map[string][]string           // "conv/seq" -> how it reached the engine (see faultConn.Read)
}

// Dial wraps the engine's connections so the test sees every action it
// writes, and so which ones it sent more than once.
func (p *faultPeer) Dial(ctx context.Context) (client.Conn, error) {
	if g := p.gate.Load(); g != nil {
		select {
		case <-*g:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c, err := (&client.WebSocketTransport{URL: p.wsURL, Header: p.header}).Dial(ctx)
	if err != nil {
		return nil, err
	}
	return &faultConn{Conn: c, p: p, dial: p.dials.Add(1)}, nil
}

type faultConn struct {
	client.Conn
	p    *faultPeer
	dial int64
}

// Read notes every message that reaches the engine, as an event ("e3":
// on connection 3) or an ack ("a3"), so a message missing from a view can
// be told apart: never sent by the server, or dropped by the engine.
func (c *faultConn) Read(ctx context.Context) ([]byte, error) {
	b, err := c.Conn.Read(ctx)
	if err != nil {
		return b, err
	}
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		var env shared.Envelope
		var m struct {
			shared.Message
			Ack *shared.Message `json:"message"`
		}
		if json.Unmarshal(line, &env) != nil || json.Unmarshal(env.Data, &m) != nil {
			continue
		}
		how, msg := "e", m.Message
		switch {
		case env.Type == shared.TypeAck && m.Ack != nil:
			how, msg = "a", *m.Ack
		case env.Type != shared.TypeMessageCreated:
			continue
		}
		if msg.Seq == 0 {
			msg.Seq = env.Seq
		}
		k := fmt.Sprintf("%s/%d", msg.ConversationID, msg.Seq)
		c.p.wmu.Lock()
		c.p.got[k] = append(c.p.got[k], fmt.Sprintf("%s%d", how, c.dial))
		c.p.wmu.Unlock()
	}
	return b, nil
}

func (c *faultConn) Write(ctx context.Context, frame []byte) error {
	var env shared.Envelope
	if json.Unmarshal(frame, &env) == nil && env.Type == shared.TypeMessageSend {
		c.p.wmu.Lock()
		c.p.writes[env.ID] = append(c.p.writes[env.ID], time.Now())
		c.p.wmu.Unlock()
	}
	return c.Conn.Write(ctx, frame)
}

func (p *faultPeer) start() {
	e := client.New(client.Config{Storage: p.st, Transport: p, Device: "faults", Rand: func() float64 { return 0.05 }})
	p.unsub = e.Subscribe(p.bell.ring)
	e.Start(context.Background())
	p.eng = e
}

func (p *faultPeer) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.eng != nil {
		p.unsub()
		p.eng.Stop()
		p.eng = nil
	}
}

func (p *faultPeer) engine() *client.Engine {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.eng
}

func (p *faultPeer) send(conv, body string) error {
	p.mu.Lock() // the UI accepts no input while the tab reloads
	defer p.mu.Unlock()
	id, err := p.eng.Send(conv, body)
	if err == nil {
		p.sent = append(p.sent, faultSent{sender: p.ID, id: id, conv: conv, body: body})
	}
	return err
}

func (p *faultPeer) sentMsgs() []faultSent {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return append([]faultSent(nil), p.sent...)
}

// reload stops the engine mid-queue, as closing the tab does, and starts a
// new one on the same storage; the new one must hold the same outbox.
func (p *faultPeer) reload(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	p.unsub()
	p.eng.Stop()
	was := p.eng.State().Outbox
	// The new engine's first connection waits until its outbox is read:
	// otherwise it may send the first actions and have their acks (which
	// take them out of the outbox) before the test looks.
	gate := make(chan struct{})
	p.gate.Store(&gate)
	p.start()
	now := p.eng.State().Outbox
	// A send whose message the closed tab already held (its echo came in,
	// its ack had not) is confirmed: the new start drops its entry
	// (expireOld), and nothing is sent again. The rest must all be there.
	was = slices.DeleteFunc(was, func(a client.ActionView) bool {
		if a.Type != shared.TypeMessageSend {
			return false
		}
		for _, m := range p.eng.Messages(a.ConvID) {
			if m.Message.ActionID == a.ID && m.Seq > 0 && m.State == client.MsgSent {
				return !slices.ContainsFunc(now, func(b client.ActionView) bool { return b.ID == a.ID })
			}
		}
		return false
	})
	close(gate)
	p.gate.Store(nil)
	p.mu.Unlock()
	if len(now) != len(was) {
		t.Errorf("%s: the outbox held %d actions when the tab closed, %d after the reload", p.Nickname, len(was), len(now))
	}
	for i := range min(len(now), len(was)) {
		if now[i].ID != was[i].ID {
			t.Errorf("%s: outbox entry %d was %s before the reload, %s after", p.Nickname, i, was[i].ID, now[i].ID)
		}
	}
}
