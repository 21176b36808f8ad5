package hub

import (
	"fmt"
	"runtime"
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

// fanoutEvent queues or writes one event to its local recipients, split
// over the machine's cores when there are many: with direct writes the
// fan-out does the socket writes itself, and the last receiver of a large
// conversation waits for every write before its own.
func (h *Hub) fanoutEvent(ev *Event, over *[]*Client) {
	parts := min(h.procs, len(ev.UserIDs)/fanChunk)
	if parts < 2 {
		h.fanoutUsers(ev, ev.UserIDs, over)
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	size := (len(ev.UserIDs) + parts - 1) / parts
	for i := size; i < len(ev.UserIDs); i += size {
		ids := ev.UserIDs[i:min(i+size, len(ev.UserIDs))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []*Client
			h.fanoutUsers(ev, ids, &mine)
			if len(mine) > 0 {
				mu.Lock()
				*over = append(*over, mine...)
				mu.Unlock()
			}
		}()
	}
	var mine []*Client
	h.fanoutUsers(ev, ev.UserIDs[:size], &mine)
	wg.Wait()
	*over = append(*over, mine...)
}

// fanoutUsers delivers ev to the connections of ids; the caller holds the
// hub's read lock.
func (h *Hub) fanoutUsers(ev *Event, ids []int64, over *[]*Client) {
	for _, uid := range ids {
		for _, c := range h.users[uid] {
			if ev.ExceptSession != 0 && c.sessionID == ev.ExceptSession {
				continue
			}
			var overflow bool
			switch {
			case ev.Lead != nil && ev.Lead.Client == c:
				_, overflow = c.enqueueLead(ev.Lead, ev.Payload)
			case c.dc != nil && c.tryDirect(ev.Payload):
			default:
				_, overflow = c.enqueue(ev.Payload, ev.Ephemeral)
			}
			if overflow {
				*over = append(*over, c)
			}
		}
	}
}

// tryDirect writes b straight to the socket when the client is idle: live,
// released, nothing queued, no writer. It reports whether b is taken care
// of (written, kept for the writer to finish, or the client died); false
// leaves b to the queue.
func (c *Client) tryDirect(b []byte) bool {
	c.mu.Lock()
	if c.state != live || c.held || c.writing || c.direct || c.flush || (c.q != nil && c.head < len(c.q.s)) {
		c.mu.Unlock()
		return false
	}
	// While direct is set no writer starts (wakeLocked waits for it), so
	// this goroutine is the only one writing; whatever is queued meanwhile
	// goes after b.
	c.direct = true
	c.mu.Unlock()
	done, kept, err := c.dc.TryWrite(b)
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
		c.hub.delivered.Add(1)
		c.hub.framesOut.Add(1)
		c.hub.directOut.Add(1)
	case c.state == live:
		c.pushFrontLocked(b) // the socket is full: ahead of what came meanwhile
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
