package hub

import "time"

// The hub's watchdog: one ticker for every client cuts off writes that hang
// and retires idle writers, and the paths that drop a slow client.

// slowed completes cutting off a client that enqueue found over its bound
// (already marked dead under its lock, so nothing more gets queued).
func (h *Hub) slowed(c *Client) {
	h.countSlow(c, ErrSlow)
	h.remove(c)
	c.abort()
}

// timedOut cuts off a client whose write hangs.
func (h *Hub) timedOut(c *Client) {
	c.kill(ErrWriteTimeout)
	h.remove(c)
}

func (h *Hub) countSlow(c *Client, cause error) {
	h.droppedClients.Add(1)
	h.log.Info("hub: disconnect slow client", "user", c.userID, "session", c.sessionID, "reason", cause.Error())
}

// now is the hub's monotonic clock in nanoseconds, never 0.
func (h *Hub) now() int64 { return int64(time.Since(h.epoch)) + 1 }

// sweep cuts off clients whose current write has lasted longer than
// WriteTimeout and retires writers that have lingered on an empty queue
// for Linger. One sweep for all clients costs less than a timer per write
// or per idle spell: a tick reads two atomics per client.
func (h *Hub) sweep() {
	t := time.NewTicker(h.sweepEvery())
	defer t.Stop()
	var stuck []*Client
	for {
		select {
		case <-h.sweeper:
			return
		case <-t.C:
		}
		stuck = h.sweepOnce(h.now(), stuck[:0])
		clear(stuck)
	}
}

// sweepEvery is the sweep's period: a quarter of WriteTimeout, and often
// enough that a writer lingers at most half a Linger more than Linger.
func (h *Hub) sweepEvery() time.Duration {
	return min(h.opt.WriteTimeout/4, Linger/2)
}

// sweepOnce is one tick of the sweep at hub time now; stuck is scratch
// space, returned for reuse.
func (h *Hub) sweepOnce(now int64, stuck []*Client) []*Client {
	limit := int64(h.opt.WriteTimeout)
	cutoff := now - int64(Linger)
	h.mu.RLock()
	for _, cs := range h.users {
		for _, c := range cs {
			if s := c.writeStart.Load(); s != 0 && now-s > limit {
				stuck = append(stuck, c)
			}
			c.retireIfIdle(cutoff)
		}
	}
	h.mu.RUnlock()
	for _, c := range stuck {
		h.timedOut(c)
	}
	return stuck
}
