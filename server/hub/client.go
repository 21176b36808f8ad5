package hub

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Client is one live connection. Its writer goroutine owns the Conn while
// it runs; everyone else only appends to its queue, which never blocks on
// the socket. While the client is idle (no writer, nothing queued) the
// fan-out may write to a DirectConn itself, without blocking (direct.go).
//
// The queue is a mutex-guarded slice rather than a big buffered channel: it
// can be bounded in bytes, batched, have ephemeral items evicted from the
// middle, and it holds no memory while idle; the writer goroutine, too,
// exists only while there is something to write. The queue's
// backing arrays come from a pool and usually travel whole to the writer as
// the next batch, then back to the pool, so steady traffic allocates nothing.
type Client struct {
	hub       *Hub
	userID    int64
	sessionID int64
	conn      Conn
	dc        DirectConn      // conn, when the fan-out may write to it itself (direct.go)
	ctx       context.Context // cancelled when the client dies, aborting a blocked write
	cancel    context.CancelFunc
	done      chan struct{} // closed when the writer has closed the Conn

	writeStart  atomic.Int64 // hub clock when the current write began, 0 when not writing
	lingerSince atomic.Int64 // hub clock when the writer began to wait on an empty queue, 0 when not waiting
	gone        atomic.Bool  // removed from the hub's index; presence must not take it back
	tracked     bool         // counted in hub.writers

	wake chan struct{} // one slot: wakes a writer lingering on an empty queue; see idle

	mu       sync.Mutex
	writing  bool // a writer goroutine is running; idle clients have none
	held     bool // attached with AttachHeld and not yet Released: no writer yet
	direct   bool // a fan-out is writing to the socket itself; no writer may start
	flush    bool // the socket holds part of a direct frame: the writer flushes it first
	lingered bool // the writer waits on wake for more before leaving
	retiring bool // the sweep woke the lingering writer to leave
	// retireSoon makes the running writer leave at its next empty queue
	// instead of lingering (RetireWhenEmpty).
	retireSoon bool
	q          *items // pending envelopes are q.s[head:]; nil while empty
	head       int
	bytes      int // sum of len over pending envelopes
	neph       int // pending ephemeral envelopes
	state      state
	err        error
	answered   uint64        // numbered answers queued so far (answer.go)
	space      chan struct{} // made by SendWait, closed by the writer when it frees space
	limit      *time.Timer   // bounds draining: kills the client if the last envelope takes too long

	viewing *conversation // guarded by hub.presence.mu
}

type item struct {
	b   []byte // shared between all recipients: never modified
	eph bool
}

// items is a pooled backing array for a queue or a batch.
type items struct{ s []item }

// Pooled arrays start at poolCap items (1 KiB); grown ones up to
// poolMaxCap are pooled too, larger ones are left to the collector.
const (
	poolCap    = 32
	poolMaxCap = 1024
)

var itemPool = sync.Pool{New: func() any { return &items{s: make([]item, 0, poolCap)} }}

func getItems() *items { return itemPool.Get().(*items) }

// putItems returns an array to the pool, dropping its references.
func putItems(it *items) {
	clear(it.s)
	it.s = it.s[:0]
	if cap(it.s) <= poolMaxCap {
		itemPool.Put(it)
	}
}

type state uint8

const (
	live     state = iota
	draining       // writing a last envelope (a fatal error event), then closing
	dead
)

