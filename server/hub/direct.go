package hub

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
)

// DirectConn is a Conn the fan-out may write to itself, without blocking,
// when the client has nothing queued and no writer running. At a few
// messages a second that is every delivery: handing each to a writer
// goroutine (a wake, a schedule, a park) cost about as much as the write.
type DirectConn interface {
	Conn
	// TryWrite writes frame as one WebSocket frame without waiting for the
	// socket. done reports that all of it went; kept that only part of it
	// went and the Conn holds the rest, to be written before anything else
	// (by Flush, which the hub's writer calls next, or ahead of the next
	// Write). Neither means nothing was written. It may be called from any
	// goroutine, never concurrently with Write or Flush of the same Conn.
	TryWrite(frame []byte) (done, kept bool, err error)
	// Flush writes what TryWrite kept, waiting for the socket.
	Flush() error
}

// fanChunk is how many recipients one goroutine of the fan-out takes at
// least: below that, splitting costs more than it saves.
const fanChunk = 128

// fanoutGroup queues or writes a run of events with the same recipients
// (see sameAudience) to their local connections. To an idle connection it
// writes them itself as one frame, built once for all of them; the
// recipients are split over the machine's cores when there are many, since
// the last receiver of a large conversation otherwise waits for every write
// before its own.
func (h *Hub) fanoutGroup(g []Event, over *[]*Client) {
	frame := g[0].Payload
	if len(g) > 1 {
		frame = joinPayloads(g, h.opt.MaxFrameBytes)
	}
	ids := g[0].UserIDs
	parts := min(h.procs, len(ids)/fanChunk)
	if parts < 2 {
		h.fanoutUsers(g, ids, frame, over)
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	size := (len(ids) + parts - 1) / parts
	for i := size; i < len(ids); i += size {
		part := ids[i:min(i+size, len(ids))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []*Client
			h.fanoutUsers(g, part, frame, &mine)
			if len(mine) > 0 {
				mu.Lock()
				*over = append(*over, mine...)
				mu.Unlock()
			}
		}()
	}
	var mine []*Client
	h.fanoutUsers(g, ids[:size], frame, &mine)
	wg.Wait()
	*over = append(*over, mine...)
}

// sameAudience reports whether b goes to exactly a's connections, so the
// two can share a frame: durable, not presence, same recipients.
func sameAudience(a, b *Event) bool {
	if a.Ephemeral || b.Ephemeral || a.Presence != nil || b.Presence != nil || a.ExceptSession != b.ExceptSession {
		return false
	}
	if len(a.UserIDs) != len(b.UserIDs) {
		return false
	}
	if len(a.UserIDs) == 0 || &a.UserIDs[0] == &b.UserIDs[0] {
		return true
	}
	return slices.Equal(a.UserIDs, b.UserIDs)
}

// joinPayloads is the frame of a run of events, newline-separated as a
// writer batches them; nil when it would exceed max (each then goes its
// own way).
func joinPayloads(g []Event, max int) []byte {
	n := len(g) - 1
	for i := range g {
		n += len(g[i].Payload)
	}
	if n > max {
		return nil
	}
	b := make([]byte, 0, n)
	for i := range g {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, g[i].Payload...)
	}
	return b
}

// fanoutUsers delivers the run g, whose frame is frame (nil: none fits),
// to the connections of ids; the caller holds the hub's read lock.
func (h *Hub) fanoutUsers(g []Event, ids []int64, frame []byte, over *[]*Client) {
	for _, uid := range ids {
		for _, c := range h.users[uid] {
			if x := g[0].ExceptSession; x != 0 && c.sessionID == x {
				continue
			}
			if c.dc != nil {
				if leads(g, c) {
					if c.tryDirectRun(g) {
						continue
					}
				} else if frame != nil && c.tryDirect(frame, len(g)) {
					continue
				}
			}
			for i := range g {
				ev := &g[i]
				var overflow bool
				if ev.Lead != nil && ev.Lead.Client == c {
					_, overflow = c.enqueueLead(ev.Lead, ev.Payload)
				} else {
					_, overflow = c.enqueue(ev.Payload, ev.Ephemeral)
				}
				if overflow {
					*over = append(*over, c)
					break
				}
			}
		}
	}
}

