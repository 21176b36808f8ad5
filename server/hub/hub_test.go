package hub_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"natter/server/hub"
)

// A client that stops reading is cut off once past its bound while 100 others
// receive every event, in order.
func TestSlowClientDisconnected(t *testing.T) {
	h := MustHub(t, hub.Options{QueueBytes: 8 << 10})
	slowConn := newGatedConn() // the gate never opens: this client never reads
	slow := h.Attach(1000, 1000, slowConn)
	users := []int64{1000}
	fast := make([]*fakeConn, 100)
	for i := range fast {
		fast[i] = newFakeConn()
		h.Attach(int64(i+1), int64(i+1), fast[i])
		users = append(users, int64(i+1))
	}

	const rounds = 40 // 40 x ~512 bytes: well past the slow client's 8 KiB
	for seq := int64(1); seq <= rounds; seq++ {
		h.Publish(hub.Event{UserIDs: users, Payload: envelope(seq, 512)})
		// Await every fast client, so their own queues never build up.
		for i, f := range fast {
			if got := decode(t, f.MustNext(t)).Seq; got != seq {
				t.Fatalf("fast client %d: got seq %d, want %d", i, got, seq)
			}
		}
	}

	MustDone(t, slow)
	if st := h.Stats(); st.Connections != 100 || st.DroppedClients != 1 {
		t.Fatalf("stats %+v: want 100 connections, 1 dropped client", st)
	}
	if !errors.Is(slow.Err(), hub.ErrSlow) {
		t.Fatalf("slow client error = %v, want ErrSlow", slow.Err())
	}
	if r := slowConn.MustClosed(t); r != "too slow" {
		t.Fatalf("close reason %q", r)
	}
	if h.Online(1000) {
		t.Fatal("slow user still online")
	}
	h.Close() // waits for the writers, so their counts are final
	if st := h.Stats(); st.Delivered != 100*rounds {
		t.Fatalf("delivered %d, want %d", st.Delivered, 100*rounds)
	}
}

// Envelopes arrive in the order they were queued, whether fanned out or sent
// directly; batched frames hold several envelopes and never exceed
// MaxFrameBytes, except one oversize envelope alone.
func TestOrderAndBatching(t *testing.T) {
	const maxFrame = 1000
	h := MustHub(t, hub.Options{MaxFrameBytes: maxFrame})
	conn := newGatedConn()
	c := h.Attach(1, 1, conn)

	var want [][]byte
	send := func(b []byte, direct bool) {
		want = append(want, b)
		if direct {
			if !c.Send(b) {
				t.Fatalf("Send refused envelope %d", len(want))
			}
			return
		}
		h.Publish(hub.Event{UserIDs: []int64{1}, Payload: b})
	}
	send(envelope(0, 100), true)
	conn.MustStarted(t) // the writer holds envelope 0 at the gate; the rest queue up
	for seq := int64(1); seq <= 200; seq++ {
		size := 60 + int(seq*37%350)
		if seq == 100 {
			size = 2500 // larger than a frame: must go alone
		}
		send(envelope(seq, size), seq%3 == 0)
	}
	close(conn.gate)

	var got [][]byte
	batched := false
	for len(got) < len(want) {
		frame := conn.MustFrame(t)
		parts := bytes.Split(frame, []byte{'\n'})
		if len(parts) > 1 {
			batched = true
			if len(frame) > maxFrame {
				t.Fatalf("frame of %d envelopes is %d bytes, over %d", len(parts), len(frame), maxFrame)
			}
		}
		got = append(got, parts...)
	}
	if !batched {
		t.Fatal("no frame batched several envelopes")
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("envelope %d out of order: got %.60s, want %.60s", i, got[i], want[i])
		}
	}
	h.Close() // waits for the writers, so their counts are final
	if st := h.Stats(); st.Delivered != uint64(len(want)) || st.Frames >= st.Delivered {
		t.Fatalf("stats %+v", st)
	}
}

