package client

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeDialer hands out numbered connections, or errs while err is set.
type fakeDialer struct {
	mu     sync.Mutex
	dials  int
	err    error
	conns  []*fakeConn
	done   chan struct{} // receives after each dial
	closes chan int      // when set, receives each connection's number as it is closed
}

func (d *fakeDialer) Dial(context.Context) (Conn, error) {
	d.mu.Lock()
	defer func() { d.done <- struct{}{} }()
	defer d.mu.Unlock()
	d.dials++
	if d.err != nil {
		return nil, d.err
	}
	c := &fakeConn{n: d.dials, closes: d.closes}
	d.conns = append(d.conns, c)
	return c, nil
}

type fakeConn struct {
	n      int
	closed bool
	closes chan int
}

func (c *fakeConn) Read(context.Context) ([]byte, error) { return nil, errors.New("fake") }
func (c *fakeConn) Write(context.Context, []byte) error  { return nil }
func (c *fakeConn) Close() error {
	c.closed = true
	if c.closes != nil {
		c.closes <- c.n
	}
	return nil
}

func TestPredialHandOver(t *testing.T) {
	for _, tc := range []struct {
		name     string
		earlyErr error
		age      time.Duration
		wantConn int // which dial's connection the first Dial returns
		closed   bool
	}{
		{name: "fresh early connection", wantConn: 1},
		{name: "stale early connection", age: PredialFresh + time.Second, wantConn: 2, closed: true},
		{name: "failed early dial", earlyErr: errors.New("refused"), wantConn: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &fakeDialer{err: tc.earlyErr, done: make(chan struct{}, 4)}
			var mu sync.Mutex
			now := time.Now()
			p := predialWith(context.Background(), d, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
			<-d.done
			d.mu.Lock()
			d.err = nil
			d.mu.Unlock()
			mu.Lock()
			now = now.Add(tc.age)
			mu.Unlock()
			c, err := p.Dial(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := c.(*fakeConn).n; got != tc.wantConn {
				t.Errorf("first Dial gave connection %d, want %d", got, tc.wantConn)
			}
			if tc.closed && !d.conns[0].closed {
				t.Error("the stale early connection was left open")
			}
			c, err = p.Dial(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := c.(*fakeConn).n; got != tc.wantConn+1 {
				t.Errorf("second Dial gave connection %d, want a new one (%d)", got, tc.wantConn+1)
			}
		})
	}
}

// After Drop (a sign-in since the early dial), the first Dial dials anew
// and the early connection, opened with the old session, is closed.
func TestPredialDropped(t *testing.T) {
	d := &fakeDialer{done: make(chan struct{}, 4), closes: make(chan int, 4)}
	p := predialWith(context.Background(), d, time.Now)
	p.Drop()
	<-d.done
	c, err := p.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := c.(*fakeConn).n; got != 2 {
		t.Errorf("first Dial after Drop gave connection %d, want a new one (2)", got)
	}
	if n := <-d.closes; n != 1 {
		t.Errorf("connection %d closed, want the dropped early one (1)", n)
	}
}
