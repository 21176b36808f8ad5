package pgbroker

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"natter/server/hub"
	"natter/server/pgtest"
	"natter/shared"
)

// sock is a hub.Conn that hands every frame it is written to a channel.
type sock struct {
	frames chan string
	closed chan string
}

func newSock() *sock { return &sock{frames: make(chan string, 100), closed: make(chan string, 1)} }

func (s *sock) Write(_ context.Context, frame []byte) error {
	s.frames <- string(frame)
	return nil
}

func (s *sock) Close(reason string) { s.closed <- reason }

func (s *sock) mustFrame(tb testing.TB) string {
	tb.Helper()
	select {
	case f := <-s.frames:
		return f
	case <-time.After(guard):
		tb.Fatal("no frame written")
		return ""
	}
}

// mustServer starts a hub on its own broker, wired as `natter serve` wires
// them.
func mustServer(tb testing.TB, dsn, name string) *hub.Hub {
	tb.Helper()
	b, err := New(context.Background(), pgtest.Open(tb, dsn), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	h := hub.New(hub.Options{Broker: b, NodeID: name})
	b.OnControl(Apply(h))
	tb.Cleanup(h.Close) // closes the broker too
	return h
}

func TestHubsOnTwoServers(t *testing.T) {
	dsn := pgtest.MustDSN(t)
	a, b := mustServer(t, dsn, "a"), mustServer(t, dsn, "b")
	onA, onB := newSock(), newSock()
	a.Attach(1, 10, onA)
	b.Attach(1, 11, onB)

	a.PublishBatch([]hub.Event{{UserIDs: []int64{1}, Payload: []byte(`{"type":"message.created","seq":1}`)}})
	for name, s := range map[string]*sock{"same server": onA, "other server": onB} {
		if f := s.mustFrame(t); f != `{"type":"message.created","seq":1}` {
			t.Fatalf("%s got frame %q", name, f)
		}
	}

	// The operator disables user 1: both servers disconnect them, with why.
	if err := Notify(context.Background(), pgtest.Open(t, dsn), Control{Kind: KindDisconnectUser, UserID: 1}); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*sock{"a": onA, "b": onB} {
		var env shared.Envelope
		var e shared.Error
		if err := json.Unmarshal([]byte(s.mustFrame(t)), &env); err != nil || json.Unmarshal(env.Data, &e) != nil ||
			e.Code != shared.CodeAccountDisabled || !e.Fatal {
			t.Fatalf("server %s: last frame %+v %+v", name, env, e)
		}
		select {
		case <-s.closed:
		case <-time.After(guard):
			t.Fatalf("server %s did not close the connection", name)
		}
	}
}

// Presence crosses servers through PostgreSQL: a viewer on one server is
// listed on the other.
func TestPresenceOnTwoServers(t *testing.T) {
	dsn := pgtest.MustDSN(t)
	a, b := mustServer(t, dsn, "a"), mustServer(t, dsn, "b")
	onA, onB := newSock(), newSock()
	ca := a.Attach(1, 10, onA)
	b.Attach(2, 11, onB)
	a.SetViewing(ca, shared.ReadPosition{ConversationID: "X", Seq: 3}, []int64{1, 2})
	for {
		var env shared.Envelope
		var p shared.Presence
		if err := json.Unmarshal([]byte(onB.mustFrame(t)), &env); err != nil || json.Unmarshal(env.Data, &p) != nil {
			t.Fatalf("bad frame: %v", err)
		}
		if env.Type == shared.TypePresence && len(p.Viewers) == 1 && p.Viewers[0].UserID == 1 && p.Viewers[0].Seq == 3 {
			break
		}
	}
}
