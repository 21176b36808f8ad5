//go:build !js

package client

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
)

func dialWebSocket(ctx context.Context, url string, header map[string][]string) (*websocket.Conn, error) {
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header(header)})
	return c, err
}
