package pgbroker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

// Reconnect backoff bounds.
const (
	retryMin = 100 * time.Millisecond
	retryMax = 5 * time.Second
)

// maxPending bounds batches waiting for parts. PostgreSQL delivers the parts
// of one transaction together, so more than one means lost parts.
const maxPending = 16

// confirmWait bounds the wait for a new listener's own ping.
const confirmWait = 10 * time.Second

// listen opens a listening connection and returns once LISTEN is in
// effect. pgdriver's Listen only writes the command, so a notification
// committed right after it could still be missed. Pings of our own, sent
// until one comes back, prove the server has run it (one sent too early is
// simply not heard). Notifications that arrived before that are returned
// for the caller to handle.
func (b *Broker) listen(ctx context.Context) (*pgdriver.Listener, []string, error) {
	ln := pgdriver.NewListener(b.db)
	if err := ln.Listen(ctx, Channel); err != nil {
		_ = ln.Close()
		return nil, nil, err
	}
	batch := b.batch.Add(1)
	ping, err := encodeFrame(frame{Origin: b.origin, Batch: batch, Ping: true})
	if err != nil {
		_ = ln.Close()
		return nil, nil, err
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		wait := 2 * time.Millisecond
		for {
			_ = send(ctx, b.db, b.signer, message{payloads: []string{ping}}) // a failure shows as the wait below timing out
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, 500*time.Millisecond)
		}
	}()
	defer func() { close(stop); <-stopped }()
	var early []string
	for {
		_, payload, err := ln.ReceiveTimeout(ctx, confirmWait)
		if err != nil {
			_ = ln.Close()
			return nil, nil, fmt.Errorf("wait for own ping: %w", err)
		}
		var f frame
		if body, ok := b.signer.open(payload); ok && json.Unmarshal([]byte(body), &f) == nil &&
			f.Ping && f.Origin == b.origin && f.Batch == batch {
			return ln, early, nil
		}
		early = append(early, payload)
	}
}

// run receives notifications until Close. When the connection fails, or
// stays silent for two ping intervals despite a ping, it is replaced.
func (b *Broker) run(ln *pgdriver.Listener) {
	defer b.wg.Done()
	pinged := false
	for {
		_, payload, err := ln.ReceiveTimeout(context.Background(), b.opt.PingInterval)
		if b.isClosed() {
			return
		}
		switch {
		case err == nil:
			pinged = false
			b.handle(payload)
			continue
		case isTimeout(err) && !pinged:
			pinged = true
			b.ping()
			continue
		case isTimeout(err):
			b.log.Warn("pgbroker: listener connection silent after a ping; reconnecting")
		default:
			b.log.Warn("pgbroker: listener connection lost; reconnecting", "err", err)
		}
		_ = ln.Close()
		var early []string
		if ln, early = b.reconnect(); ln == nil {
			return
		}
		pinged = false
		clear(b.pending)
		b.log.Warn("pgbroker: listener reconnected; events published meanwhile reach this node's clients when they resume")
		if b.opt.OnReconnect != nil {
			b.opt.OnReconnect()
		}
		for _, p := range early {
			b.handle(p)
		}
	}
}

// reconnect makes a new listening connection, retrying with backoff until
// it succeeds or the broker is closed (then it returns nil).
func (b *Broker) reconnect() (*pgdriver.Listener, []string) {
	wait := retryMin
	for {
		ctx, cancel := context.WithTimeout(b.ctx, confirmWait)
		ln, early, err := b.listen(ctx)
		cancel()
		if err == nil {
			ctx, cancel = context.WithTimeout(b.ctx, joinWait+confirmWait)
			var more []string
			if more, err = b.join(ctx, ln); err != nil {
				_ = ln.Close()
			}
			cancel()
			early = append(early, more...)
		}
		if err == nil {
			b.mu.Lock()
			if b.closed {
				b.mu.Unlock()
				_ = ln.Close()
				return nil, nil
			}
			b.ln = ln
			b.mu.Unlock()
			return ln, early
		}
		b.log.Warn("pgbroker: listen again", "err", err, "retry_in", wait)
		select {
		case <-b.ctx.Done():
			return nil, nil
		case <-time.After(wait):
		}
		wait = min(2*wait, retryMax)
	}
}

