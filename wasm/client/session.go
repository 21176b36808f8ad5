package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"natter/shared"
)

// DefaultHeartbeat is the ping interval until the server's welcome says
// otherwise. A connection silent for 2.5 intervals is dropped as half-open.
const DefaultHeartbeat = 15 * time.Second

const dialTimeout = 20 * time.Second

// errTerminal ends the connection loop until RetryNow: the session is gone
// or the app must update.
var errTerminal = errors.New("client: terminal")

// errStale ends a connection dialed before the latest sign-in that the
// server refused as signed out: the refusal was for the cookie of the
// moment, not for the person who has signed in since, so the loop dials
// again at once instead of wiping the device (see SignedIn).
var errStale = errors.New("client: connection opened before the sign-in")

// session is one connection, from dial to close.
type session struct {
	e       *Engine
	conn    Conn
	ctx     context.Context
	cancel  context.CancelCauseFunc
	wmu     sync.Mutex
	kickc   chan struct{}
	hb      atomic.Int64 // heartbeat interval in ns
	start   time.Time
	lastIn  atomic.Int64 // ns since start of the last inbound frame
	welcome bool         // guarded by e.mu
	// signIns is Engine.signIns when the dial began: a session opened
	// before a sign-in carried the cookie of the moment (none, or the last
	// user's), so its "not signed in" speaks for no one now.
	signIns int
	caught  bool            // guarded by e.mu
	listed  map[string]bool // conversations the server described on this connection
	// paging is set while conversations beyond the replay's first page are
	// fetched; quiet lists those they described, whose replayed messages
	// must not notify (they are history, not news). Guarded by e.mu.
	paging bool
	quiet  map[string]bool

	lastPos    shared.ReadPosition  // guarded by e.mu
	lastTyping map[string]time.Time // guarded by e.mu

	filling map[string]bool // conversations with a hole fill in flight; guarded by e.mu
	asked   map[string]gap  // the last hole asked for per conversation; guarded by e.mu
}

func (s *session) wake() {
	select {
	case s.kickc <- struct{}{}:
	default:
	}
}

// write sends one frame; any failure ends the session.
func (s *session) write(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	if err := s.conn.Write(ctx, b); err != nil {
		s.cancel(fmt.Errorf("write: %w", err))
		return err
	}
	return nil
}

func (s *session) send(typ, id string, data any) error {
	b, err := shared.EncodeAction(typ, id, data)
	if err != nil {
		return err
	}
	return s.write(b)
}

// offlineProbe is how often the loop dials although the browser says it is
// offline. navigator.onLine can be wrong, and an online event can be lost;
// a dial that fails at once is cheap next to an app that never reconnects.
const offlineProbe = 30 * time.Second

// run is the connection loop: dial, talk until the connection fails, wait
// out the back-off, repeat; terminal states wait for a kick, offline waits
// for a kick or the next offline probe.
func (e *Engine) run(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		e.mu.Lock()
		terminal := e.status.State == StateSignedOut || e.status.State == StateUpdateRequired
		idle := terminal || (!e.online && !e.probe)
		e.probe = false
		if !idle {
			st := StateConnecting
			if attempt > 0 {
				st = StateReconnecting
			}
			e.status.State, e.status.NextRetry, e.status.CaughtUp = st, time.Time{}, false
			e.status.Attempt = attempt
			e.touch()
		}
		e.unlock()
		if idle {
			e.hello.done() // nothing to say hello to for now
			var probe <-chan time.Time
			var t *time.Timer
			if !terminal {
				t = time.NewTimer(offlineProbe)
				probe = t.C
			}
			select {
			case <-ctx.Done():
				return
			case <-e.kick:
			case <-probe:
				e.mu.Lock()
				e.probe = true
				e.mu.Unlock()
			}
			if t != nil {
				t.Stop()
			}
			attempt = 0
			continue
		}
		welcomed, err := e.connect(ctx)
		if ctx.Err() != nil {
			return
		}
		if welcomed {
			attempt = 0
		}
		if errors.Is(err, errTerminal) {
			e.signedOut()
			continue
		}
		if errors.Is(err, errStale) {
			attempt = 0 // dial again at once, with the new session's cookie
			continue
		}
		attempt++
		wait := backoff(attempt, e.cfg.Rand())
		e.mu.Lock()
		if e.online {
			e.status.State = StateReconnecting
			e.status.NextRetry = e.cfg.Now().Add(wait)
		} else if e.status.State != StateSignedOut && e.status.State != StateUpdateRequired {
			e.status.State, e.status.NextRetry = StateOffline, time.Time{} // a probe failed: still offline
		}
		e.status.Attempt = attempt
		if err != nil {
			e.status.LastError = humanError(err)
		}
		e.touch()
		e.unlock()
		e.log.Info("client: disconnected", "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-e.kick:
			attempt = 0
		case <-t.C:
		}
		t.Stop()
	}
}

