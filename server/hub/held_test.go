package hub_test

import (
	"testing"

	"natter/server/hub"
)

// A client attached held writes nothing until Release, and then writes the
// released envelope before everything fanned out to it meanwhile: the
// protocol's welcome comes first although the client was attached (so as to
// miss nothing) before the welcome existed.
func TestHeldClientWritesReleasedEnvelopeFirst(t *testing.T) {
	h := hub.New(hub.Options{Logger: quiet})
	defer h.Close()
	conn := newFakeConn()
	c := h.AttachHeld(1, 10, conn)
	for _, body := range []string{`{"type":"live","seq":1}`, `{"type":"live","seq":2}`} {
		h.Publish(hub.Event{UserIDs: []int64{1}, Payload: []byte(body)})
	}
	select {
	case fr := <-conn.frames:
		t.Fatalf("a held client wrote %s", fr)
	default:
	}
	c.Release([]byte(`{"type":"welcome"}`))
	for _, want := range []string{`{"type":"welcome"}`, `{"type":"live","seq":1}`, `{"type":"live","seq":2}`} {
		if got := string(conn.MustNext(t)); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
	// Once released it is an ordinary client.
	h.Publish(hub.Event{UserIDs: []int64{1}, Payload: []byte(`{"type":"live","seq":3}`)})
	if got := string(conn.MustNext(t)); got != `{"type":"live","seq":3}` {
		t.Fatalf("after release: %s", got)
	}
}

// Kicking a held client still writes the reason and closes it.
func TestHeldClientCanBeKicked(t *testing.T) {
	h := hub.New(hub.Options{Logger: quiet})
	defer h.Close()
	conn := newFakeConn()
	c := h.AttachHeld(1, 10, conn)
	h.Publish(hub.Event{UserIDs: []int64{1}, Payload: []byte(`{"type":"live"}`)})
	h.Kick(c, []byte(`{"type":"error"}`))
	if got := string(conn.MustNext(t)); got != `{"type":"error"}` {
		t.Fatalf("got %s, want the kick's reason", got)
	}
	conn.MustClosed(t)
	MustDone(t, c)
}
