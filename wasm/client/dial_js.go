//go:build js

package client

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
)

// dialWebSocket ignores header: the browser sends the session cookie itself
// and a page cannot set handshake headers.
func dialWebSocket(ctx context.Context, url string, _ http.Header) (*websocket.Conn, error) {
	c, _, err := websocket.Dial(ctx, url, nil)
	return c, err
}
