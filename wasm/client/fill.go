package client

import (
	"sort"

	"natter/shared"
)

// gap is a run of missing seqs: the missing messages just below seq before.
// The zero gap means nothing is missing.
type gap struct{ before, missing int64 }

// hole returns the lowest run of seqs missing above the gap-free cursor.
// Missing history below the first held message is not a hole: that is the
// older history behind HasOlder (and CaughtUp.Gaps), fetched as the user
// scrolls, so it must never start a fetch by itself.
func (c *conv) hole() gap {
	cur := c.cursor()
	i := sort.Search(len(c.msgs), func(i int) bool { return c.msgs[i].Seq > cur })
	if i == len(c.msgs) {
		return gap{}
	}
	return gap{before: c.msgs[i].Seq, missing: c.msgs[i].Seq - cur - 1}
}

// fillHole fetches the messages missing above c's gap-free cursor. After
// caught_up the live events of a conversation arrive in seq order, so a hole
// then means an event was lost while the connection stayed up (a server once
// dropped fan-out after a PostgreSQL crash); without this the hole would show
// until the next reconnect's replay. At most one fill per conversation is in
// flight, and each hole is asked for once per connection, so a server that
// cannot fill it is not asked again and again: the next resume replays from
// the cursor anyway. Callers hold e.mu.
func (e *Engine) fillHole(s *session, c *conv) {
	id := c.c.ID
	if !s.caught || e.sess != s || c.pending || s.filling[id] {
		return
	}
	h := c.hole()
	if h.missing == 0 || s.asked[id] == h {
		return
	}
	s.filling[id] = true
	s.asked[id] = h
	go e.fill(s, id, h)
}

// fill asks the server for hole h of a conversation, merges the answer and
// looks again: a hole wider than a page takes several rounds, and live
// messages may have opened another one meanwhile.
func (e *Engine) fill(s *session, convID string, h gap) {
	req := shared.HistoryFetch{ConversationID: convID, Before: h.before, Limit: int(min(h.missing, shared.HistoryPageMax))}
	env, err := e.request(s.ctx, shared.TypeHistoryFetch, req)
	var ack shared.Ack
	if err == nil {
		err = decode(env, &ack)
	}
	e.mu.Lock()
	defer e.unlock()
	delete(s.filling, convID)
	if err != nil || ack.History == nil {
		e.log.Info("client: fill hole", "conv", convID, "before", h.before, "missing", h.missing, "err", err)
		return
	}
	c := e.convs[convID]
	if c == nil {
		return // removed meanwhile: merging would bring it back
	}
	for _, m := range ack.History.Messages {
		if m.ConversationID == "" {
			m.ConversationID = convID
		}
		e.mergeMessage(m)
	}
	e.scheduleFlush()
	e.fillHole(s, c)
}
