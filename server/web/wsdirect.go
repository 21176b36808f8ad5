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

// attempt is one TryWrite: the frame, built in buf, and what write(2)
// said. Attempts are pooled with their function bound once, so neither a
// write nor an idle connection holds one.
type attempt struct {
	buf []byte
	n   int
	err error
	fn  func(fd uintptr) bool // a.write
}

// write is the attempt at the descriptor; it never asks the poller to wait.
func (a *attempt) write(fd uintptr) bool {
	a.n, a.err = syscall.Write(int(fd), a.buf)
	return true
}

var attempts = sync.Pool{New: func() any {
	a := &attempt{buf: make([]byte, 0, 1024)}
	a.fn = a.write
	return a
}}

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
// from being closed and reused meanwhile (BenchmarkFrameWrite measures it
// the same as writev of two vectors). When the socket takes only part
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
	a := attempts.Get().(*attempt)
	defer func() {
		a.buf, a.err = a.buf[:0], nil
		attempts.Put(a)
	}()
	a.buf = append(frameHeader(a.buf[:0], len(frame)), frame...)
	buf := a.buf
	err = w.sock.rc.Write(a.fn)
	n, werr := a.n, a.err
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

// Flush writes the rest of a frame TryWrite began, waiting for the socket.
func (d directConn) Flush() error {
	d.sock.mu.Lock()
	defer d.sock.mu.Unlock()
	return d.sock.flushLocked()
}
