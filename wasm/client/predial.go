package client

import (
	"context"
	"sync"
	"time"
)

// PredialFresh is how old an early connection may be when the engine asks
// for its first one. An older one (the engine sat idle because the browser
// said it was offline) may have been dropped by the server or a proxy
// meanwhile; it is closed and a new one dialed, which costs less than a
// session that fails at its hello and waits out a back-off.
const PredialFresh = 5 * time.Second

// Predialed is a Transport whose first connection was started before the
// engine asked for it: on a cold start the WebSocket's handshake and the
// server's check of the session cookie then overlap with opening IndexedDB
// and loading the cache, instead of following them. The engine still
// writes its hello only after the cache is loaded, so the hello's cursors
// are always the ones the client holds; the early connection merely waits
// for it, holding nothing but an open socket.
type Predialed struct {
	inner Transport
	now   func() time.Time

	mu    sync.Mutex
	early chan predial // nil once the first Dial took it
}

// predial is the outcome of the early dial.
type predial struct {
	conn Conn
	err  error
	at   time.Time // when it finished
}

// Predial starts dialing inner now and returns the Transport to give the
// engine. The early dial is bounded by the same timeout as the engine's
// own dials; ctx ends it sooner.
func Predial(ctx context.Context, inner Transport) *Predialed {
	return predialWith(ctx, inner, time.Now)
}

// predialWith is Predial with a clock, for tests.
func predialWith(ctx context.Context, inner Transport, now func() time.Time) *Predialed {
	early := make(chan predial, 1) // buffered: the dial never waits for its taker
	p := &Predialed{inner: inner, now: now, early: early}
	go func() {
		dctx, cancel := context.WithTimeout(ctx, dialTimeout)
		conn, err := inner.Dial(dctx)
		cancel()
		early <- predial{conn: conn, err: err, at: now()}
	}()
	return p
}

// Drop gives up the early connection unless the engine took it already:
// it was opened with the session cookie of the moment, and after a sign-in
// that is not the session the engine's hello must speak for (the server
// would answer it as nobody, and the engine would take that for a
// sign-out of the user who just signed in). The next Dial dials afresh.
func (p *Predialed) Drop() {
	p.mu.Lock()
	early := p.early
	p.early = nil
	p.mu.Unlock()
	if early != nil {
		go func() {
			if r := <-early; r.conn != nil {
				r.conn.Close()
			}
		}()
	}
}

// Dial hands over the early connection the first time, when it succeeded
// and is still fresh, and dials anew otherwise: a failed early dial (the
// server was restarting, the browser was not yet online) is not the
// engine's first attempt's answer, since the world may have changed while
// the cache loaded.
func (p *Predialed) Dial(ctx context.Context) (Conn, error) {
	p.mu.Lock()
	early := p.early
	p.early = nil
	p.mu.Unlock()
	if early == nil {
		return p.inner.Dial(ctx)
	}
	select {
	case r := <-early:
		if r.err == nil && p.now().Sub(r.at) <= PredialFresh {
			return r.conn, nil
		}
		if r.conn != nil {
			r.conn.Close()
		}
	case <-ctx.Done():
		go func() { // the early dial ends within its timeout: never leak it
			if r := <-early; r.conn != nil {
				r.conn.Close()
			}
		}()
		return nil, ctx.Err()
	}
	return p.inner.Dial(ctx)
}
