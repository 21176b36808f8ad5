package hub

import (
	"slices"
	"time"
)

// FlushPresence fires every pending coalesced presence broadcast now, so
// tests can observe throttling without waiting out the interval.
func (h *Hub) FlushPresence() {
	p := &h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, cv := range p.convs {
		if cv.timer != nil && cv.timer.Stop() {
			cv.timer = nil
			h.broadcast(cv)
		}
	}
}

// Viewers returns the user ids currently viewing a conversation, sorted.
func (h *Hub) Viewers(conversationID string) []int64 {
	p := &h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []int64
	if cv := p.convs[conversationID]; cv != nil {
		for c := range cv.viewers {
			ids = append(ids, c.userID)
		}
	}
	slices.Sort(ids)
	return ids
}

// Writers counts the clients whose writer goroutine is running.
func (h *Hub) Writers() int {
	n := 0
	for _, c := range h.clients() {
		c.mu.Lock()
		if c.writing {
			n++
		}
		c.mu.Unlock()
	}
	return n
}

// Sweep runs one tick of the sweep as if after had passed.
func (h *Hub) Sweep(after time.Duration) {
	h.sweepOnce(h.now()+int64(after), nil)
}
