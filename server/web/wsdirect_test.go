package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
)

// MustSockPair returns the two ends of a loopback TCP connection: the
// server's as a sock with a small send buffer, and the client's.
func MustSockPair(tb testing.TB) (*sock, net.Conn) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	nc, err := ln.Accept()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { client.Close(); nc.Close() })
	if err := nc.(*net.TCPConn).SetWriteBuffer(4096); err != nil {
		tb.Fatal(err)
	}
	if err := client.(*net.TCPConn).SetReadBuffer(4096); err != nil {
		tb.Fatal(err)
	}
	s := &sock{Conn: nc}
	if s.rc, err = nc.(syscall.Conn).SyscallConn(); err != nil {
		tb.Fatal(err)
	}
	return s, client
}

// readFrames parses n unmasked text frames from r.
func readFrames(r io.Reader, n int) ([][]byte, error) {
	br := bufio.NewReader(r)
	var out [][]byte
	for range n {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return out, err
		}
		if h[0] != 0x81 {
			return out, fmt.Errorf("frame %d: first byte %#x, want 0x81", len(out), h[0])
		}
		size := uint64(h[1])
		switch size {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return out, err
			}
			size = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return out, err
			}
			size = binary.BigEndian.Uint64(b[:])
		}
		p := make([]byte, size)
		if _, err := io.ReadFull(br, p); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// TestTryWrite fills a socket nobody reads with TryWrite until it takes
// only part of a frame, or nothing: what went, the rest kept and a Write
// after it reach the client whole and in order.
func TestTryWrite(t *testing.T) {
	s, client := MustSockPair(t)
	d := directConn{newWSConn(nil, s)}
	var sent [][]byte
	for i := 0; ; i++ {
		if i > 10_000 {
			t.Fatal("the socket never filled")
		}
		frame := bytes.Repeat([]byte{byte('a' + i%26)}, 3000+i%7)
		done, kept, err := d.TryWrite(frame)
		if err != nil {
			t.Fatal(err)
		}
		if done || kept {
			sent = append(sent, frame)
		}
		if !done {
			t.Logf("after %d frames: kept %v, %d bytes left", len(sent), kept, len(s.rest))
			if kept && len(s.rest) == 0 {
				t.Fatal("kept, but no rest")
			}
			if !kept && len(s.rest) != 0 {
				t.Fatal("nothing written, yet a rest")
			}
			break
		}
	}
	last := []byte("the frame after")
	sent = append(sent, last)
	got := make(chan [][]byte, 1)
	go func() {
		frames, err := readFrames(client, len(sent))
		if err != nil {
			t.Error(err)
		}
		got <- frames
	}()
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(context.Background(), last); err != nil {
		t.Fatal(err)
	}
	frames := <-got
	if len(frames) != len(sent) {
		t.Fatalf("got %d frames, want %d", len(frames), len(sent))
	}
	for i := range sent {
		if !bytes.Equal(frames[i], sent[i]) {
			t.Fatalf("frame %d differs (%d bytes, want %d)", i, len(frames[i]), len(sent[i]))
		}
	}
}
