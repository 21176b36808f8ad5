package web

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkFrameWrite is the hub writer's cost per frame over a real
// loopback socket, both ways in one run: through coder/websocket's Write
// with the client's cancellable context (as before: an AfterFunc and a
// bufio copy per write, through net/http's 4 KiB buffer), and through
// wsConn.Write (one writev, nothing allocated), and through TryWrite (one
// write of a copy). The peer reads and discards raw bytes.
func BenchmarkFrameWrite(b *testing.B) {
	frame := []byte(`{"v":1,"type":"message.created","seq":12345,"data":{"id":"01a21d86-e1e0-756e-bf14-23026fbcf534","conversation_id":"01a21d86-e1e0-756e-bf14-23026fbcf535","sender_id":2,"body":"` + strings.Repeat("x", 120) + `"}}`)
	for _, tt := range []struct {
		name  string
		small bool // our hijack with small buffers, as handleWebSocket does
		write func(ctx context.Context, ws *websocket.Conn, c *wsConn) error
	}{
		{"coder-websocket", false, func(ctx context.Context, ws *websocket.Conn, _ *wsConn) error {
			return ws.Write(ctx, websocket.MessageText, frame)
		}},
		{"writev", true, func(ctx context.Context, _ *websocket.Conn, c *wsConn) error {
			return c.Write(ctx, frame)
		}},
		// The fan-out's direct write: header and payload copied into one
		// buffer, one write(2) (the peer keeps up, so it always goes).
		{"trywrite", true, func(ctx context.Context, _ *websocket.Conn, c *wsConn) error {
			done, _, err := directConn{c}.TryWrite(frame)
			if err == nil && !done {
				return c.Write(ctx, frame) // the peer fell behind: as the hub's writer would
			}
			return err
		}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			ready := make(chan struct{})
			var ws *websocket.Conn
			var conn *wsConn
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hj := &smallHijack{ResponseWriter: w}
				var rw http.ResponseWriter = w // net/http's 4 KiB buffers, as before
				if tt.small {
					rw = hj
				}
				var err error
				if ws, err = websocket.Accept(rw, r, nil); err != nil {
					b.Error(err)
					return
				}
				conn = newWSConn(ws, hj.sock)
				close(ready)
			}))
			defer srv.Close()
			nc, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
			if _, err := io.WriteString(nc, req); err != nil {
				b.Fatal(err)
			}
			go io.Copy(io.Discard, nc) //nolint:errcheck // ends with the connection
			<-ready
			defer ws.CloseNow()
			ctx, cancel := context.WithCancel(context.Background()) // the hub client's context
			defer cancel()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU(b)
			for range b.N {
				if err := tt.write(ctx, ws, conn); err != nil {
					b.Fatal(err)
				}
			}
			// CPU, not wall time, is what a busy machine leaves steady.
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the CPU time this process has used, user and system, in
// nanoseconds (the discarding peer included, the same for both ways).
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return (time.Duration(ru.Utime.Nano()) + time.Duration(ru.Stime.Nano())).Nanoseconds()
}
