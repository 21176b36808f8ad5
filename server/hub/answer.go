package hub

import "sync/atomic"

// Lead is a connection's own answer that rides ahead of an event to that
// one connection: the ack of a message.send travels with the message's
// echo, so the sender gets both in one frame (one write) instead of two.
//
// Answers of a connection must leave in the order its actions came, so a
// Lead is numbered: it is queued only when it is the connection's next
// answer (every earlier one queued already, see Client.SendAnswer). When it
// is not, or its client is not among the event's local recipients, the
// event goes out alone and the caller sends the answer itself, in order,
// with SendAnswer, which skips it if the Lead went after all.
type Lead struct {
	// Client is the connection the answer is for.
	Client *Client
	// N is the answer's place among the connection's numbered answers.
	N uint64
	// Env is the encoded answer.
	Env []byte

	queued atomic.Bool
}

// Queued reports whether the fan-out queued the answer ahead of its event.
func (l *Lead) Queued() bool { return l.queued.Load() }

// SendAnswer queues env as the connection's answer number n, unless a Lead
// with that number was queued already; it reports whether it queued env.
// The caller numbers its answers from 0 and sends them in that order, from
// one goroutine; a durable answer that does not fit disconnects the client,
// as Send does.
func (c *Client) SendAnswer(n uint64, env []byte) bool {
	c.mu.Lock()
	if c.answered > n {
		c.mu.Unlock()
		return false
	}
	c.answered = n + 1
	c.mu.Unlock()
	return c.Send(env)
}

// Answered reports how many numbered answers are queued (or were dropped
// with the client): answer n is out once it is above n.
func (c *Client) Answered() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answered
}

// enqueueLead is enqueue for the event carrying l: l's answer goes first,
// under the same lock, when it is the connection's next answer.
func (c *Client) enqueueLead(l *Lead, b []byte) (ok, overflow bool) {
	c.mu.Lock()
	if c.state != live || c.answered != l.N {
		c.mu.Unlock()
		return c.enqueue(b, false)
	}
	limit := c.hub.opt.QueueBytes
	if c.bytes > 0 && c.bytes+len(l.Env)+len(b) > limit {
		if c.neph > 0 {
			c.evictEphemeralLocked()
		}
		if c.bytes > 0 && c.bytes+len(l.Env)+len(b) > limit {
			c.dieLocked(ErrSlow)
			c.mu.Unlock()
			return false, true
		}
	}
	c.answered = l.N + 1
	l.queued.Store(true)
	c.pushLocked(l.Env, false)
	c.pushLocked(b, false)
	c.mu.Unlock()
	return true, false
}
