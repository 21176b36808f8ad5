package pgbroker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"natter/server/hub"
	"natter/server/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// guard bounds every wait for a notification; it only turns a hang into a
// clear failure and is never reached by a passing test.
const guard = 30 * time.Second

// node is a Broker with what it delivered.
type node struct {
	*Broker
	batches  chan []hub.Event
	controls chan Control
}

// mustNode starts a broker on db that records its deliveries; it is closed
// when the test ends.
func mustNode(tb testing.TB, db *bun.DB, opt Options) *node {
	tb.Helper()
	b, err := New(context.Background(), db, opt)
	if err != nil {
		tb.Fatalf("new broker: %v", err)
	}
	return recording(tb, b)
}

// recording makes b a node that records its deliveries; it is closed when
// the test ends.
func recording(tb testing.TB, b *Broker) *node {
	tb.Cleanup(func() { _ = b.Close() })
	n := &node{Broker: b, batches: make(chan []hub.Event, 1000), controls: make(chan Control, 100)}
	b.Subscribe(func(evs []hub.Event) { n.batches <- evs })
	b.OnControl(func(c Control) { n.controls <- c })
	return n
}

// mustBatch returns the node's next delivered batch.
func (n *node) mustBatch(tb testing.TB) []hub.Event {
	tb.Helper()
	select {
	case evs := <-n.batches:
		return evs
	case <-time.After(guard):
		tb.Fatalf("no batch delivered within %v", guard)
		return nil
	}
}

// mustControl returns the node's next control.
func (n *node) mustControl(tb testing.TB) Control {
	tb.Helper()
	select {
	case c := <-n.controls:
		return c
	case <-time.After(guard):
		tb.Fatalf("no control delivered within %v", guard)
		return Control{}
	}
}

// mustNothing fails if the node delivered anything not yet taken.
func (n *node) mustNothing(tb testing.TB) {
	tb.Helper()
	select {
	case evs := <-n.batches:
		tb.Fatalf("unexpected batch of %d events", len(evs))
	case c := <-n.controls:
		tb.Fatalf("unexpected control %+v", c)
	default:
	}
}

// sentinel is a one-event batch that marks the end of a test's traffic.
func sentinel(tag string) []hub.Event {
	return []hub.Event{{UserIDs: []int64{-1}, Payload: []byte(fmt.Sprintf(`{"type":"sentinel","id":%q}`, tag))}}
}

func TestTwoNodes(t *testing.T) {
	// Two pools on one database, like two servers.
	dsn := pgtest.MustDSN(t)
	a := mustNode(t, pgtest.Open(t, dsn), Options{})
	b := mustNode(t, pgtest.Open(t, dsn), Options{})
	tests := []struct {
		name string
		evs  []hub.Event
	}{
		{"one small event", mustEvents(t, 1, 200)},
		{"a batch far over 8000 bytes", mustEvents(t, 300, 500)},
		{"a single 20 KB event", mustEvents(t, 1, 20_000)},
		{"large events among small ones", append(append(mustEvents(t, 40, 300), mustEvents(t, 3, 30_000)...), mustEvents(t, 40, 300)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := a.Publish(context.Background(), tt.evs); err != nil {
				t.Fatal(err)
			}
			// The publisher delivers at once, before Publish returns.
			select {
			case got := <-a.batches:
				mustEqualEvents(t, got, tt.evs)
			default:
				t.Fatal("publisher did not deliver locally before returning")
			}
			mustEqualEvents(t, b.mustBatch(t), tt.evs)
			// Exactly once: a sentinel from b comes after a's notification
			// in commit order, so once both have it, anything repeated would
			// have shown.
			s := sentinel(tt.name)
			if err := b.Publish(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			mustEqualEvents(t, b.mustBatch(t), s)
			mustEqualEvents(t, a.mustBatch(t), s)
			a.mustNothing(t)
			b.mustNothing(t)
		})
	}
}

func TestBatchesKeepTheirOrder(t *testing.T) {
	db := pgtest.MustDB(t)
	a := mustNode(t, db, Options{})
	b := mustNode(t, db, Options{})
	var want [][]hub.Event
	for i := range 30 {
		evs := mustEvents(t, 1+i%4, 100+i*400) // some batches span several payloads
		want = append(want, evs)
		if err := a.Publish(context.Background(), evs); err != nil {
			t.Fatal(err)
		}
	}
	for i, w := range want {
		t.Run(fmt.Sprint("batch ", i), func(t *testing.T) {
			mustEqualEvents(t, b.mustBatch(t), w)
		})
	}
}

func TestCloseStopsDelivery(t *testing.T) {
	db := pgtest.MustDB(t)
	a := mustNode(t, db, Options{})
	b := mustNode(t, db, Options{})
	witness := mustNode(t, db, Options{})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if err := b.Publish(context.Background(), sentinel("after close")); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after close: %v, want ErrClosed", err)
	}
	if err := a.Publish(context.Background(), sentinel("x")); err != nil {
		t.Fatal(err)
	}
	if err := Notify(context.Background(), db, Control{Kind: KindDisconnectUser, UserID: 1}); err != nil {
		t.Fatal(err)
	}
	mustEqualEvents(t, witness.mustBatch(t), sentinel("x"))
	witness.mustControl(t)
	b.mustNothing(t)
}

