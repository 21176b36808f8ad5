//go:build !js

package client_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"natter/server/webtest"
	"natter/wasm/client"
)

// dyingStorage is Storage on a MemoryStorage that, once armed, dies at the
// first flush that writes a conversation (the flush after an ack): from
// then on nothing lands and every write blocks, as a closing page's do when
// it goes. snapshot is what is on disk then.
type dyingStorage struct {
	*client.MemoryStorage
	mu    sync.Mutex
	armed bool
	dead  bool
	died  chan struct{} // closed when it dies
	// late: that flush lands whole and the page dies just after it.
	late bool
}

func (d *dyingStorage) arm() {
	d.mu.Lock()
	d.armed = true
	d.mu.Unlock()
}

func (d *dyingStorage) WriteAll(ctx context.Context, ws []client.Write) error {
	d.mu.Lock()
	dies := false
	if d.armed && !d.dead {
		for _, w := range ws {
			dies = dies || w.Bucket == client.BucketConvs || w.Bucket == client.BucketMessages
		}
	}
	if dies && d.late {
		err := d.MemoryStorage.WriteAll(ctx, ws)
		d.dead = true
		close(d.died)
		d.mu.Unlock()
		return err
	}
	if dies {
		d.dead = true
		close(d.died)
	}
	dead := d.dead
	d.mu.Unlock()
	if dead {
		<-ctx.Done() // never, for the engine's writes: the page is gone
		return ctx.Err()
	}
	return d.MemoryStorage.WriteAll(ctx, ws)
}

// gone blocks once the storage is dead, as a write of a closed page never
// ends, and returns the context's error; nil while it lives.
func (d *dyingStorage) gone(ctx context.Context) error {
	d.mu.Lock()
	dead := d.dead
	d.mu.Unlock()
	if !dead {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (d *dyingStorage) Put(ctx context.Context, bucket, key string, value []byte) error {
	if err := d.gone(ctx); err != nil {
		return err
	}
	return d.MemoryStorage.Put(ctx, bucket, key, value)
}

func (d *dyingStorage) Delete(ctx context.Context, bucket, key string) error {
	if err := d.gone(ctx); err != nil {
		return err
	}
	return d.MemoryStorage.Delete(ctx, bucket, key)
}

// snapshot copies what the underlying storage holds into a new one.
func (d *dyingStorage) snapshot(tb testing.TB) *client.MemoryStorage {
	tb.Helper()
	out := client.NewMemoryStorage()
	for _, b := range client.Buckets {
		kvs, err := d.MemoryStorage.List(context.Background(), b)
		if err != nil {
			tb.Fatal(err)
		}
		for _, kv := range kvs {
			if err := out.Put(context.Background(), b, kv.Key, kv.Value); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return out
}

// TestAckThenPageDiesKeepsTheMessage: a page that dies after a send was
// acknowledged but before the flush that writes the conversation landed
// keeps the message in its outbox, so the next start shows it (offline too)
// and sends it again, which the server answers with the original: one
// message, never none on screen, never two on the server. The flush writes
// the conversation and removes the entry in one transaction, so a page
// that dies just after it finds the message in the cache and nothing
// queued.
func TestAckThenPageDiesKeepsTheMessage(t *testing.T) {
	srv := webtest.MustServer(t)
	for _, tt := range []struct {
		name string
		late bool
	}{
		{"before the flush after the ack lands", false},
		{"just after the flush after the ack landed", true},
	} {
		t.Run(tt.name, func(t *testing.T) { ackThenPageDies(t, srv, tt.late) })
	}
}

func ackThenPageDies(t *testing.T, srv *webtest.Server, late bool) {
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	st := &dyingStorage{MemoryStorage: client.NewMemoryStorage(), died: make(chan struct{}), late: late}
	tp := newTap(&client.WebSocketTransport{URL: srv.WSURL, Header: ann.header})
	acked := make(chan struct{}, 1)
	tp.onAck = func(int) {
		st.arm() // the page goes during the flush after the ack
		select {
		case acked <- struct{}{}:
		default:
		}
	}
	e := client.New(client.Config{Storage: st, Transport: tp, Device: "test", Rand: func() float64 { return 0.05 }})
	e.Start(context.Background())
	first := &engine{Engine: e, tap: tp}
	first.waitCaughtUp(t)
	e.Flush() // the page has been open a while: its user and conversations are on disk
	if _, err := e.Send(conv, "sent just before the tab closed"); err != nil {
		t.Fatal(err)
	}
	<-acked
	select { // the flush after the ack, at most a second later
	case <-st.died:
	case <-time.After(webtest.Timeout):
		t.Fatal("no flush after the ack")
	}
	disk := st.snapshot(t)
	go e.Stop() // its flush blocks on the dead storage, as the page's did

	second := &engine{Engine: client.New(client.Config{Storage: disk, Transport: &client.WebSocketTransport{URL: srv.WSURL, Header: ann.header},
		Device: "test", Rand: func() float64 { return 0.05 }}), st: disk}
	second.SetOnline(false)
	second.Start(context.Background())
	t.Cleanup(second.Stop)
	second.wait(t, "the message after the restart, offline", func() bool {
		for _, m := range second.Messages(conv) {
			if m.Body == "sent just before the tab closed" {
				return true
			}
		}
		return false
	})
	if late { // held in the cache, the entry gone with the same write: nothing is sent again
		if n := second.Unsent().Actions; n != 0 {
			t.Fatalf("%d actions still queued after the start", n)
		}
	}
	second.SetOnline(true)
	second.waitCaughtUp(t)
	second.waitAcked(t)
	if n := countBody(mustHistory(t, srv, ann, conv), "sent just before the tab closed"); n != 1 {
		t.Fatalf("the message is on the server %d times, want once", n)
	}
	shown := 0
	for _, m := range second.Messages(conv) {
		if m.Body == "sent just before the tab closed" {
			shown++
		}
	}
	if shown != 1 {
		t.Fatalf("the message is shown %d times, want once", shown)
	}
}
