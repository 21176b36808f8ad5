package client

import (
	"context"
	"fmt"

	"github.com/coder/websocket"
)

// Conn is one open connection to the server carrying text frames. Read is
// called from one goroutine only; Write may be called concurrently with Read.
type Conn interface {
	Read(ctx context.Context) ([]byte, error)
	Write(ctx context.Context, frame []byte) error
	Close() error
}

// Transport opens connections. Tests wrap it to cut connections at chosen
// moments; the browser and the native tests use WebSocketTransport.
type Transport interface {
	Dial(ctx context.Context) (Conn, error)
}

// ReadLimit caps one inbound frame. Server frames batch several envelopes,
// so it is well above shared.MaxFrameBytes, which caps client frames.
const ReadLimit = 8 << 20

// WebSocketTransport dials the server's WebSocket endpoint with
// coder/websocket. Natively Header is sent with the handshake (tests put the
// session Cookie there); in the browser the browser sends the cookies itself
// and Header is ignored.
type WebSocketTransport struct {
	URL string
	// Header is an http.Header; its plain map type keeps net/http out of
	// the wasm build's imports (see api.go).
	Header map[string][]string
}

// Dial opens a WebSocket to t.URL.
func (t *WebSocketTransport) Dial(ctx context.Context) (Conn, error) {
	c, err := dialWebSocket(ctx, t.URL, t.Header)
	if err != nil {
		return nil, fmt.Errorf("client: dial %s: %w", t.URL, err)
	}
	c.SetReadLimit(ReadLimit)
	return &wsConn{c: c}, nil
}

type wsConn struct{ c *websocket.Conn }

func (w *wsConn) Read(ctx context.Context) ([]byte, error) {
	_, b, err := w.c.Read(ctx)
	return b, err
}

func (w *wsConn) Write(ctx context.Context, frame []byte) error {
	return w.c.Write(ctx, websocket.MessageText, frame)
}

// Close drops the connection at once: a half-open connection would make a
// close handshake wait for a peer that is not there.
func (w *wsConn) Close() error { return w.c.CloseNow() }
