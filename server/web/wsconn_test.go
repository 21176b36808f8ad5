package web

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// echoServer accepts WebSockets the way handleWebSocket does (small
// buffers, frames written by wsConn) and answers every text frame with
// itself.
func echoServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj := &smallHijack{ResponseWriter: w}
		ws, err := websocket.Accept(hj, r, nil)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		ws.SetReadLimit(1 << 20)
		conn := newWSConn(ws, hj.sock)
		go func() {
			defer conn.Close("")
			for {
				_, b, err := ws.Read(context.Background())
				if err != nil {
					return
				}
				if err := conn.Write(context.Background(), b); err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
		}()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Frames of every length class (7-bit, 16-bit, 64-bit) go both ways
// through the small buffers intact, and pings answered by coder/websocket
// meanwhile do not break the framing of the frames written here.
func TestWSConnFrames(t *testing.T) {
	srv := echoServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	type msg struct {
		typ websocket.MessageType
		b   []byte
		err error
	}
	got := make(chan msg, 1)
	go func() { // one reader, which also takes the pongs
		for {
			typ, b, err := ws.Read(ctx)
			got <- msg{typ, b, err}
			if err != nil {
				return
			}
		}
	}()
	for _, n := range []int{0, 1, 125, 126, 600, 65535, 65536, 200_000} {
		want := bytes.Repeat([]byte{'a' + byte(n%26)}, n)
		pinged := make(chan error, 1)
		go func() { pinged <- ws.Ping(ctx) }() // answered by the server's reader, amid the echoes
		if err := ws.Write(ctx, websocket.MessageText, want); err != nil {
			t.Fatalf("send %d bytes: %v", n, err)
		}
		m := <-got
		if m.err != nil || m.typ != websocket.MessageText || !bytes.Equal(m.b, want) {
			t.Fatalf("echo of %d bytes: type %v, %d bytes, err %v", n, m.typ, len(m.b), m.err)
		}
		if err := <-pinged; err != nil {
			t.Fatalf("ping: %v", err)
		}
	}
}

// A client that sends its first frame in the same packet as the upgrade
// request has it read by net/http before the hijack: it must still reach
// the reader, first and whole.
func TestWSConnFrameWithUpgrade(t *testing.T) {
	srv := echoServer(t)
	nc, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	payload := []byte(`{"type":"hello"}`)
	req := fmt.Sprintf("GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", srv.Listener.Addr())
	frame := []byte{0x81, 0x80 | byte(len(payload)), 1, 2, 3, 4} // masked text frame
	for i, b := range payload {
		frame = append(frame, b^[]byte{1, 2, 3, 4}[i%4])
	}
	if _, err := nc.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	var hdr [2]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		t.Fatalf("read echo: %v", err)
	}
	got := make([]byte, hdr[1]&0x7f)
	if _, err := io.ReadFull(br, got); err != nil || hdr[0] != 0x81 || !bytes.Equal(got, payload) {
		t.Fatalf("echo: header %x, payload %q, err %v", hdr, got, err)
	}
}