func newClient(h *Hub, userID, sessionID int64, conn Conn) *Client {
	c := &Client{
		hub:       h,
		userID:    userID,
		sessionID: sessionID,
		conn:      conn,
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	c.dc, _ = conn.(DirectConn)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// UserID returns the authenticated user of the connection.
func (c *Client) UserID() int64 { return c.userID }

// SessionID returns the session the connection was authenticated with.
func (c *Client) SessionID() int64 { return c.sessionID }

// Done is closed once the client is disconnected and its writer has closed
// the Conn. The web layer's reader stops then, and its handler should wait
// for it before returning so the last frames are not cut off.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err reports why the client was disconnected (ErrSlow, ErrWriteTimeout,
// ErrDetached, ErrKicked, ErrClosed or a wrapped write error), or nil while it
// is live.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Send queues a durable or direct envelope (ack, error, replay) for this
// client only. It never blocks. It returns false when the client is gone or
// the envelope does not fit under QueueBytes even after evicting queued
// ephemeral envelopes; in the latter case the client is disconnected, so a
// durable envelope is never dropped silently.
func (c *Client) Send(env []byte) bool {
	if c.dc != nil && c.tryDirect(env, 1) {
		return true
	}
	ok, overflow := c.enqueue(env, false)
	if overflow {
		c.hub.slowed(c)
	}
	return ok
}

// SendEphemeral queues an envelope that may be lost: typing, presence, read
// positions. It is dropped once the queue is half full, and queued ephemeral
// envelopes are evicted first when durable ones need the room, so it never
// delays or displaces durable traffic by more than its own small share.
func (c *Client) SendEphemeral(env []byte) {
	c.enqueue(env, true)
}

// SendWait queues a durable envelope, first waiting (up to ctx) until the
// queue is at most half full. It is for the connection's own bulk traffic,
// the replay after hello, which could otherwise outgrow the bound on every
// reconnect; the free half stays for live fan-out. Never call it from
// fan-out. It fails with the client's Err once the client is gone.
func (c *Client) SendWait(ctx context.Context, env []byte) error {
	limit := c.hub.opt.QueueBytes / 2
	for {
		c.mu.Lock()
		if c.state != live {
			err := c.err
			c.mu.Unlock()
			return err
		}
		if c.bytes == 0 || c.bytes+len(env) <= limit {
			c.pushLocked(env, false)
			c.mu.Unlock()
			return nil
		}
		if c.space == nil {
			c.space = make(chan struct{})
		}
		space := c.space
		c.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return fmt.Errorf("hub: wait for queue space: %w", ctx.Err())
		}
	}
}

// enqueue appends an envelope. ok reports that it was queued; overflow that
// this call found the client over its bound and marked it dead, which the
// caller completes with hub.slowed outside any hub lock.
func (c *Client) enqueue(b []byte, eph bool) (ok, overflow bool) {
	limit := c.hub.opt.QueueBytes
	c.mu.Lock()
	if c.state != live {
		c.mu.Unlock()
		return false, false
	}
	switch {
	case eph:
		if c.bytes+len(b) > limit/2 {
			c.mu.Unlock()
			c.hub.droppedEph.Add(1)
			return false, false
		}
	case c.bytes > 0 && c.bytes+len(b) > limit:
		if c.neph > 0 {
			c.evictEphemeralLocked()
		}
		if c.bytes > 0 && c.bytes+len(b) > limit {
			c.dieLocked(ErrSlow)
			c.mu.Unlock()
			return false, true
		}
	}
	c.pushLocked(b, eph)
	c.mu.Unlock()
	return true, false
}

// pushLocked appends to the queue and reports whether it was empty, in which
// case it starts a writer.
func (c *Client) pushLocked(b []byte, eph bool) (wasEmpty bool) {
	if c.q == nil {
		c.q, c.head = getItems(), 0
	}
	q := c.q.s
	wasEmpty = c.head == len(q)
	if len(q) == cap(q) && c.head > 0 && c.head >= len(q)/2 {
		// Reuse the consumed front instead of growing: append would copy it.
		n := copy(q, q[c.head:])
		clear(q[n:])
		q = q[:n]
		c.head = 0
	}
	c.q.s = append(q, item{b: b, eph: eph})
	c.bytes += len(b)
	if eph {
		c.neph++
	}
	if wasEmpty {
		c.wakeLocked()
	}
	return wasEmpty
}

// wakeLocked makes sure a writer will look at the queue: it starts one when
// none is running and wakes one that lingers on an empty queue. A writer
// leaves after Linger without traffic, so idle connections keep no writer
// goroutine, while busy ones do not pay a goroutine start (and its stack
// growth) per message.
func (c *Client) wakeLocked() {
	if c.held && c.state == live {
		return // Release starts the writer
	}
	if c.direct {
		return // tryDirect wakes it when its write is done
	}
	switch {
	case !c.writing:
		c.writing = true
		go c.run()
	case c.lingered:
		c.lingered = false
		c.lingerSince.Store(0)
		c.wake <- struct{}{} // never blocks: one wake per wait, see idle
	}
}

// evictEphemeralLocked drops every queued ephemeral envelope, keeping the
// order of the rest.
func (c *Client) evictEphemeralLocked() {
	q := c.q.s
	kept := q[:c.head]
	for _, it := range q[c.head:] {
		if it.eph {
			c.bytes -= len(it.b)
			continue
		}
		kept = append(kept, it)
	}
	clear(q[len(kept):])
	c.hub.droppedEph.Add(uint64(len(q) - len(kept)))
	c.q.s = kept
	c.neph = 0
}

// dieLocked marks the client dead and drops its queue. The first cause wins.
func (c *Client) dieLocked(cause error) {
	c.state = dead
	c.held = false
	if c.err == nil {
		c.err = cause
	}
	c.dropQueueLocked()
	if c.space != nil {
		close(c.space)
		c.space = nil
	}
	c.wakeLocked() // a writer must run to close the Conn and signal Done
}

func (c *Client) dropQueueLocked() {
	if c.q != nil {
		putItems(c.q)
	}
	c.q, c.head, c.bytes, c.neph = nil, 0, 0, 0
}

// kill marks the client dead and aborts its writer. It reports whether this
// call did it. Slow-client accounting happens before the cancel, so it is
// done by the time Done is closed.
func (c *Client) kill(cause error) bool {
	c.mu.Lock()
	if c.state == dead {
		c.mu.Unlock()
		return false
	}
	c.dieLocked(cause)
	c.mu.Unlock()
	if cause == ErrSlow || cause == ErrWriteTimeout {
		c.hub.countSlow(c, cause)
	}
	c.abort()
	return true
}

// abort ends a write in flight: it cancels the client's context and, for
// a Conn that does not watch it, aborts the Conn.
func (c *Client) abort() {
	c.cancel()
	if a, ok := c.conn.(Aborter); ok {
		a.Abort()
	}
}

// closeWith replaces the queue with env and lets the writer send it before
// closing; with a nil env it just kills.
func (c *Client) closeWith(env []byte, cause error) {
	if env == nil {
		c.kill(cause)
		return
	}
	c.mu.Lock()
	if c.state != live {
		c.mu.Unlock()
		return
	}
	c.dropQueueLocked()
	c.held = false
	c.pushLocked(env, false)
	c.state = draining
	c.err = cause
	if c.space != nil {
		close(c.space)
		c.space = nil
	}
	// The client is about to leave the index, where the write-timeout sweep
	// looks, so it gets its own deadline for the write in flight and the last one.
	c.limit = time.AfterFunc(c.hub.opt.WriteTimeout, func() { c.hub.timedOut(c) })
	c.mu.Unlock()
}

// Release lets the writer of a client attached with AttachHeld start, with
// first (in their order) ahead of everything queued while it was held.
func (c *Client) Release(first ...[]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != live {
		return
	}
	if !c.held {
		for _, b := range first {
			c.pushLocked(b, false)
		}
		return
	}
	c.held = false
	if len(first) > 0 {
		q := getItems()
		for _, b := range first {
			q.s = append(q.s, item{b: b})
			c.bytes += len(b)
		}
		if c.q != nil {
			q.s = append(q.s, c.q.s[c.head:]...)
			putItems(c.q)
		}
		c.q, c.head = q, 0
	}
	if c.q != nil && c.head < len(c.q.s) {
		c.wakeLocked()
	}
}

func (c *Client) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
