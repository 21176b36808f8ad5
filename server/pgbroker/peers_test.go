package pgbroker

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"natter/server/pgtest"
)

// rawListener listens on the channel without being a node (no lock, no
// hello), to see what is NOTIFYed.
func rawListener(tb testing.TB, n *node) *pgdriver.Listener {
	tb.Helper()
	ln := pgdriver.NewListener(n.db)
	tb.Cleanup(func() { _ = ln.Close() })
	if err := ln.Listen(context.Background(), Channel); err != nil {
		tb.Fatal(err)
	}
	// Listen only sends the command: a control heard proves it in effect.
	for {
		if err := Notify(context.Background(), n.db, Control{Kind: KindDisconnectUser, UserID: 99}); err != nil {
			tb.Fatal(err)
		}
		if _, _, err := ln.ReceiveTimeout(context.Background(), 200*time.Millisecond); err == nil {
			n.mustControl(tb)
			drainControls(n)
			return ln
		}
		drainControls(n)
	}
}

func drainControls(n *node) {
	for {
		select {
		case <-n.controls:
		default:
			return
		}
	}
}

// A node alone delivers its events to its own hub and NOTIFYs nothing:
// the control sent after them is the first thing on the channel.
func TestAloneSendsNothing(t *testing.T) {
	db := pgtest.MustDB(t)
	a := mustNode(t, db, Options{})
	if a.Peers() != 0 {
		t.Fatalf("Peers() = %d alone", a.Peers())
	}
	ln := rawListener(t, a)
	evs := mustEvents(t, 3, 200)
	if err := a.Publish(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	mustEqualEvents(t, a.mustBatch(t), evs)
	if err := Notify(context.Background(), db, Control{Kind: KindDisconnectSession, SessionID: 5}); err != nil {
		t.Fatal(err)
	}
	_, payload, err := ln.ReceiveTimeout(context.Background(), guard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(payload, `"session_id":5`) {
		t.Fatalf("a node alone notified %q", payload)
	}
}

// Once a node's New returns, every node knows it: an event published right
// after reaches it, and what was published before it joined is not
// repeated.
func TestJoiningNodeIsNotified(t *testing.T) {
	dsn := pgtest.MustDSN(t)
	a := mustNode(t, pgtest.Open(t, dsn), Options{})
	before := sentinel("before")
	if err := a.Publish(context.Background(), before); err != nil {
		t.Fatal(err)
	}
	mustEqualEvents(t, a.mustBatch(t), before)
	b := mustNode(t, pgtest.Open(t, dsn), Options{})
	if a.Peers() != 1 || b.Peers() != 1 {
		t.Fatalf("after join: a knows %d, b knows %d nodes; want 1 each", a.Peers(), b.Peers())
	}
	for i, pub := range []*node{a, b} {
		evs := mustEvents(t, 2, 100+i)
		if err := pub.Publish(context.Background(), evs); err != nil {
			t.Fatal(err)
		}
		mustEqualEvents(t, a.mustBatch(t), evs)
		mustEqualEvents(t, b.mustBatch(t), evs)
	}
	a.mustNothing(t)
	b.mustNothing(t)
}

// A node that closes says bye, and the other is alone again at once (the
// control after the bye is handled after it).
func TestByeMakesAlone(t *testing.T) {
	db := pgtest.MustDB(t)
	a := mustNode(t, db, Options{})
	b := mustNode(t, db, Options{})
	if a.Peers() != 1 {
		t.Fatalf("Peers() = %d", a.Peers())
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Notify(context.Background(), db, Control{Kind: KindDisconnectUser, UserID: 3}); err != nil {
		t.Fatal(err)
	}
	a.mustControl(t)
	if a.Peers() != 0 {
		t.Fatalf("Peers() = %d after the other node closed", a.Peers())
	}
}

// A node that never said hello (or whose hello was missed) is found by the
// peer check through its lock, and one whose lock is gone without a bye
// (a crash) is dropped by it.
func TestPeerCheckFollowsLocks(t *testing.T) {
	db := pgtest.MustDB(t)
	a := mustNode(t, db, Options{})
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const key = 4242
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?::int, ?::int)", lockClass, key); err != nil {
		t.Fatal(err)
	}
	if err := a.refreshPeers(ctx); err != nil {
		t.Fatal(err)
	}
	if a.Peers() != 1 {
		t.Fatalf("Peers() = %d with a silent node holding its lock", a.Peers())
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(?::int, ?::int)", lockClass, key); err != nil {
		t.Fatal(err)
	}
	if err := a.refreshPeers(ctx); err != nil {
		t.Fatal(err)
	}
	if a.Peers() != 0 {
		t.Fatalf("Peers() = %d after the silent node's lock went", a.Peers())
	}
}

// A node hears its own notifications and drops them by their origin,
// before checking a MAC or decoding JSON: a payload with our origin and a
// made-up signature is not even counted as forged.
func TestOwnFramesSkipped(t *testing.T) {
	db := pgtest.MustDB(t)
	a := mustNode(t, db, Options{})
	m, err := encodeEvents(a.origin, 1, mustEvents(t, 1, 100))
	if err != nil {
		t.Fatal(err)
	}
	a.handle(strings.Repeat("A", sigRoom-1) + "." + m.payloads[0])
	a.handle(a.signer.sign(m.payloads[0]))
	if a.Forged() != 0 {
		t.Fatalf("Forged() = %d: own frames were checked", a.Forged())
	}
	a.mustNothing(t)
	other, err := encodeEvents("someone", 1, mustEvents(t, 1, 100))
	if err != nil {
		t.Fatal(err)
	}
	a.handle(strings.Repeat("A", sigRoom-1) + "." + other.payloads[0])
	if a.Forged() != 1 {
		t.Fatalf("Forged() = %d for another origin's bad signature", a.Forged())
	}
}

// A node whose lock connection is lost (so other nodes' peer checks drop
// it) joins again: its listener reconnects, OnReconnect lets its clients
// resume, and it holds a lock again.
func TestLostLockJoinsAgain(t *testing.T) {
	db := pgtest.MustDB(t)
	reconnected := make(chan struct{}, 1)
	a := mustNode(t, db, Options{OnReconnect: func() { reconnected <- struct{}{} }})
	ctx := context.Background()
	var killed int
	err := db.NewRaw(`SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = ?::oid AND objid = ?::oid`, lockClass, a.key.Load()).Scan(ctx, &killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminate the lock's connection: killed %d, err %v", killed, err)
	}
	deadline := time.Now().Add(guard)
	for {
		if err := a.refreshPeers(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-reconnected:
		default:
			if time.Now().After(deadline) {
				t.Fatal("no rejoin after the lock was lost")
			}
			continue
		}
		break
	}
	live, err := liveKeys(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 1 || live[0] != a.key.Load() {
		t.Fatalf("locks held %v, want this node's %d", live, a.key.Load())
	}
}

// Nodes starting at the same time all know each other once their New
// calls have returned, and each one's events reach every other.
func TestNodesStartingTogether(t *testing.T) {
	dsn := pgtest.MustDSN(t)
	nodes := make([]*node, 3)
	brokers := make([]*Broker, len(nodes))
	errs := make(chan error, len(nodes))
	for i := range nodes {
		db := pgtest.Open(t, dsn)
		go func() {
			var err error
			brokers[i], err = New(context.Background(), db, Options{})
			errs <- err
		}()
	}
	for range nodes {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range brokers {
		nodes[i] = recording(t, b)
	}
	for i, n := range nodes {
		if n.Peers() != len(nodes)-1 {
			t.Fatalf("node %d knows %d nodes, want %d", i, n.Peers(), len(nodes)-1)
		}
	}
	for i, pub := range nodes {
		evs := sentinel(fmt.Sprint("from ", i))
		if err := pub.Publish(context.Background(), evs); err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			mustEqualEvents(t, n.mustBatch(t), evs)
		}
	}
	for _, n := range nodes {
		n.mustNothing(t)
	}
}
