//go:build !js

package client_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// recorder is a transport that keeps every frame the engine writes, per
// connection, and signals each finished dial.
type recorder struct {
	inner  client.Transport
	dialed chan struct{}
	mu     sync.Mutex
	frames [][][]byte // per dial, in order
}

func (r *recorder) Dial(ctx context.Context) (client.Conn, error) {
	c, err := r.inner.Dial(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.frames = append(r.frames, nil)
	n := len(r.frames) - 1
	r.mu.Unlock()
	select {
	case r.dialed <- struct{}{}:
	default:
	}
	return &recordedConn{Conn: c, r: r, n: n}, nil
}

func (r *recorder) written() [][][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][][]byte(nil), r.frames...)
}

type recordedConn struct {
	client.Conn
	r *recorder
	n int
}

func (c *recordedConn) Write(ctx context.Context, b []byte) error {
	c.r.mu.Lock()
	c.r.frames[c.n] = append(c.r.frames[c.n], append([]byte(nil), b...))
	c.r.mu.Unlock()
	return c.Conn.Write(ctx, b)
}

// A connection opened before the cache loads carries the engine's first
// session: the hello on it holds the cursors of the cache (never more),
// and an action queued offline in an earlier tab goes out exactly once.
func TestPredialedConnectionCarriesTheLoadedState(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	st := client.NewMemoryStorage()
	first := mustEngine(t, srv, ann, st)
	b := mustEngine(t, srv, bob, nil)
	first.waitCaughtUp(t)
	b.waitCaughtUp(t)
	for _, body := range []string{"one", "two", "three"} {
		if _, err := b.Send(conv, body); err != nil {
			t.Fatal(err)
		}
	}
	first.wait(t, "bob's three messages", func() bool { return len(first.Messages(conv)) == 3 })
	first.SetOnline(false)
	if _, err := first.Send(conv, "queued offline"); err != nil {
		t.Fatal(err)
	}
	first.Stop()

	rec := &recorder{inner: &client.WebSocketTransport{URL: srv.WSURL, Header: ann.header}, dialed: make(chan struct{}, 1)}
	p := client.Predial(context.Background(), rec)
	<-rec.dialed // open before the engine exists: the hand-over is what is tested
	e := client.New(client.Config{Storage: st, Transport: p, Device: "test", Rand: func() float64 { return 0.05 }})
	e.Start(context.Background())
	t.Cleanup(e.Stop)
	second := &engine{Engine: e, st: st}
	second.waitCaughtUp(t)
	second.waitAcked(t)

	frames := rec.written()
	if len(frames) != 1 {
		t.Fatalf("%d connections, want the early one only", len(frames))
	}
	env, err := shared.DecodeFrame(frames[0][0])
	if err != nil || len(env) == 0 || env[0].Type != shared.TypeHello {
		t.Fatalf("first frame %s is not a hello (%v)", frames[0][0], err)
	}
	var h shared.Hello
	if err := json.Unmarshal(env[0].Data, &h); err != nil {
		t.Fatal(err)
	}
	if got := h.Cursors[conv]; got != 3 {
		t.Errorf("hello's cursor for the conversation = %d, want 3 (the cache's)", got)
	}
	if n := countBody(mustHistory(t, srv, ann, conv), "queued offline"); n != 1 {
		t.Errorf("the action queued offline was stored %d times, want once", n)
	}
}