// humanError words a connection failure for the status line.
func humanError(err error) string {
	var se *shared.Error
	if errors.As(err, &se) {
		return se.Message
	}
	return "Can't reach the server (" + err.Error() + ")."
}

// RetryNow dials at once instead of waiting for the back-off: the "Retry now"
// button, and the browser's online and visible events. After signed_out (the
// user signed in again) or offline, it starts over. When connected, actions
// waiting out a transient error's back-off go at once.
func (e *Engine) RetryNow() {
	e.mu.Lock()
	defer e.unlock()
	if e.wiped {
		return // signed out for good: the page starts over
	}
	if e.status.State == StateSignedOut || e.status.State == StateUpdateRequired {
		e.status.State = StateConnecting
		e.touch()
	}
	for _, a := range e.outbox {
		a.retryAt = time.Time{} // waiting out a transient error: go now
	}
	if !e.online {
		e.probe = true // dial even though the browser says offline: it can be wrong
	}
	if e.sess != nil {
		e.sess.wake()
		return
	}
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// SetOnline passes on navigator.onLine. Offline shows "offline" and stops
// dialing (the current connection is dropped); online dials at once.
func (e *Engine) SetOnline(online bool) {
	e.mu.Lock()
	defer e.unlock()
	if e.online == online {
		return
	}
	e.online = online
	if !online {
		if e.status.State != StateSignedOut && e.status.State != StateUpdateRequired {
			e.status.State, e.status.NextRetry, e.status.CaughtUp = StateOffline, time.Time{}, false
		}
		if e.sess != nil {
			e.sess.cancel(errors.New("the browser went offline"))
		}
	}
	e.touch()
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// connect runs one connection to its end and reports whether it got as far
// as the server's welcome.
func (e *Engine) connect(ctx context.Context) (welcomed bool, err error) {
	e.mu.Lock()
	signIns := e.signIns
	e.mu.Unlock()
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	conn, err := e.cfg.Transport.Dial(dctx)
	cancel()
	if err != nil {
		e.hello.done()
		return false, err
	}
	sctx, scancel := context.WithCancelCause(ctx)
	s := &session{e: e, conn: conn, ctx: sctx, cancel: scancel, kickc: make(chan struct{}, 1),
		start: time.Now(), listed: map[string]bool{}, quiet: map[string]bool{}, lastTyping: map[string]time.Time{},
		filling: map[string]bool{}, asked: map[string]gap{}, signIns: signIns}
	s.hb.Store(int64(DefaultHeartbeat))
	defer func() {
		scancel(nil)
		conn.Close()
		e.endSession(s)
	}()

	e.mu.Lock()
	hello := shared.Hello{Protocol: shared.ProtocolVersion, Device: e.cfg.Device,
		ResumeToken: e.cfg.ResumeTokens.Get(), Cursors: e.cursors(), PageConversations: shared.ReplayConversationsMax,
		EventCursors: e.eventCursors(), Focus: e.resolve(e.focus)}
	e.sess = s
	e.unlock()
	err = s.send(shared.TypeHello, "", hello)
	e.hello.done()
	if err != nil {
		return false, err
	}
	go s.readLoop()
	s.loop()
	e.mu.Lock()
	welcomed = s.welcome
	e.mu.Unlock()
	err = context.Cause(sctx)
	if errors.Is(err, context.Canceled) && ctx.Err() == nil {
		err = errors.New("connection closed")
	}
	return welcomed, err
}

// cursors are the resume points sent in hello. Callers hold e.mu.
func (e *Engine) cursors() map[string]int64 {
	cur := make(map[string]int64, len(e.convs))
	for id, c := range e.convs {
		if !c.pending {
			cur[id] = c.cursor()
		}
	}
	return cur
}

// endSession forgets what only made sense on the connection: everything in
// flight is queued again for the next one, requests fail, typing and
// presence vanish.
func (e *Engine) endSession(s *session) {
	e.mu.Lock()
	defer e.unlock()
	if e.sess == s {
		e.sess = nil
	}
	for _, a := range e.outbox {
		a.inflight = false
	}
	for id, ch := range e.requests {
		ch <- reply{err: errors.New("client: the connection was lost; try again")}
		delete(e.requests, id)
	}
	for _, c := range e.convs {
		c.typing, c.viewers = nil, nil
	}
	e.status.CaughtUp = false
	e.touch()
}

// loop runs the session's heartbeat and send pump until the session ends.
func (s *session) loop() {
	tick := time.NewTicker(time.Duration(s.hb.Load()) / 4)
	defer tick.Stop()
	var wakeTimer *time.Timer
	defer func() {
		if wakeTimer != nil {
			wakeTimer.Stop()
		}
	}()
	lastPing := time.Now()
	curHB := s.hb.Load()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
			hb := time.Duration(s.hb.Load())
			silent := time.Since(s.start) - time.Duration(s.lastIn.Load())
			if silent > hb*5/2 {
				s.cancel(fmt.Errorf("no answer from the server for %s", silent.Round(time.Second)))
				return
			}
			if time.Since(lastPing) >= hb {
				lastPing = time.Now()
				if s.send(shared.TypePing, "", nil) != nil {
					return
				}
			}
		case <-s.kickc:
			if hb := s.hb.Load(); hb != curHB { // the welcome set the interval
				curHB = hb
				tick.Reset(time.Duration(hb) / 4)
			}
			wakeAt, err := s.pump()
			if err != nil {
				return
			}
			if !wakeAt.IsZero() {
				if wakeTimer != nil {
					wakeTimer.Stop()
				}
				wakeTimer = time.AfterFunc(time.Until(wakeAt)+time.Millisecond, s.wake)
			}
		}
	}
}