// Under pressure ephemeral envelopes go first; durable ones are delivered or
// the client is disconnected, never dropped silently.
func TestBackpressure(t *testing.T) {
	const bound = 1000
	seq := 0
	size := func(n int) []byte { seq++; return exact(fmt.Sprint("d", seq), n) }

	t.Run("ephemeral dropped, durable kept", func(t *testing.T) {
		h := MustHub(t, hub.Options{QueueBytes: bound})
		conn := newGatedConn()
		c := h.Attach(1, 1, conn)
		d0 := size(100)
		c.Send(d0)
		conn.MustStarted(t)              // d0 is in flight, outside the bound
		c.SendEphemeral(exact("e1", 50)) // queue under half: kept for now
		d1, d2, d3 := size(100), size(100), size(100)
		for _, d := range [][]byte{d1, d2, d3} {
			if !c.Send(d) {
				t.Fatal("durable refused under the bound")
			}
		}
		c.SendEphemeral(exact("e2", 200)) // would pass half the bound: dropped
		d4, d5, d6 := size(100), size(300), size(290)
		for _, d := range [][]byte{d4, d5, d6} { // 990 + 290: d6 fits only once e1 is evicted
			if !c.Send(d) {
				t.Fatalf("durable of %d bytes refused", len(d))
			}
		}
		close(conn.gate)
		for i, want := range [][]byte{d0, d1, d2, d3, d4, d5, d6} {
			if got := conn.MustNext(t); !bytes.Equal(got, want) {
				t.Fatalf("envelope %d: got %.40s, want %.40s", i, got, want)
			}
		}
		if st := h.Stats(); st.DroppedEphemeral != 2 || st.DroppedClients != 0 {
			t.Fatalf("stats %+v: want 2 dropped ephemeral, no dropped client", st)
		}
		if c.Err() != nil {
			t.Fatalf("client disconnected: %v", c.Err())
		}
	})

	t.Run("durable overflow disconnects", func(t *testing.T) {
		h := MustHub(t, hub.Options{QueueBytes: bound})
		conn := newGatedConn()
		c := h.Attach(1, 1, conn)
		c.Send(size(100))
		conn.MustStarted(t)
		for i := range 9 {
			if !c.Send(size(100)) {
				t.Fatalf("durable %d refused under the bound", i)
			}
		}
		if c.Send(size(200)) {
			t.Fatal("durable over the bound accepted")
		}
		MustDone(t, c)
		if !errors.Is(c.Err(), hub.ErrSlow) {
			t.Fatalf("err = %v, want ErrSlow", c.Err())
		}
		if c.Send(size(10)) {
			t.Fatal("Send accepted after disconnect")
		}
		if err := c.SendWait(context.Background(), size(10)); !errors.Is(err, hub.ErrSlow) {
			t.Fatalf("SendWait after disconnect = %v", err)
		}
		if h.Online(1) {
			t.Fatal("user still online")
		}
	})

	t.Run("SendWait waits for room", func(t *testing.T) {
		h := MustHub(t, hub.Options{QueueBytes: bound})
		conn := newGatedConn()
		c := h.Attach(1, 1, conn)
		d0, d1, d2 := size(100), size(450), size(100)
		c.Send(d0)
		conn.MustStarted(t)
		c.Send(d1) // the queue is now near half full
		res := make(chan error, 1)
		go func() { res <- c.SendWait(context.Background(), d2) }()
		close(conn.gate) // the writer drains; SendWait gets room
		if err := <-res; err != nil {
			t.Fatal(err)
		}
		for i, want := range [][]byte{d0, d1, d2} {
			if got := conn.MustNext(t); !bytes.Equal(got, want) {
				t.Fatalf("envelope %d: got %.40s, want %.40s", i, got, want)
			}
		}
	})
}

// A write that hangs past WriteTimeout disconnects the client.
func TestWriteTimeout(t *testing.T) {
	h := MustHub(t, hub.Options{WriteTimeout: 20_000_000}) // 20ms
	conn := newGatedConn()
	c := h.Attach(1, 1, conn)
	c.Send(named("stuck"))
	MustDone(t, c)
	if !errors.Is(c.Err(), hub.ErrWriteTimeout) {
		t.Fatalf("err = %v, want ErrWriteTimeout", c.Err())
	}
	if r := conn.MustClosed(t); r != "write timeout" {
		t.Fatalf("close reason %q", r)
	}
	if h.Stats().DroppedClients != 1 {
		t.Fatal("timeout not counted")
	}
}

// Kicking a session or user sends the error envelope, discards what was
// queued, and closes; the user is offline at once.
func TestDisconnect(t *testing.T) {
	tests := []struct {
		name string
		kick func(h *hub.Hub, env []byte)
	}{
		{"session", func(h *hub.Hub, env []byte) { h.DisconnectSession(11, env) }},
		{"user", func(h *hub.Hub, env []byte) { h.DisconnectUser(1, env) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := MustHub(t, hub.Options{})
			conn := newGatedConn()
			c := h.Attach(1, 11, conn)
			other := newFakeConn()
			h.Attach(2, 21, other)
			c.Send(named("first"))
			conn.MustStarted(t)
			c.Send(named("discarded"))
			revoked := named("revoked")
			tt.kick(h, revoked)
			if h.Online(1) {
				t.Fatal("user still online after kick")
			}
			close(conn.gate)
			for _, want := range [][]byte{named("first"), revoked} {
				if got := conn.MustNext(t); !bytes.Equal(got, want) {
					t.Fatalf("got %s, want %s", got, want)
				}
			}
			if r := conn.MustClosed(t); r != "disconnected by server" {
				t.Fatalf("close reason %q", r)
			}
			MustDone(t, c)
			if !errors.Is(c.Err(), hub.ErrKicked) {
				t.Fatalf("err = %v", c.Err())
			}
			if !h.Online(2) {
				t.Fatal("other user kicked too")
			}
		})
	}
}

// Close disconnects everyone; later calls are harmless.
func TestClose(t *testing.T) {
	h := hub.New(hub.Options{Logger: quiet})
	conns := []*fakeConn{newFakeConn(), newGatedConn()}
	var clients []*hub.Client
	for i, f := range conns {
		clients = append(clients, h.Attach(int64(i+1), int64(i+1), f))
	}
	clients[1].Send(named("stuck"))
	conns[1].MustStarted(t)
	h.Close()
	for _, c := range clients {
		MustDone(t, c) // Close already waited; this only checks
		if !errors.Is(c.Err(), hub.ErrClosed) {
			t.Fatalf("err = %v", c.Err())
		}
	}
	late := h.Attach(9, 9, newFakeConn())
	MustDone(t, late)
	h.Publish(hub.Event{UserIDs: []int64{9}, Payload: named("late")})
	if st := h.Stats(); st.Connections != 0 || st.PublishErrors != 1 {
		t.Fatalf("stats after close %+v", st)
	}
	h.Close()
}
