package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"natter/server/hub"
	"natter/shared"
)

// guard bounds every wait so that a broken hub fails the test instead of
// hanging it. It is not a timing assertion: healthy runs take milliseconds.
const guard = 10 * time.Second

var quiet = slog.New(slog.DiscardHandler)

// fakeConn is an in-memory Conn: it records frames and can hold writes at a
// gate to play a client that stops reading.
type fakeConn struct {
	gate    chan struct{} // when non-nil, every Write waits until it is closed (or ctx ends)
	started chan struct{} // a Write began
	frames  chan []byte   // copies of the frames written
	closed  chan string   // the close reason
	pending [][]byte      // envelopes split from frames, not yet read by the test
}

func newFakeConn() *fakeConn {
	return &fakeConn{
		started: make(chan struct{}, 1),
		frames:  make(chan []byte, 4096),
		closed:  make(chan string, 1),
	}
}

func newGatedConn() *fakeConn {
	f := newFakeConn()
	f.gate = make(chan struct{})
	return f
}

func (f *fakeConn) Write(ctx context.Context, frame []byte) error {
	select {
	case f.started <- struct{}{}:
	default:
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case f.frames <- bytes.Clone(frame):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeConn) Close(reason string) { f.closed <- reason }

// MustStarted waits until a write is in progress (held at the gate).
func (f *fakeConn) MustStarted(tb testing.TB) {
	tb.Helper()
	select {
	case <-f.started:
	case <-time.After(guard):
		tb.Fatal("no write started")
	}
}

// MustFrame returns the next frame written.
func (f *fakeConn) MustFrame(tb testing.TB) []byte {
	tb.Helper()
	select {
	case fr := <-f.frames:
		return fr
	case <-time.After(guard):
		tb.Fatal("no frame arrived")
		return nil
	}
}

// MustNext returns the next envelope, whatever frame it came in.
func (f *fakeConn) MustNext(tb testing.TB) []byte {
	tb.Helper()
	for len(f.pending) == 0 {
		f.pending = bytes.Split(f.MustFrame(tb), []byte{'\n'})
	}
	env := f.pending[0]
	f.pending = f.pending[1:]
	return env
}

// MustClosed waits for Close and returns its reason.
func (f *fakeConn) MustClosed(tb testing.TB) string {
	tb.Helper()
	select {
	case r := <-f.closed:
		return r
	case <-time.After(guard):
		tb.Fatal("connection not closed")
		return ""
	}
}

// MustDone waits until the client is disconnected.
func MustDone(tb testing.TB, c *hub.Client) {
	tb.Helper()
	select {
	case <-c.Done():
	case <-time.After(guard):
		tb.Fatalf("client of user %d not disconnected", c.UserID())
	}
}

// envelope encodes a message.created-like envelope with seq and a body of
// about size bytes.
func envelope(seq int64, size int) []byte {
	data, _ := json.Marshal(map[string]string{"body": strings.Repeat("x", max(size-60, 1))})
	b, _ := json.Marshal(shared.Envelope{V: 1, Type: shared.TypeMessageCreated, Seq: seq, Data: data})
	return b
}

// named is an envelope whose id names it, for recipient checks.
func named(name string) []byte {
	return []byte(fmt.Sprintf(`{"v":1,"type":"typing.event","id":%q}`, name))
}

// exact is an envelope named name of exactly n bytes (at least 40).
func exact(name string, n int) []byte {
	b := named(name)
	pad := n - len(b) - len(`,"data":""`)
	return []byte(fmt.Sprintf(`%s,"data":"%s"}`, b[:len(b)-1], strings.Repeat("x", max(pad, 0))))
}

// decode parses an envelope or fails.
func decode(tb testing.TB, b []byte) shared.Envelope {
	tb.Helper()
	var env shared.Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		tb.Fatalf("bad envelope %q: %v", b, err)
	}
	return env
}

// MustPresence reads envelopes until a presence one satisfying ok arrives.
func MustPresence(tb testing.TB, f *fakeConn, ok func(shared.Presence) bool) shared.Presence {
	tb.Helper()
	for {
		env := decode(tb, f.MustNext(tb))
		if env.Type != shared.TypePresence {
			continue
		}
		var p shared.Presence
		if err := json.Unmarshal(env.Data, &p); err != nil {
			tb.Fatalf("bad presence %s: %v", env.Data, err)
		}
		if ok(p) {
			return p
		}
	}
}

func viewerIDs(p shared.Presence) []int64 {
	ids := make([]int64, 0, len(p.Viewers))
	for _, v := range p.Viewers {
		ids = append(ids, v.UserID)
	}
	return ids
}

// MustHub starts a hub that is closed when the test ends.
func MustHub(tb testing.TB, opt hub.Options) *hub.Hub {
	tb.Helper()
	if opt.Logger == nil {
		opt.Logger = quiet
	}
	h := hub.New(opt)
	tb.Cleanup(h.Close)
	return h
}