// isTimeout reports whether a receive ended because its deadline passed.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ping sends a frame only this broker's listener cares about: hearing it
// (or anything) proves the listening connection alive.
func (b *Broker) ping() {
	p, err := encodeFrame(frame{Origin: b.origin, Batch: b.batch.Add(1), Ping: true})
	if err == nil {
		ctx, cancel := context.WithTimeout(b.ctx, b.opt.PingInterval)
		err = send(ctx, b.db, b.signer, message{payloads: []string{p}})
		cancel()
	}
	if err != nil && b.ctx.Err() == nil {
		b.log.Warn("pgbroker: ping", "err", err)
	}
}

// own reports whether a signed notification is this broker's own (its
// events were delivered by Publish; its pings, hellos and byes are for the
// others), from its origin alone: neither the MAC nor the JSON is worth
// checking for a frame that is dropped anyway, and a forger who copies our
// origin only gets their frame dropped.
func (b *Broker) own(signed string) bool {
	return len(signed) > sigRoom && strings.HasPrefix(signed[sigRoom:], b.ownPrefix)
}

// open checks a notification's signature and decodes its frame, counting a
// forged one and logging an undecodable one.
func (b *Broker) open(signed string) (frame, bool) {
	payload, ok := b.signer.open(signed)
	if !ok {
		b.dropForged("bad signature", len(signed))
		return frame{}, false
	}
	var f frame
	if err := json.Unmarshal([]byte(payload), &f); err != nil {
		b.log.Warn("pgbroker: undecodable notification", "err", err, "bytes", len(payload))
		return frame{}, false
	}
	return f, true
}

// handle checks one notification's signature, decodes it and delivers
// what it completes. Our own are dropped first, then forged ones.
func (b *Broker) handle(signed string) {
	if b.own(signed) {
		return
	}
	f, ok := b.open(signed)
	if !ok {
		return
	}
	switch {
	case f.Ping:
		return
	case b.peerFrame(f):
		return
	case f.Control != nil:
		b.control(*f.Control)
		return
	case f.Origin == b.origin:
		return // delivered locally by Publish
	}
	evs, missing, err := decodeEvents(b.ctx, b.db, f.Events)
	if errors.Is(err, errForged) {
		b.dropForged(err.Error(), len(signed))
		evs = nil
	} else if err != nil {
		if b.ctx.Err() == nil {
			b.log.Warn("pgbroker: drop batch part", "origin", f.Origin, "batch", f.Batch, "part", f.Part, "err", err)
		}
		evs = nil // keep the part count right; clients resume what is lost
	}
	if len(missing) > 0 {
		b.log.Warn("pgbroker: spilled events expired before they were read", "keys", missing)
	}
	if f.Parts <= 1 {
		b.deliver(evs)
		return
	}
	key := f.Origin + "." + strconv.FormatUint(f.Batch, 10)
	p := b.pending[key]
	switch {
	case f.Part == 0:
		if len(b.pending) >= maxPending {
			b.log.Warn("pgbroker: dropping incomplete batches", "count", len(b.pending))
			clear(b.pending)
		}
		p = &partial{}
		b.pending[key] = p
	case p == nil || p.next != f.Part:
		b.log.Warn("pgbroker: batch part out of order; dropping the batch", "origin", f.Origin, "batch", f.Batch, "part", f.Part)
		delete(b.pending, key)
		return
	}
	p.events = append(p.events, evs...)
	p.next++
	if p.next == f.Parts {
		delete(b.pending, key)
		b.deliver(p.events)
	}
}
