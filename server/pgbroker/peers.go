package pgbroker

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// A node alone sends no NOTIFY for its events: nobody would hear them but
// itself, and the round trip (with PostgreSQL's notify lock at commit) was
// the only cost of publishing on a single node. Publish always delivers to
// this node's hub first; the NOTIFY is only for the other nodes, so it is
// sent while at least one other node is known.
//
// Knowing the other nodes must not miss one that just started: its clients
// replay from the database and then rely on live events, so from the moment
// a new node's New returns, every event committed anywhere must reach it.
// So a node joins before New returns:
//
//  1. it takes a session advisory lock (lockClass, key) on a connection it
//     keeps, which says "a node is here" for as long as the process and
//     that connection live (a crash releases it at once);
//  2. with its LISTEN in effect, it reads the other nodes' keys from
//     pg_locks and counts them as peers (so it notifies them from now on);
//  3. it NOTIFYs a hello and waits until every node it found answers with
//     an ack, re-sending the hello now and then and dropping nodes whose
//     lock has gone. A node adds the newcomer to its peers before it acks,
//     so an event it publishes after the ack is notified; one it published
//     before was committed before the newcomer's clients could replay.
//
// A node that appears after step 2 saw this node's lock in its own step 2,
// so it needs no ack from us. Every PeerCheckInterval each node also reads
// pg_locks again: a node whose lock is gone (crashed) stops costing a
// NOTIFY, one it has not heard of yet (its hello missed during a listener
// reconnect) is added, and when this node's own lock is gone it joins
// again. A closing node says bye.

// lockClass is the first key of every node's advisory lock ("natb").
const lockClass = 0x6e617462

// PeerCheckInterval is how often a node reads which other nodes hold their
// lock.
const PeerCheckInterval = 5 * time.Second

// joinWait bounds the wait for the other nodes' acks. A node that does not
// answer in time (its listener is reconnecting) learns of this one from
// pg_locks within PeerCheckInterval; the wait ends with a warning.
const joinWait = 10 * time.Second

// peers is the set of other nodes, by lock key, each with the generation
// it was last added in: a peer check removes only keys added before its
// read of pg_locks began, never a node whose hello was answered meanwhile.
type peers struct {
	mu   sync.Mutex
	keys map[int64]uint64
	gen  uint64
	n    atomic.Int32 // len(keys), read by Publish without the lock
}

func (p *peers) add(keys ...int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keys == nil {
		p.keys = make(map[int64]uint64)
	}
	p.gen++
	for _, k := range keys {
		p.keys[k] = p.gen
	}
	p.n.Store(int32(len(p.keys)))
}

func (p *peers) remove(k int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.keys, k)
	p.n.Store(int32(len(p.keys)))
}

// generation returns the current generation, to pass to prune.
func (p *peers) generation() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gen
}

// prune removes the keys not in live that were added in generation since
// or before.
func (p *peers) prune(live []int64, since uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, g := range p.keys {
		if g <= since && !slices.Contains(live, k) {
			delete(p.keys, k)
		}
	}
	p.n.Store(int32(len(p.keys)))
}

// Peers returns how many other nodes this broker knows of: while it is 0,
// Publish delivers to this node only and sends nothing to PostgreSQL.
func (b *Broker) Peers() int { return int(b.peers.n.Load()) }

// lock makes sure this broker holds its advisory lock, on a connection of
// its own, taking a new connection and key if the old one is gone.
func (b *Broker) lock(ctx context.Context) error {
	b.lockMu.Lock()
	defer b.lockMu.Unlock()
	if b.lockConn != nil {
		var held bool
		err := b.lockConn.NewRaw(`SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid()
			AND locktype = 'advisory' AND classid = ?::oid AND objid = ?::oid AND objsubid = 2 AND granted)`,
			lockClass, b.key.Load()).Scan(ctx, &held)
		if err == nil && held {
			return nil
		}
		_ = b.lockConn.Close()
		b.lockConn = nil
	}
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("lock connection: %w", err)
	}
	for range 100 {
		key := b.key.Load()
		if key == 0 {
			key = 1 + rand.Int64N(1<<31-1)
		}
		var ok bool
		if err := conn.NewRaw(`SELECT pg_try_advisory_lock(?::int, ?::int)`, lockClass, key).Scan(ctx, &ok); err != nil {
			_ = conn.Close()
			return fmt.Errorf("node lock: %w", err)
		}
		if ok {
			b.key.Store(key)
			b.lockConn = &conn
			return nil
		}
		b.key.Store(0) // taken by another node: draw another
	}
	_ = conn.Close()
	return fmt.Errorf("node lock: no free key")
}

// unlock releases the advisory lock with its connection.
func (b *Broker) unlock() {
	b.lockMu.Lock()
	defer b.lockMu.Unlock()
	if b.lockConn != nil {
		_ = b.lockConn.Close()
		b.lockConn = nil
	}
}