// pump writes the next outbox actions, when this tab is the sender and the
// server has welcomed the connection.
func (s *session) pump() (time.Time, error) {
	e := s.e
	e.mu.Lock()
	if !e.sender || !s.welcome || e.sess != s {
		e.mu.Unlock()
		return time.Time{}, nil
	}
	as, wakeAt := e.nextToSend(time.Now())
	frames := make([][]byte, len(as))
	for i, a := range as {
		frames[i] = a.envelope()
	}
	e.unlock()
	for _, f := range frames {
		if err := s.write(f); err != nil {
			return time.Time{}, err
		}
	}
	return wakeAt, nil
}

// readLoop reads frames and hands each envelope to the engine.
func (s *session) readLoop() {
	for {
		b, err := s.conn.Read(s.ctx)
		if err != nil {
			s.cancel(fmt.Errorf("read: %w", err))
			return
		}
		s.lastIn.Store(int64(time.Since(s.start)))
		envs, err := shared.DecodeFrame(b)
		if err != nil {
			s.e.log.Warn("client: bad frame", "err", err)
		}
		if err := s.e.handle(s, envs); err != nil {
			s.cancel(err)
			return
		}
	}
}

// SignedIn tells the engine this tab has just signed in as u (or
// registered): it stores u as SetMe does and dials at once. A connection
// dialed before it, which the server may still answer with "not signed
// in", is then taken for what it is, a question asked without the new
// session's cookie, instead of the new session's end; without this, a
// person who signed in while the app's first dial was on its way was wiped
// and sent back to the sign-in page.
func (e *Engine) SignedIn(u shared.User) {
	e.mu.Lock()
	e.signIns++
	e.mu.Unlock()
	e.SetMe(u)
	e.RetryNow()
}

// SetMe replaces the signed-in user after the profile changed over HTTP, so
// the cache (and the next offline start) shows the new nickname at once
// instead of after the next welcome.
func (e *Engine) SetMe(u shared.User) {
	e.mu.Lock()
	defer e.unlock()
	if e.wiped || u.ID == 0 || (e.me.ID != 0 && u.ID != e.me.ID) {
		return
	}
	e.me = u
	e.dirty.meta = true
	e.scheduleFlush()
	e.touch()
}