func TestControlsReachEveryNode(t *testing.T) {
	db := pgtest.MustDB(t)
	nodes := []*node{mustNode(t, db, Options{}), mustNode(t, db, Options{})}
	big := mustEvents(t, 100, 900)
	controls := []Control{
		{Kind: KindDisconnectUser, UserID: 7},
		{Kind: KindDisconnectSession, SessionID: 9, Reason: "Signed out by the operator."},
		{Kind: KindPublish, Events: big},
		{Kind: KindDisconnectUser, UserID: 8},
	}
	if err := Notify(context.Background(), db, controls...); err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes {
		t.Run(fmt.Sprint("node ", i), func(t *testing.T) {
			for _, want := range []Control{controls[0], controls[1], controls[3]} {
				if got := n.mustControl(t); got.Kind != want.Kind || got.UserID != want.UserID ||
					got.SessionID != want.SessionID || got.Reason != want.Reason {
					t.Fatalf("control %+v, want %+v", got, want)
				}
			}
			mustEqualEvents(t, n.mustBatch(t), big)
			n.mustNothing(t)
		})
	}
}

func TestNotifyRejectsBadControls(t *testing.T) {
	db := pgtest.MustDB(t)
	n := mustNode(t, db, Options{})
	tests := []struct {
		name string
		cs   []Control
	}{
		{"unknown kind", []Control{{Kind: KindDisconnectUser, UserID: 1}, {Kind: "explode"}}},
		{"no user", []Control{{Kind: KindDisconnectUser}}},
		{"no session", []Control{{Kind: KindDisconnectSession}}},
		{"bad event payload", []Control{{Kind: KindPublish, Events: []hub.Event{{UserIDs: []int64{1}, Payload: []byte("{")}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Notify(context.Background(), db, tt.cs...); err == nil {
				t.Fatal("no error")
			}
		})
	}
	// Nothing was sent: the first thing to arrive is what comes next.
	if err := Notify(context.Background(), db, Control{Kind: KindDisconnectSession, SessionID: 5}); err != nil {
		t.Fatal(err)
	}
	if c := n.mustControl(t); c.SessionID != 5 {
		t.Fatalf("first control %+v, want session 5", c)
	}
	n.mustNothing(t)
}

func TestNotifyInTransaction(t *testing.T) {
	db := pgtest.MustDB(t)
	n := mustNode(t, db, Options{})
	ctx := context.Background()
	rollback := errors.New("roll back")
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := Notify(ctx, tx, Control{Kind: KindDisconnectUser, UserID: 1}); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return Notify(ctx, tx, Control{Kind: KindDisconnectUser, UserID: 2}, Control{Kind: KindPublish, Events: mustEvents(t, 1, 20_000)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := n.mustControl(t); c.UserID != 2 {
		t.Fatalf("control %+v, want user 2 (the rolled back one must not arrive)", c)
	}
	n.mustBatch(t)
}

func TestListenerReconnects(t *testing.T) {
	db := pgtest.MustDB(t)
	reconnected := make(chan struct{}, 1)
	n := mustNode(t, db, Options{OnReconnect: func() { reconnected <- struct{}{} }})
	ctx := context.Background()
	var killed int
	err := db.NewRaw(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(ctx, &killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminate the listener: killed %d, err %v", killed, err)
	}
	select {
	case <-reconnected:
	case <-time.After(guard):
		t.Fatal("listener did not reconnect")
	}
	evs := mustEvents(t, 3, 100)
	if err := Notify(ctx, db, Control{Kind: KindPublish, Events: evs}); err != nil {
		t.Fatal(err)
	}
	mustEqualEvents(t, n.mustBatch(t), evs)
}

func TestSpillRowsExpire(t *testing.T) {
	db := pgtest.MustDB(t)
	n := mustNode(t, db, Options{})
	ctx := context.Background()
	if _, err := db.NewRaw(`INSERT INTO pgbroker_spill (key, payload, created_at) VALUES
		('old', '\x00', now() - interval '2 minutes'), ('recent', '\x00', now() - interval '10 seconds')`).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := Notify(ctx, db, Control{Kind: KindPublish, Events: mustEvents(t, 1, 10_000)}); err != nil {
		t.Fatal(err)
	}
	n.mustBatch(t)
	var keys []string
	if err := db.NewRaw(`SELECT key FROM pgbroker_spill ORDER BY created_at`).Scan(ctx, &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0] != "recent" {
		t.Fatalf("spill keys %v, want recent and the new one", keys)
	}
}

func TestHeartbeat(t *testing.T) {
	db := pgtest.MustDB(t)
	a := mustNode(t, db, Options{})
	b := mustNode(t, db, Options{})
	ctx := context.Background()
	if err := a.Heartbeat(ctx, "alpha", func() int { return 3 }); err != nil {
		t.Fatal(err)
	}
	if err := b.Heartbeat(ctx, "beta", func() int { return 0 }); err != nil {
		t.Fatal(err)
	}
	nodes, err := Nodes(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 || nodes[0].Name != "alpha" || nodes[0].Connections != 3 || nodes[1].Name != "beta" {
		t.Fatalf("nodes %+v", nodes)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if nodes, err = Nodes(ctx, db); err != nil || len(nodes) != 1 || nodes[0].Name != "beta" {
		t.Fatalf("after closing alpha: nodes %+v, err %v", nodes, err)
	}
	if err := a.Heartbeat(ctx, "alpha", func() int { return 0 }); !errors.Is(err, ErrClosed) {
		t.Fatalf("heartbeat after close: %v, want ErrClosed", err)
	}
	if nodes, err = Nodes(ctx, db); err != nil || len(nodes) != 1 {
		t.Fatalf("heartbeat after close wrote a row: nodes %+v, err %v", nodes, err)
	}
}