// liveKeys returns the keys of every node holding its lock on this
// database, this one's included.
func liveKeys(ctx context.Context, db bun.IDB) ([]int64, error) {
	var keys []int64
	err := db.NewRaw(`SELECT objid::int8 FROM pg_locks
		WHERE locktype = 'advisory' AND classid = ?::oid AND objsubid = 2 AND granted
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
		lockClass).Scan(ctx, &keys)
	if err != nil {
		return nil, fmt.Errorf("node locks: %w", err)
	}
	return keys, nil
}

// join takes this node's lock, counts the nodes holding theirs as peers,
// and waits (at most joinWait) until each has acknowledged this node's
// hello on ln. Other notifications heard meanwhile are returned, in order,
// for the caller to handle; hellos of other nodes are answered at once.
func (b *Broker) join(ctx context.Context, ln *pgdriver.Listener) ([]string, error) {
	if err := b.lock(ctx); err != nil {
		return nil, err
	}
	live, err := liveKeys(ctx, b.db)
	if err != nil {
		return nil, err
	}
	live = slices.DeleteFunc(live, func(k int64) bool { return k == b.key.Load() })
	b.peers.add(live...)
	waiting := make(map[int64]bool, len(live))
	for _, k := range live {
		waiting[k] = true
	}
	hello, err := encodeFrame(frame{Origin: b.origin, Batch: b.batch.Add(1), Hello: true, Key: b.key.Load()})
	if err != nil {
		return nil, err
	}
	var early []string
	deadline := time.Now().Add(joinWait)
	resend := 100 * time.Millisecond
	for len(waiting) > 0 {
		if time.Now().After(deadline) {
			b.log.Warn("pgbroker: nodes did not answer this node's hello; they learn of it within the peer check interval",
				"nodes", len(waiting), "interval", PeerCheckInterval)
			break
		}
		if err := send(ctx, b.db, b.signer, message{payloads: []string{hello}}); err != nil {
			return nil, fmt.Errorf("hello: %w", err)
		}
		until := time.Now().Add(resend)
		resend = min(2*resend, time.Second)
		for len(waiting) > 0 && time.Now().Before(until) {
			_, payload, err := ln.ReceiveTimeout(ctx, time.Until(until))
			if isTimeout(err) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("wait for acks: %w", err)
			}
			if b.own(payload) {
				continue
			}
			if f, ok := b.open(payload); ok && b.peerFrame(f) {
				if f.Ack == b.origin {
					delete(waiting, f.Key)
				}
				continue
			}
			early = append(early, payload)
		}
		// A node that crashed meanwhile will never answer.
		if live, err = liveKeys(ctx, b.db); err != nil {
			return nil, err
		}
		for k := range waiting {
			if !slices.Contains(live, k) {
				delete(waiting, k)
				b.peers.remove(k)
			}
		}
	}
	return early, nil
}

// peerFrame handles f if it is one of the nodes' membership frames
// (hello, ack, bye) and reports whether it was. A hello is answered: its
// sender is added to the peers first, so everything this node publishes
// after the ack reaches it.
func (b *Broker) peerFrame(f frame) bool {
	switch {
	case f.Hello:
		b.peers.add(f.Key)
		ack, err := encodeFrame(frame{Origin: b.origin, Batch: b.batch.Add(1), Ack: f.Origin, Key: b.key.Load()})
		if err == nil {
			ctx, cancel := context.WithTimeout(b.ctx, confirmWait)
			err = send(ctx, b.db, b.signer, message{payloads: []string{ack}})
			cancel()
		}
		if err != nil && b.ctx.Err() == nil {
			b.log.Warn("pgbroker: answer a new node's hello", "err", err)
		}
	case f.Bye:
		b.peers.remove(f.Key)
	case f.Ack != "":
	default:
		return false
	}
	return true
}

// checkPeers runs refreshPeers every PeerCheckInterval until Close.
func (b *Broker) checkPeers() {
	defer b.wg.Done()
	t := time.NewTicker(PeerCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(b.ctx, PeerCheckInterval)
		err := b.refreshPeers(ctx)
		cancel()
		if err != nil && b.ctx.Err() == nil {
			b.log.Warn("pgbroker: peer check", "err", err)
		}
	}
}

// refreshPeers makes the peers the nodes holding their lock now: a node
// that crashed stops costing a NOTIFY, one whose hello was missed is
// added. When this node's own lock is gone (its connection was lost),
// other nodes may have stopped notifying it, so the listener is closed:
// it reconnects and joins again.
func (b *Broker) refreshPeers(ctx context.Context) error {
	since := b.peers.generation()
	live, err := liveKeys(ctx, b.db)
	if err != nil {
		return err
	}
	key := b.key.Load()
	if !slices.Contains(live, key) {
		b.log.Warn("pgbroker: this node's lock is gone; joining again")
		b.mu.RLock()
		if b.ln != nil {
			_ = b.ln.Close()
		}
		b.mu.RUnlock()
		return nil
	}
	live = slices.DeleteFunc(live, func(k int64) bool { return k == key })
	b.peers.prune(live, since)
	b.peers.add(live...)
	return nil
}

// sayBye tells the other nodes this one is closing, so they stop notifying
// it at once rather than at their next peer check.
func (b *Broker) sayBye() {
	if b.peers.n.Load() == 0 {
		return
	}
	bye, err := encodeFrame(frame{Origin: b.origin, Batch: b.batch.Add(1), Bye: true, Key: b.key.Load()})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), confirmWait)
	defer cancel()
	if err := send(ctx, b.db, b.signer, message{payloads: []string{bye}}); err != nil {
		b.log.Warn("pgbroker: bye", "err", err)
	}
}
