//go:build js

package client

import (
	"context"
	"github.com/coder/websocket"
)

// dialWebSocket ignores header: the browser sends the session cookie itself
// and a page cannot set handshake headers.
func dialWebSocket(ctx context.Context, url string, _ map[string][]string) (*websocket.Conn, error) {
	c, _, err := websocket.Dial(ctx, url, nil)
	return c, err
}
