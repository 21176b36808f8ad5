package hub

import (
	"errors"
	"fmt"
	"time"
)

// run is the writer goroutine: take a batch, write it, repeat. It leaves
// when the queue is empty (the next envelope starts a new one), and when the
// client ends it closes the Conn. It is the only goroutine that touches the
// Conn: a new writer starts only after the last one decided to leave, under
// c.mu.
func (c *Client) run() {
	for {
		if err := c.flushKept(); err != nil {
			c.failed(err)
			c.finish()
			return
		}
		batch, st := c.take()
		if st == dead {
			// Whoever marked the client dead cancels ctx after its
			// bookkeeping; waiting for that keeps Done last.
			<-c.ctx.Done()
			c.finish()
			return
		}
		if batch != nil {
			err := c.write(batch.s)
			putItems(batch)
			if err != nil {
				c.failed(err)
				c.finish()
				return
			}
			continue
		}
		if st == draining {
			c.finish() // the last envelope is out
			return
		}
		if c.idle() {
			return
		}
	}
}

// Linger is how long, at least, a writer waits on an empty queue before it
// leaves; the sweep retires it between Linger and 1.5 Linger later. Half a
// second spans the gaps of any busy conversation (at a message or two a
// second a writer is started per message, which costs a microsecond), and
// lets the writers of a reconnect storm go soon after their replay: each
// holds a stack. No timer is made for it: a parked writer only notes when it
// began to wait, and the hub's one sweep (see Hub.sweep) wakes the ones that
// waited long enough to leave.
const Linger = 500 * time.Millisecond

// idle parks the writer on an empty queue until more arrives or the sweep
// retires it, and reports whether it retired. A client that asked for it
// (RetireWhenEmpty) has its writer leave at once instead.
func (c *Client) idle() bool {
	c.mu.Lock()
	if !c.emptyLiveLocked() {
		c.mu.Unlock()
		return false
	}
	if c.retireSoon || c.dc != nil {
		// A direct fan-out writes to an idle client itself, so a
		// lingering writer would save nothing, and it would keep the
		// fan-out from writing.
		c.retireSoon, c.writing = false, false
		c.mu.Unlock()
		return true
	}
	c.lingered = true
	c.lingerSince.Store(c.hub.now())
	c.mu.Unlock()
	// Exactly one wake comes per wait: whoever sends it (enqueue, death or
	// the sweep) clears lingered under c.mu first.
	<-c.wake
	c.mu.Lock()
	defer c.mu.Unlock()
	retire := c.retiring && c.emptyLiveLocked()
	c.retiring = false
	if retire {
		c.writing = false
	}
	return retire
}

// retireIfIdle is the sweep's part of idle: it wakes a writer that has
// waited since before cutoff on an empty queue, telling it to leave. If
// something is queued before the writer looks, it stays and writes it.
func (c *Client) retireIfIdle(cutoff int64) {
	if s := c.lingerSince.Load(); s == 0 || s > cutoff {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.lingered || c.lingerSince.Load() > cutoff { // woken and parked again meanwhile
		return
	}
	c.lingered, c.retiring = false, true
	c.lingerSince.Store(0)
	c.wake <- struct{}{} // never blocks: one wake per wait, see idle
}

// RetireWhenEmpty lets the writer leave as soon as the queue is empty
// instead of lingering: the caller knows no traffic of this connection's
// own follows soon, e.g. right after caught_up, so an idle connection holds
// no writer goroutine (and its stack) from then on.
func (c *Client) RetireWhenEmpty() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != live {
		return
	}
	if c.lingered {
		c.lingered, c.retiring = false, true
		c.lingerSince.Store(0)
		c.wake <- struct{}{}
		return
	}
	if c.writing {
		c.retireSoon = true
	}
}

func (c *Client) emptyLiveLocked() bool {
	return c.state == live && (c.q == nil || c.head == len(c.q.s))
}

// take removes the next frame's worth of envelopes from the queue and
// reports the client's state. When everything pending fits in one frame,
// the queue's array itself becomes the batch (no copy).
func (c *Client) take() (*items, state) {
	maxFrame := c.hub.opt.MaxFrameBytes
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == dead || c.q == nil {
		return nil, c.state
	}
	q := c.q.s
	if c.head == len(q) { // emptied by eviction
		putItems(c.q)
		c.q, c.head = nil, 0
		return nil, c.state
	}
	end, size := c.head, 0
	for ; end < len(q); end++ {
		n := len(q[end].b)
		if end > c.head {
			if size+1+n > maxFrame {
				break
			}
			size++
		}
		size += n
	}
	var batch *items
	if c.head == 0 && end == len(q) {
		batch, c.q = c.q, nil
	} else {
		batch = getItems()
		batch.s = append(batch.s, q[c.head:end]...)
		clear(q[c.head:end])
		c.head = end
		if c.head == len(q) {
			putItems(c.q)
			c.q, c.head = nil, 0
		}
	}
	c.bytes -= size - (len(batch.s) - 1)
	for _, it := range batch.s {
		if it.eph {
			c.neph--
		}
	}
	if c.space != nil {
		close(c.space)
		c.space = nil
	}
	return batch, c.state
}

// write sends one frame: a lone envelope as is (no copy), several joined by
// newlines in a pooled buffer.
func (c *Client) write(batch []item) error {
	h := c.hub
	var frame []byte
	var buf *[]byte
	if len(batch) == 1 {
		frame = batch[0].b
	} else {
		buf = h.frames.Get().(*[]byte)
		frame = (*buf)[:0]
		for i, it := range batch {
			if i > 0 {
				frame = append(frame, '\n')
			}
			frame = append(frame, it.b...)
		}
	}
	c.writeStart.Store(h.now())
	err := c.conn.Write(c.ctx, frame)
	c.writeStart.Store(0)
	if buf != nil {
		*buf = frame[:0]
		h.frames.Put(buf)
	}
	if err != nil {
		return err
	}
	h.delivered.Add(uint64(len(batch)))
	h.framesOut.Add(1)
	return nil
}

// failed handles a write error: the socket is unusable, so the client goes.
func (c *Client) failed(err error) {
	if c.kill(fmt.Errorf("hub: write: %w", err)) {
		c.hub.log.Debug("hub: write failed", "user", c.userID, "session", c.sessionID, "err", err)
	}
	c.hub.remove(c)
}

// finish closes the Conn and signals Done, after making sure the client is
// out of the index and of presence.
func (c *Client) finish() {
	c.mu.Lock()
	if c.state != dead {
		c.dieLocked(ErrKicked)
	}
	reason := closeReason(c.err)
	if c.limit != nil {
		c.limit.Stop()
	}
	c.mu.Unlock()
	c.cancel()
	c.hub.remove(c)
	c.conn.Close(reason)
	close(c.done)
	if c.tracked {
		c.hub.writers.Done()
	}
}

// closeReason turns a cause into a short close-frame reason.
func closeReason(err error) string {
	switch {
	case errors.Is(err, ErrSlow):
		return "too slow"
	case errors.Is(err, ErrWriteTimeout):
		return "write timeout"
	case errors.Is(err, ErrDetached):
		return "detached"
	case errors.Is(err, ErrKicked):
		return "disconnected by server"
	case errors.Is(err, ErrClosed):
		return "server shutting down"
	}
	return "write failed"
}