// leads reports whether one of g carries an answer for c.
func leads(g []Event, c *Client) bool {
	for i := range g {
		if g[i].Lead != nil && g[i].Lead.Client == c {
			return true
		}
	}
	return false
}

// idleLocked reports whether the client may be written to directly: live,
// released, nothing queued, no writer, nothing half written.
func (c *Client) idleLocked() bool {
	return c.state == live && !c.held && !c.writing && !c.direct && !c.flush && (c.q == nil || c.head == len(c.q.s))
}

// tryDirect writes frame, n envelopes, straight to the socket when the
// client is idle (idleLocked). It reports whether the frame is taken care
// of (written, kept for the writer to finish, or the client died); false
// leaves its envelopes to the queue.
func (c *Client) tryDirect(frame []byte, n int) bool {
	c.mu.Lock()
	if !c.idleLocked() {
		c.mu.Unlock()
		return false
	}
	c.direct = true
	c.mu.Unlock()
	return c.writeDirect(frame, n)
}

// tryDirectRun is tryDirect for a run of events of which some carry
// answers for c (Lead): the frame is made for c alone, each answer ahead of
// its event when it is the connection's next one, as enqueueLead does.
func (c *Client) tryDirectRun(g []Event) bool {
	c.mu.Lock()
	if !c.idleLocked() {
		c.mu.Unlock()
		return false
	}
	size, n := 0, 0
	for i := range g {
		size += len(g[i].Payload) + 1
		if l := g[i].Lead; l != nil && l.Client == c {
			size += len(l.Env) + 1
		}
	}
	frame := make([]byte, 0, size)
	for i := range g {
		if i > 0 {
			frame = append(frame, '\n')
		}
		if l := g[i].Lead; l != nil && l.Client == c && l.N == c.answered {
			c.answered++
			l.queued.Store(true)
			frame = append(append(frame, l.Env...), '\n')
			n++
		}
		frame = append(frame, g[i].Payload...)
		n++
	}
	c.direct = true
	c.mu.Unlock()
	return c.writeDirect(frame, n)
}

// writeDirect is the write of tryDirect, once the client is claimed: while
// direct is set no writer starts (wakeLocked waits for it), so this
// goroutine is the only one writing, and whatever is queued meanwhile goes
// after the frame.
func (c *Client) writeDirect(frame []byte, n int) bool {
	done, kept, err := c.dc.TryWrite(frame)
	c.mu.Lock()
	c.direct = false
	switch {
	case err != nil:
		c.mu.Unlock()
		if c.kill(fmt.Errorf("hub: write: %w", err)) {
			c.hub.log.Debug("hub: direct write failed", "user", c.userID, "session", c.sessionID, "err", err)
		}
		return true // the writer started by kill closes the Conn and leaves the index
	case done || kept:
		c.flush = kept
		c.hub.delivered.Add(uint64(n))
		c.hub.framesOut.Add(1)
		c.hub.directOut.Add(1)
	case c.state == live:
		c.pushFrontLocked(frame) // the socket is full: ahead of what came meanwhile
	}
	if c.flush || c.state != live || (c.q != nil && c.head < len(c.q.s)) {
		c.wakeLocked()
	}
	c.mu.Unlock()
	return true
}

// pushFrontLocked queues b ahead of everything queued.
func (c *Client) pushFrontLocked(b []byte) {
	q := getItems()
	q.s = append(q.s, item{b: b})
	if c.q != nil {
		q.s = append(q.s, c.q.s[c.head:]...)
		putItems(c.q)
	}
	c.q, c.head = q, 0
	c.bytes += len(b)
}

// flushKept finishes a frame TryWrite only began; the writer calls it
// before taking anything from the queue.
func (c *Client) flushKept() error {
	c.mu.Lock()
	kept := c.flush
	c.flush = false
	c.mu.Unlock()
	if !kept {
		return nil
	}
	c.writeStart.Store(c.hub.now())
	err := c.dc.Flush()
	c.writeStart.Store(0)
	return err
}

// procs is how many goroutines one event's fan-out may use.
func procs() int { return max(1, runtime.GOMAXPROCS(0)) }
