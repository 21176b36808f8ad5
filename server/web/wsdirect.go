package web

import (
	"errors"
	"fmt"
	"natter/server/hub"
	"sync"
	"syscall"
)

// directMax is the largest frame TryWrite takes: the fan-out's frames are
// single envelopes of a few hundred bytes; anything larger is the writer's.
const directMax = 16 << 10

// directBufs holds the buffers TryWrite builds a frame in.
var directBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// directConn is a wsConn over a socket with a descriptor (plain TCP, not
// TLS), which the hub's fan-out may write to itself.
type directConn struct{ *wsConn }

// hubConn is what the hub gets for w: a directConn when the socket allows.
func hubConn(w *wsConn) hub.Conn {
	if w.sock.rc != nil {
		return directConn{w}
	}
	return w
}

// TryWrite writes frame as one text frame without waiting for the socket
// (hub.DirectConn): header and payload copied into one buffer and handed
// to one write(2) through the socket's RawConn, which keeps the descriptor
// from being closed and reused meanwhile. A copy of a few hundred bytes
// costs less than writev's second vector. When the socket takes only part
// of the frame, the rest is kept and goes ahead of any later write.
func (d directConn) TryWrite(frame []byte) (done, kept bool, err error) {
	w := d.wsConn
	if len(frame) > directMax {
		return false, false, nil
	}
	w.sock.mu.Lock()
	defer w.sock.mu.Unlock()
	if len(w.sock.rest) > 0 {
		return false, false, nil
	}
	bp := directBufs.Get().(*[]byte)
	buf := append(frameHeader((*bp)[:0], len(frame)), frame...)
	w.out, w.n, w.werr = buf, 0, nil
	err = w.sock.rc.Write(w.try)
	n, werr := w.n, w.werr
	w.out = nil
	defer func() {
		*bp = buf[:0]
		directBufs.Put(bp)
	}()
	switch {
	case err != nil:
		return false, false, fmt.Errorf("web: write frame: %w", err)
	case werr != nil && !errors.Is(werr, syscall.EAGAIN) && !errors.Is(werr, syscall.EINTR):
		return false, false, fmt.Errorf("web: write frame: %w", werr)
	case n == len(buf):
		return true, false, nil
	case n <= 0:
		return false, false, nil
	}
	w.sock.rest = append([]byte(nil), buf[n:]...)
	return false, true, nil
}

// tryWrite is TryWrite's one attempt at the descriptor; it never asks the
// poller to wait. It is a method value made once per connection, so a
// write allocates no closure.
func (w *wsConn) tryWrite(fd uintptr) bool {
	w.n, w.werr = syscall.Write(int(fd), w.out)
	return true
}

// Flush writes the rest of a frame TryWrite began, waiting for the socket.
func (d directConn) Flush() error {
	d.sock.mu.Lock()
	defer d.sock.mu.Unlock()
	return d.sock.flushLocked()
}
