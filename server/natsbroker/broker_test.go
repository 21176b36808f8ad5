package natsbroker_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"natter/server/hub"
	"natter/server/natsbroker"
	"natter/server/natstest"
	"natter/shared"
)

// guard bounds every wait; healthy runs take milliseconds.
const guard = 10 * time.Second

// sock is a hub.Conn that hands every envelope it is written to a channel.
type sock struct {
	envs chan shared.Envelope
}

func newSock() *sock { return &sock{envs: make(chan shared.Envelope, 100)} }

func (s *sock) Write(_ context.Context, frame []byte) error {
	for _, line := range splitLines(frame) {
		var env shared.Envelope
		if json.Unmarshal(line, &env) == nil {
			s.envs <- env
		}
	}
	return nil
}

func (s *sock) Close(string) {}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, b[start:i])
			start = i + 1
		}
	}
	return append(out, b[start:])
}

// must reads envelopes until one satisfies ok.
func (s *sock) must(tb testing.TB, ok func(shared.Envelope) bool) shared.Envelope {
	tb.Helper()
	deadline := time.After(guard)
	for {
		select {
		case env := <-s.envs:
			if ok(env) {
				return env
			}
		case <-deadline:
			tb.Fatal("the expected envelope never came")
		}
	}
}

func typed(typ string, seq int64) func(shared.Envelope) bool {
	return func(e shared.Envelope) bool { return e.Type == typ && e.Seq == seq }
}

func payload(seq int64) []byte {
	return []byte(`{"v":1,"type":"message.created","seq":` + string(rune('0'+seq)) + `}`)
}

func mustNode(tb testing.TB, url string, opt natsbroker.Options) (*hub.Hub, *natsbroker.Broker) {
	tb.Helper()
	b, err := natsbroker.New(context.Background(), url, opt)
	if err != nil {
		tb.Fatal(err)
	}
	h := hub.New(hub.Options{Broker: b, PresenceInterval: 5 * time.Millisecond})
	tb.Cleanup(h.Close)
	return h, b
}

// A node subscribes to a user's subject only while that user is connected
// to it, and gets their events from any node then.
func TestSubjectsPerUser(t *testing.T) {
	ns := natstest.Start(t)
	a, ba := mustNode(t, ns.URL(), natsbroker.Options{})
	b, bb := mustNode(t, ns.URL(), natsbroker.Options{})
	onA, onB := newSock(), newSock()
	a.Attach(1, 10, onA)
	cb := b.Attach(1, 11, onB)
	a.Attach(2, 12, newSock())
	if ba.Watched() != 2 || bb.Watched() != 1 {
		t.Fatalf("watched: a %d, b %d; want 2 and 1", ba.Watched(), bb.Watched())
	}
	a.PublishBatch([]hub.Event{{UserIDs: []int64{1, 2}, Payload: payload(1)}})
	onA.must(t, typed("message.created", 1))
	onB.must(t, typed("message.created", 1))

	b.Detach(cb)
	if bb.Watched() != 0 {
		t.Fatalf("b still watches %d users after their last connection left", bb.Watched())
	}
}

// A node that loses NATS keeps its connections, resubscribes when NATS is
// back, and says so (the server then makes its clients resume).
func TestReconnect(t *testing.T) {
	ns := natstest.Start(t)
	back := make(chan struct{}, 1)
	a, _ := mustNode(t, ns.URL(), natsbroker.Options{})
	b, _ := mustNode(t, ns.URL(), natsbroker.Options{OnReconnect: func() { back <- struct{}{} }})
	onB := newSock()
	b.Attach(1, 11, onB)

	ns.Restart(t)
	select {
	case <-back:
	case <-time.After(guard):
		t.Fatal("no reconnect")
	}
	// a may still be reconnecting: keep publishing until b hears one.
	deadline := time.Now().Add(guard)
	for seq := int64(1); ; seq = seq%9 + 1 {
		a.Publish(hub.Event{UserIDs: []int64{1}, Payload: payload(seq)})
		select {
		case env := <-onB.envs:
			if env.Type == "message.created" {
				return
			}
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("b never heard from a after NATS restarted")
		}
	}
}

// Presence crosses nodes over the nodes subject.
func TestPresence(t *testing.T) {
	ns := natstest.Start(t)
	a, _ := mustNode(t, ns.URL(), natsbroker.Options{})
	b, _ := mustNode(t, ns.URL(), natsbroker.Options{})
	ca := a.Attach(1, 10, newSock())
	onB := newSock()
	b.Attach(2, 11, onB)
	a.SetViewing(ca, shared.ReadPosition{ConversationID: "X", Seq: 3}, []int64{1, 2})
	onB.must(t, func(e shared.Envelope) bool {
		var p shared.Presence
		return e.Type == shared.TypePresence && json.Unmarshal(e.Data, &p) == nil && len(p.Viewers) == 1 && p.Viewers[0].UserID == 1
	})
}
