package client

import (
	"cmp"
	"slices"
	"sort"
	"time"

	"natter/shared"
)

// conv is the engine's copy of one conversation. msgs holds confirmed
// messages sorted by seq without duplicates; its first element is a valid
// base: everything held from there up to the cursor is gap-free, because a
// replay cut to its newest page drops what was held below the cut.
type conv struct {
	c       shared.Conversation
	pending bool   // created here, the server has not confirmed it yet
	failed  string // why creating it failed
	msgs    []shared.Message
	msgsBuf []shared.Message // the array msgs is the tail of, with room before it for older pages (headroom.go)
	actions map[string]int64 // action id -> seq of the held confirmed copy
	noOlder bool             // history said nothing older exists
	typing  map[int64]typist
	viewers []shared.ReadPosition
	events  int64            // event cursor: every change up to it is held (changes.go)
	later   map[int64]int64  // event ranges (from, to] received past a gap
	leftOut []shared.LeftOut // from this device's create ack
	ahead   *ahead           // the next older page, asked for before it was needed (readahead.go)

	// rev changes whenever what Messages returns for c may change: held
	// messages or the queued changes shown over them (msgview.go).
	rev     uint64
	rows    []MsgView // msgs as rows, built on demand, grown by appends and older pages; never modified once handed out
	rowsBuf []MsgView // the array rows is the tail of, as msgsBuf
	print   uint64    // the outbox's fingerprint for c when rev was last checked
	shown   []MsgView // rows with the outbox overlaid, for rev; nil when not built
	shRev   uint64
	// shape changes when msgs change other than by appending (a
	// replacement, an insertion, a cut): what was computed over them
	// before may be extended over an append while it stays (scanUnread).
	shape  uint64
	unread unreadScan
}

type typist struct {
	nick  string
	until time.Time
}

func newConv(c shared.Conversation) *conv {
	return &conv{c: c, actions: map[string]int64{}}
}

// merge inserts or replaces m by seq and reports whether anything changed.
// Every source (ack, live event, replay, history) goes through it, so the
// same message from two of them is held once.
func (c *conv) merge(m shared.Message) bool {
	i, found := slices.BinarySearchFunc(c.msgs, m.Seq, func(x shared.Message, s int64) int { return cmp.Compare(x.Seq, s) })
	if found {
		if sameMessage(c.msgs[i], m) || staleChange(c.msgs[i], m) {
			return false
		}
		c.msgs[i] = m
		c.rows = nil // views handed out keep the old copy; the next read rebuilds
		c.shape++
	} else {
		atEnd := i == len(c.msgs)
		c.msgs = slices.Insert(c.msgs, i, m)
		if atEnd && c.rows != nil && len(c.rows) == len(c.msgs)-1 {
			// Past the end of every view handed out (they are clipped):
			// appending is O(1) and changes none of them.
			c.rows = append(c.rows, sentRow(m))
		} else {
			c.rows = nil
		}
		if !atEnd {
			c.shape++
		}
	}
	c.rev++
	c.dropStaleRoom()
	if m.ActionID != "" {
		c.actions[m.ActionID] = m.Seq
	}
	if m.Seq > c.c.LastSeq {
		c.c.LastSeq = m.Seq
	}
	if c.c.LastSeq == m.Seq {
		at := m.CreatedAt
		c.c.LastAt = &at
		mm := m
		c.c.Preview = &mm
	}
	return true
}

// mergeOlder merges a page of history, as merge does each message. The
// messages older than every one held (all of them, for a page LoadOlder
// asked for) go in front in one copy: merged one at a time, each insert
// moved every message held, and a page of 100 into 2,000 held moved
// 200,000 messages, every older page longer than the one before. The rest
// merge one by one. It reports whether anything changed.
func (c *conv) mergeOlder(ms []shared.Message) bool {
	changed := false
	if len(c.msgs) == 0 {
		for _, m := range ms {
			changed = c.merge(m) || changed
		}
		return changed
	}
	first := c.msgs[0].Seq
	older := make([]shared.Message, 0, len(ms))
	for _, m := range ms {
		if m.Seq < first {
			older = append(older, m)
		} else if c.merge(m) {
			changed = true
		}
	}
	if len(older) == 0 {
		return changed
	}
	bySeq := func(a, b shared.Message) int { return cmp.Compare(a.Seq, b.Seq) }
	slices.SortStableFunc(older, bySeq)
	// Of one seq twice in a page, the later wins, as merge would have it.
	slices.Reverse(older)
	older = slices.CompactFunc(older, func(a, b shared.Message) bool { return a.Seq == b.Seq })
	slices.Reverse(older)
	rowsHeld := c.rows != nil && len(c.rows) == len(c.msgs)
	c.msgsBuf, c.msgs = prependRoom(c.msgsBuf, c.msgs, older)
	for _, m := range older {
		if m.ActionID != "" {
			c.actions[m.ActionID] = m.Seq
		}
	}
	if rowsHeld {
		// In front of the rows handed out, which keep reading as they did
		// (headroom.go): the page's rows only, not all of them again.
		rows := make([]MsgView, len(older))
		for i, m := range older {
			rows[i] = sentRow(m)
		}
		c.rowsBuf, c.rows = prependRoom(c.rowsBuf, c.rows, rows)
	} else {
		c.rows = nil // the next read rebuilds
	}
	c.shape++
	c.rev++
	return true
}

