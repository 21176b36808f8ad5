package hub_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"natter/server/hub"
	"natter/shared"
)

// nodeBroker is one node's view of a shared in-process broker: closing it
// (as Hub.Close does) disconnects only that node, and cut makes the node
// vanish without a word, as a crashed process does.
type nodeBroker struct {
	shared hub.Broker
	closed atomic.Bool
	cut    atomic.Bool
}

func (b *nodeBroker) Publish(ctx context.Context, evs []hub.Event) error {
	if b.closed.Load() || b.cut.Load() {
		return hub.ErrBrokerClosed
	}
	return b.shared.Publish(ctx, evs)
}

func (b *nodeBroker) Subscribe(deliver func([]hub.Event)) {
	b.shared.Subscribe(func(evs []hub.Event) {
		if !b.closed.Load() && !b.cut.Load() {
			deliver(evs)
		}
	})
}

func (b *nodeBroker) Close() error { b.closed.Store(true); return nil }

// testCluster is n hubs on one in-process broker, each its own node.
type testCluster struct {
	tb      testing.TB
	shared  hub.Broker
	opt     hub.Options
	hubs    []*hub.Hub
	brokers []*nodeBroker
}

func newCluster(tb testing.TB, n int, opt hub.Options) *testCluster {
	tb.Helper()
	c := &testCluster{tb: tb, shared: hub.NewLocalBroker(), opt: opt}
	tb.Cleanup(func() { _ = c.shared.Close() })
	for range n {
		c.add()
	}
	return c
}

// add starts one more node.
func (c *testCluster) add() *hub.Hub {
	b := &nodeBroker{shared: c.shared}
	o := c.opt
	o.Broker = b
	h := MustHub(c.tb, o)
	c.hubs = append(c.hubs, h)
	c.brokers = append(c.brokers, b)
	return h
}

func viewersAre(ids ...int64) func(shared.Presence) bool {
	return func(p shared.Presence) bool { return slices.Equal(viewerIDs(p), ids) }
}

// Viewers on three nodes see one merged list; a node that closes, one that
// dies silently and a removed member all leave it.
func TestPresenceAcrossNodes(t *testing.T) {
	cl := newCluster(t, 3, hub.Options{PresenceInterval: 5 * time.Millisecond, PresenceRefresh: 40 * time.Millisecond})
	hs, bs := cl.hubs, cl.brokers
	ca, cb, cc := newFakeConn(), newFakeConn(), newFakeConn()
	a := hs[0].Attach(1, 1, ca)
	b := hs[1].Attach(2, 2, cb)
	c := hs[2].Attach(3, 3, cc)
	members := []int64{1, 2, 3}
	hs[0].SetViewing(a, shared.ReadPosition{ConversationID: "X", Nickname: "ann", Seq: 5}, members)
	hs[1].SetViewing(b, shared.ReadPosition{ConversationID: "X", Nickname: "bob", Seq: 7, Offset: 300}, members)
	hs[2].SetViewing(c, shared.ReadPosition{ConversationID: "X", Nickname: "cy", Seq: 7}, members)

	for name, f := range map[string]*fakeConn{"ann": ca, "bob": cb, "cy": cc} {
		p := MustPresence(t, f, viewersAre(1, 2, 3))
		want := shared.ReadPosition{ConversationID: "X", UserID: 2, Nickname: "bob", Seq: 7, Offset: 300}
		if p.Viewers[1] != want {
			t.Fatalf("%s sees bob as %+v, want %+v", name, p.Viewers[1], want)
		}
	}

	t.Run("removed member", func(t *testing.T) {
		hs[0].ForgetViewer("X", 3, []int64{1, 2})
		MustPresence(t, cb, viewersAre(1, 2))
		MustPresence(t, ca, viewersAre(1, 2))
	})
	t.Run("node closes", func(t *testing.T) {
		hs[1].Close()
		MustPresence(t, ca, viewersAre(1))
	})
	t.Run("node dies", func(t *testing.T) {
		d := hs[2].Attach(4, 4, newFakeConn())
		hs[2].SetViewing(d, shared.ReadPosition{ConversationID: "X", Seq: 7}, []int64{1, 4})
		MustPresence(t, ca, viewersAre(1, 4))
		bs[2].cut.Store(true) // no goodbye: the refresh timeout must notice
		MustPresence(t, ca, viewersAre(1))
	})
}

// A node that starts late learns at once who views what elsewhere, and a
// user connected to two nodes is listed once, at their newest position.
func TestPresenceLateNodeAndTwoDevices(t *testing.T) {
	cl := newCluster(t, 2, hub.Options{PresenceInterval: 5 * time.Millisecond, PresenceRefresh: time.Hour})
	hs := cl.hubs
	phone, laptop := newFakeConn(), newFakeConn()
	p := hs[0].Attach(1, 1, phone)
	l := hs[1].Attach(1, 2, laptop)
	members := []int64{1, 2}
	hs[0].SetViewing(p, shared.ReadPosition{ConversationID: "X", Seq: 4}, members)
	MustPresence(t, laptop, viewersAre(1))
	hs[1].SetViewing(l, shared.ReadPosition{ConversationID: "X", Seq: 9}, members)
	MustPresence(t, phone, func(p shared.Presence) bool { return len(p.Viewers) == 1 && p.Viewers[0].Seq == 9 })

	// A third node starts after all that. The refresh is an hour away:
	// only the start-up sync can tell it about the phone and the laptop.
	late := cl.add()
	w := newFakeConn()
	watcher := late.Attach(2, 3, w)
	late.SetViewing(watcher, shared.ReadPosition{ConversationID: "X", Seq: 1}, members)
	// Both other nodes answer, in either order; the newest position wins.
	MustPresence(t, w, func(p shared.Presence) bool {
		return slices.Equal(viewerIDs(p), []int64{1, 2}) && p.Viewers[0].Seq == 9
	})
}
