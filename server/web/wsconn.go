package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"

	"github.com/coder/websocket"
)

// Buffer sizes for a WebSocket once upgraded. coder/websocket reads and
// writes through the bufio pair the HTTP hijack hands it, and net/http's are
// 4 KiB each, held for as long as the connection lives: 8 KiB of an idle
// connection's 28. Client frames are small (a send is a few hundred bytes;
// a larger one is read straight into its message buffer, bypassing this
// one), and coder/websocket only writes control frames (at most 139 bytes)
// through its writer: the hub's frames go out through wsConn.Write.
const (
	wsReadBuffer  = 512
	wsWriteBuffer = 256
)

// smallHijack hands coder/websocket's Accept a socket with small buffers
// instead of net/http's (see wsReadBuffer), and keeps the socket so that
// wsConn can write frames to it directly.
type smallHijack struct {
	http.ResponseWriter
	sock *sock
	br   *bufio.Reader
}

// Hijack takes the connection from net/http. Bytes net/http had already
// read past the request (a client may send its first frame at once) move
// to the new reader's buffer.
func (h *smallHijack) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("web: hijack: %w", err)
	}
	h.sock = &sock{Conn: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		h.sock.rc, _ = sc.SyscallConn()
	}
	var src io.Reader = h.sock
	size, n := wsReadBuffer, brw.Reader.Buffered()
	if n > 0 {
		// The bytes must end up in the new reader's buffer, not behind
		// it: Accept takes what is buffered and puts the socket itself
		// behind that.
		early, _ := brw.Reader.Peek(n)
		src = io.MultiReader(bytes.NewReader(bytes.Clone(early)), h.sock)
		size = max(size, n)
	}
	h.br = bufio.NewReaderSize(src, size)
	if _, err := h.br.Peek(n); err != nil {
		return nil, nil, fmt.Errorf("web: hijack: keep buffered bytes: %w", err)
	}
	return h.sock, bufio.NewReadWriter(h.br, bufio.NewWriterSize(h.sock, wsWriteBuffer)), nil
}

// sock is the upgraded connection. Its lock keeps each frame whole on the
// wire: coder/websocket writes its control frames (pong, close) with one
// Write each, wsConn its data frames with one writev each (or one write,
// see TryWrite); the rest of a frame a TryWrite began goes first.
type sock struct {
	net.Conn
	rc   syscall.RawConn // for TryWrite; nil when the socket has no descriptor
	mu   sync.Mutex
	rest []byte // the unwritten end of a frame TryWrite began
}

func (s *sock) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.flushLocked(); err != nil {
		return 0, err
	}
	return s.Conn.Write(p)
}

// flushLocked writes the rest of a frame TryWrite began, waiting for the
// socket.
func (s *sock) flushLocked() error {
	if len(s.rest) == 0 {
		return nil
	}
	_, err := s.Conn.Write(s.rest)
	s.rest = nil
	if err != nil {
		return fmt.Errorf("web: write rest of frame: %w", err)
	}
	return nil
}

// wsConn adapts an accepted WebSocket to the hub's writer seam. Reading
// and the close handshake stay coder/websocket's; data frames are written
// here, straight to the socket: coder/websocket's Write costs a
// context.AfterFunc and a bufio copy per frame, and its buffer per
// connection. It is a hub.Aborter: the hub closes the socket to abort a
// stuck write, so a write needs no timer of its own.
type wsConn struct {
	ws   *websocket.Conn
	sock *sock
	hdr  [10]byte
	arr  [2][]byte
	iov  net.Buffers // over arr; a field, so a write allocates nothing
}

// newWSConn adapts an accepted WebSocket and the socket under it.
func newWSConn(ws *websocket.Conn, s *sock) *wsConn {
	return &wsConn{ws: ws, sock: s}
}

// Write sends frame as one unmasked, final text frame (RFC 6455 §5.2):
// header and payload in one writev, without a copy. The hub's writer calls
// it, and the reader when it fails the connection or refuses it before the
// hub has it; the socket's lock keeps their frames and coder/websocket's
// control frames whole, and guards the header and vector kept here.
func (w *wsConn) Write(_ context.Context, frame []byte) error {
	w.sock.mu.Lock()
	defer w.sock.mu.Unlock()
	if err := w.sock.flushLocked(); err != nil {
		return err
	}
	w.arr = [2][]byte{frameHeader(w.hdr[:0], len(frame)), frame}
	w.iov = w.arr[:]
	_, err := w.iov.WriteTo(w.sock.Conn)
	w.arr, w.iov = [2][]byte{}, nil
	if err != nil {
		return fmt.Errorf("web: write frame: %w", err)
	}
	return nil
}

// frameHeader appends the header of an unmasked, final text frame of n
// bytes (RFC 6455 §5.2) to h.
func frameHeader(h []byte, n int) []byte {
	h = append(h, 0x80|0x1) // FIN, text
	switch {
	case n < 126:
		h = append(h, byte(n))
	case n <= 0xffff:
		h = append(h, 126)
		h = binary.BigEndian.AppendUint16(h, uint16(n))
	default:
		h = append(h, 127)
		h = binary.BigEndian.AppendUint64(h, uint64(n))
	}
	return h
}

// Close drops the connection without the closing handshake: the hub closes
// slow or revoked clients, and waiting on them is exactly what it must not do.
func (w *wsConn) Close(reason string) { _ = w.ws.CloseNow() }

// Abort closes the socket, which ends a blocked Write at once.
func (w *wsConn) Abort() { _ = w.ws.CloseNow() }
