package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"natter/shared"
)

// peer is a person on a WebSocket of their own, as a browser would be:
// the benchmark's second user, who writes the messages the measured
// browser receives. A read loop drains everything the server sends (a
// connection whose frames are not read is cut as a slow consumer) and
// hands acks and errors to whoever waits for them.
type peer struct {
	c      *websocket.Conn
	ctx    context.Context
	cancel func()
	mu     sync.Mutex
	wait   map[string]chan shared.Envelope
	err    error
}

// dialPeer connects with a session cookie and says hello.
func dialPeer(baseURL string, cookie *http.Cookie) (*peer, error) {
	ctx, cancel := context.WithCancel(context.Background())
	h := http.Header{"Cookie": {cookie.String()}, "Origin": {baseURL}}
	dctx, dcancel := context.WithTimeout(ctx, time.Minute)
	defer dcancel()
	c, _, err := websocket.Dial(dctx, strings.Replace(baseURL, "http", "ws", 1)+shared.PathWebSocket, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("peer: dial: %w", err)
	}
	c.SetReadLimit(64 << 20)
	p := &peer{c: c, ctx: ctx, cancel: cancel, wait: map[string]chan shared.Envelope{}}
	go p.read()
	if err := p.send(shared.TypeHello, shared.NewUUIDv7(), shared.Hello{Protocol: shared.ProtocolVersion, Device: shared.NewUUIDv7()}); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (p *peer) read() {
	for {
		_, frame, err := p.c.Read(p.ctx)
		if err != nil {
			p.mu.Lock()
			p.err = err
			for id, ch := range p.wait {
				close(ch)
				delete(p.wait, id)
			}
			p.mu.Unlock()
			return
		}
		for _, line := range bytes.Split(frame, []byte("\n")) {
			var env shared.Envelope
			if json.Unmarshal(line, &env) != nil {
				continue
			}
			if env.Type == shared.TypePing {
				// Unanswered, the server takes the connection for dead.
				go p.send(shared.TypePong, env.ID, nil)
				continue
			}
			if env.ID == "" || (env.Type != shared.TypeAck && env.Type != shared.TypeError) {
				continue
			}
			p.mu.Lock()
			ch := p.wait[env.ID]
			delete(p.wait, env.ID)
			p.mu.Unlock()
			if ch != nil {
				ch <- env
			}
		}
	}
}

// send writes one action without waiting for its ack.
func (p *peer) send(typ, id string, data any) error {
	raw, _ := json.Marshal(data)
	env, _ := json.Marshal(shared.Envelope{V: shared.ProtocolVersion, Type: typ, ID: id, Data: raw})
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	if err := p.c.Write(ctx, websocket.MessageText, env); err != nil {
		return fmt.Errorf("peer: write %s: %w", typ, err)
	}
	return nil
}

// expect registers for the answer to action id; call before sending it.
func (p *peer) expect(id string) chan shared.Envelope {
	ch := make(chan shared.Envelope, 1)
	p.mu.Lock()
	p.wait[id] = ch
	p.mu.Unlock()
	return ch
}

// answer waits for the answer registered with expect.
func (p *peer) answer(ch chan shared.Envelope) (shared.Ack, error) {
	var ack shared.Ack
	select {
	case env, ok := <-ch:
		if !ok {
			return ack, fmt.Errorf("peer: connection ended: %v", p.err)
		}
		if env.Type == shared.TypeError {
			return ack, fmt.Errorf("peer: refused: %s", env.Data)
		}
		return ack, json.Unmarshal(env.Data, &ack)
	case <-time.After(2 * time.Minute):
		return ack, fmt.Errorf("peer: no answer in 2 minutes")
	}
}

// say sends a message and returns its seq once acknowledged, and when the
// write started.
func (p *peer) say(conv, body string) (int64, time.Time, error) {
	id := shared.NewUUIDv7()
	ch := p.expect(id)
	t0 := time.Now()
	if err := p.send(shared.TypeMessageSend, id, shared.MessageSend{ConversationID: conv, Body: body}); err != nil {
		return 0, t0, err
	}
	ack, err := p.answer(ch)
	if err != nil {
		return 0, t0, err
	}
	if ack.Message == nil {
		return 0, t0, fmt.Errorf("peer: ack without a message")
	}
	return ack.Message.Seq, t0, nil
}

// burstWindow is how many of a burst's messages await their ack at once:
// the server bounds each connection's queue, as the app's outbox window
// does.
const burstWindow = 32

// burst sends n messages as fast as the server takes them (burstWindow
// awaiting their ack at a time) and returns the last one's seq once every
// one is acknowledged.
func (p *peer) burst(conv string, n int, body func(i int) string) (int64, error) {
	type sent struct {
		ch chan shared.Envelope
	}
	var inflight []sent
	var last int64
	wait := func() error {
		ack, err := p.answer(inflight[0].ch)
		inflight = inflight[1:]
		if err != nil {
			return err
		}
		if ack.Message != nil {
			last = max(last, ack.Message.Seq)
		}
		return nil
	}
	for i := range n {
		if len(inflight) == burstWindow {
			if err := wait(); err != nil {
				return 0, err
			}
		}
		id := shared.NewUUIDv7()
		ch := p.expect(id)
		if err := p.send(shared.TypeMessageSend, id, shared.MessageSend{ConversationID: conv, Body: body(i)}); err != nil {
			return 0, err
		}
		inflight = append(inflight, sent{ch})
	}
	for len(inflight) > 0 {
		if err := wait(); err != nil {
			return 0, err
		}
	}
	return last, nil
}

func (p *peer) close() {
	p.cancel()
	p.c.CloseNow()
}