func sameMessage(a, b shared.Message) bool {
	return a.ID == b.ID && a.Body == b.Body && a.Sender == b.Sender &&
		timeEq(a.EditedAt, b.EditedAt) && timeEq(a.DeletedAt, b.DeletedAt) &&
		a.EventSeq == b.EventSeq && (a.ReplyTo == nil) == (b.ReplyTo == nil)
}

func timeEq(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// index returns the position of the message with seq, or -1.
func (c *conv) index(seq int64) int {
	i, found := slices.BinarySearchFunc(c.msgs, seq, func(x shared.Message, s int64) int { return cmp.Compare(x.Seq, s) })
	if !found {
		return -1
	}
	return i
}

// has reports whether the message with seq is held.
func (c *conv) has(seq int64) bool {
	_, found := slices.BinarySearchFunc(c.msgs, seq, func(x shared.Message, s int64) int { return cmp.Compare(x.Seq, s) })
	return found
}

// cursor is the highest seq held without a gap below it, down to the base:
// the server replays what follows it.
func (c *conv) cursor() int64 {
	if len(c.msgs) == 0 {
		return 0
	}
	cur := c.msgs[0].Seq
	for _, m := range c.msgs[1:] {
		if m.Seq != cur+1 {
			break
		}
		cur = m.Seq
	}
	return cur
}

// cutBelow drops held messages older than seq: the replay skipped what lies
// between them and seq, and the held run must stay a valid base.
func (c *conv) cutBelow(seq int64) {
	i := sort.Search(len(c.msgs), func(i int) bool { return c.msgs[i].Seq >= seq })
	if i == 0 {
		return
	}
	for _, m := range c.msgs[:i] {
		delete(c.actions, m.ActionID)
	}
	c.msgs = slices.Delete(c.msgs, 0, i)
	c.rows = nil
	c.dropStaleRoom()
	c.rev++
	c.shape++
	c.noOlder = false
}

// hasOlder reports whether older messages exist on the server that are not held.
func (c *conv) hasOlder() bool {
	if c.noOlder || c.pending {
		return false
	}
	if len(c.msgs) == 0 {
		return c.c.LastSeq > 0
	}
	return c.msgs[0].Seq > 1
}

// setConversation replaces the server's view of the conversation while
// keeping what only this device knows (a newer LastSeq from a live message).
func (c *conv) setConversation(sc shared.Conversation) {
	if c.c.LastSeq > sc.LastSeq {
		sc.LastSeq, sc.LastAt, sc.Preview = c.c.LastSeq, c.c.LastAt, c.c.Preview
	}
	c.c = sc
	c.pending = false
	c.failed = ""
}

// seen is the user's read cursor, counting a queued mark that is not yet acked.
func (e *Engine) seen(c *conv) int64 {
	var s int64
	if m := c.c.Member(e.me.ID); m != nil {
		s = m.SeenSeq
	}
	for _, a := range e.outbox {
		if a.Type == shared.TypeSeenMark && a.Conv == c.c.ID && a.Seq > s {
			s = a.Seq
		}
	}
	return s
}

// view builds what the UI shows of c. Callers hold e.mu.
func (e *Engine) view(c *conv, now time.Time) ConvView {
	v := ConvView{Conversation: c.c, Pending: c.pending, Failed: c.failed, HasOlder: c.hasOlder(), LeftOut: c.leftOut}
	v.Members = slices.Clone(c.c.Members)
	seen := e.seen(c)
	own, mentioned := e.scanUnread(c, seen) // only what arrived since the last look
	if c.c.LastSeq > seen {
		v.Unread = max(c.c.LastSeq-seen-own, 0)
	}
	v.Rev = e.checkRev(c)
	for id, t := range c.typing {
		if t.until.After(now) {
			nick := t.nick
			if m := c.c.Member(id); m != nil && m.Nickname != "" {
				nick = m.Nickname // current even after a rename; the signal carries the name their connection opened with
			}
			v.Typing = append(v.Typing, nick)
		}
	}
	slices.Sort(v.Typing)
	v.Viewers = slices.Clone(c.viewers)
	v.Mentioned = mentioned
	if e.mutedLocked(c.c.ID) {
		u := *e.mutes[c.c.ID].Until
		v.MutedUntil = &u
	}
	return v
}

// activity is the time a conversation sorts by: its newest message, its
// creation, or the newest own message still queued for it.
func (e *Engine) activity(id string) time.Time {
	c := e.convs[id]
	if c == nil {
		return time.Time{}
	}
	t := c.c.CreatedAt
	if c.c.LastAt != nil && c.c.LastAt.After(t) {
		t = *c.c.LastAt
	}
	for _, a := range e.outbox {
		if a.Conv == id && a.Type == shared.TypeMessageSend && a.QueuedAt.After(t) {
			t = a.QueuedAt
		}
	}
	return t
}

func sortConvViews(vs []ConvView, activity func(string) time.Time) {
	at := make(map[string]time.Time, len(vs))
	for _, v := range vs {
		at[v.ID] = activity(v.ID)
	}
	slices.SortStableFunc(vs, func(a, b ConvView) int {
		if c := at[b.ID].Compare(at[a.ID]); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
}

// hasTyping reports whether any typing indicator is live, in which case the
// cached snapshot may have expired by time alone. Callers hold e.mu.
func (e *Engine) hasTyping() bool {
	for _, c := range e.convs {
		if len(c.typing) > 0 {
			return true
		}
	}
	return false
}
