package hub_test

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"natter/server/hub"
)

// countingBroker counts Publish calls of client events on the way to a real
// broker; the hubs' own presence announcements to each other are not
// counted.
type countingBroker struct {
	hub.Broker
	calls atomic.Int64
}

func (b *countingBroker) Publish(ctx context.Context, evs []hub.Event) error {
	if len(evs) > 0 && evs[0].Presence == nil {
		b.calls.Add(1)
	}
	return b.Broker.Publish(ctx, evs)
}

// PublishBatch goes through the broker in one call and reaches exactly the
// recipients on both nodes: every connection of a multi-session user, minus
// the excepted session.
func TestPublishBatchRecipients(t *testing.T) {
	broker := &countingBroker{Broker: hub.NewLocalBroker()}
	nodeA := MustHub(t, hub.Options{Broker: broker, NodeID: "a"})
	nodeB := MustHub(t, hub.Options{Broker: broker, NodeID: "b"})
	type conn struct {
		node          *hub.Hub
		user, session int64
		want          []string
		f             *fakeConn
	}
	conns := []*conn{
		{node: nodeA, user: 1, session: 11, want: []string{"e1", "e2", "end"}},
		{node: nodeA, user: 1, session: 12, want: []string{"e1", "end"}}, // excepted from e2
		{node: nodeA, user: 2, session: 21, want: []string{"e1", "end"}},
		{node: nodeB, user: 1, session: 13, want: []string{"e1", "e2", "end"}},
		{node: nodeB, user: 3, session: 31, want: []string{"e2", "e3", "end"}},
		{node: nodeB, user: 4, session: 41, want: []string{"end"}},
	}
	for _, c := range conns {
		c.f = newFakeConn()
		c.node.Attach(c.user, c.session, c.f)
	}

	nodeA.PublishBatch([]hub.Event{
		{UserIDs: []int64{1, 2}, Payload: named("e1")},
		{UserIDs: []int64{1, 3}, Payload: named("e2"), ExceptSession: 12},
		{UserIDs: []int64{3}, Payload: named("e3"), Ephemeral: true},
		{UserIDs: []int64{5}, Payload: named("e4")}, // nobody online
	})
	if n := broker.calls.Load(); n != 1 {
		t.Fatalf("PublishBatch made %d broker calls, want 1", n)
	}
	nodeB.Publish(hub.Event{UserIDs: []int64{1, 2, 3, 4}, Payload: named("end")})

	for _, c := range conns {
		t.Run(fmt.Sprintf("user%d/session%d", c.user, c.session), func(t *testing.T) {
			for _, w := range c.want {
				if got := c.f.MustNext(t); !bytes.Equal(got, named(w)) {
					t.Fatalf("got %s, want %s", got, w)
				}
			}
		})
	}
	for _, u := range []int64{1, 2, 3, 4} {
		node := nodeA
		if u > 2 {
			node = nodeB
		}
		if !node.Online(u) {
			t.Fatalf("user %d not online on its node", u)
		}
	}
	if nodeA.Online(3) {
		t.Fatal("user 3 online on the wrong node")
	}
}
