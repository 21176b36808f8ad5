//go:build !js

package client_test

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// writeLog is a transport that notes what the engine writes and how often
// it dials.
type writeLog struct {
	inner  client.Transport
	mu     sync.Mutex
	dials  int
	frames [][]byte
}

func (w *writeLog) Dial(ctx context.Context) (client.Conn, error) {
	w.mu.Lock()
	w.dials++
	w.mu.Unlock()
	c, err := w.inner.Dial(ctx)
	if err != nil {
		return nil, err
	}
	return &writeLogConn{Conn: c, log: w}, nil
}

// seen returns the dials and the frames written so far.
func (w *writeLog) seen() (int, [][]byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dials, append([][]byte(nil), w.frames...)
}

type writeLogConn struct {
	client.Conn
	log *writeLog
}

func (c *writeLogConn) Write(ctx context.Context, frame []byte) error {
	err := c.Conn.Write(ctx, frame)
	c.log.mu.Lock()
	c.log.frames = append(c.log.frames, bytes.Clone(frame))
	c.log.mu.Unlock()
	return err
}

// closedAddr is a loopback address nothing listens on: a dial there fails
// at once.
func closedAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestFirstHello: the channel the page waits on before its first screen
// closes once the hello is on the wire, and also when there will be no
// hello for now (offline, a dial that fails), so a page never waits on it
// for nothing.
func TestFirstHello(t *testing.T) {
	srv := webtest.MustServer(t)
	ann := mustUser(t, srv, "ann")
	for _, tc := range []struct {
		name      string
		url       string
		offline   bool
		wantDials int
		wantHello bool
	}{
		{"online: the hello is written first", srv.WSURL, false, 1, true},
		{"offline: no dial", srv.WSURL, true, 0, false},
		{"the dial fails", "ws://" + closedAddr(t) + "/ws", false, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &writeLog{inner: &client.WebSocketTransport{URL: tc.url, Header: ann.header}}
			e := client.New(client.Config{Storage: client.NewMemoryStorage(), Transport: tr, Device: "test", Rand: func() float64 { return 0.05 }})
			if tc.offline {
				e.SetOnline(false)
			}
			select {
			case <-e.FirstHello():
				t.Fatal("FirstHello closed before the engine started")
			default:
			}
			e.Start(context.Background())
			t.Cleanup(e.Stop)
			select {
			case <-e.FirstHello():
			case <-time.After(webtest.Timeout):
				t.Fatalf("FirstHello still open after %s; state %+v", webtest.Timeout, e.State().Status)
			}
			dials, frames := tr.seen()
			if dials != tc.wantDials {
				t.Errorf("dials when FirstHello closed: %d, want %d", dials, tc.wantDials)
			}
			hello := len(frames) > 0 && bytes.Contains(frames[0], []byte(`"type":"`+shared.TypeHello+`"`))
			if hello != tc.wantHello || len(frames) > 1 {
				t.Errorf("frames written when FirstHello closed: %q, want a hello: %v", frames, tc.wantHello)
			}
		})
	}
}
