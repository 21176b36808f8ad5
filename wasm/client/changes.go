package client

import (
	"slices"

	"natter/shared"
)

// Receiving changes to messages, and showing the ones still queued.
//
// Each conversation keeps an event cursor: every change up to it is
// reflected in the messages held. A messages.changed covering events
// (From, EventSeq] moves it when From is not past it; one past a gap is
// applied anyway (a message only ever moves to a newer state, see
// staleChange) and its range is remembered until the gap closes. The
// cursor goes to the server in hello, which replays what changed after
// it; the cursor is cached with the conversation, so a reload resumes
// from it too.

// staleChange reports whether in is older than the held copy of the same
// message, so merging it would undo a change: a deletion is final, and
// otherwise the later event wins. Whatever order copies arrive in (an ack,
// a live event, a replay, a history page), every device ends on the state
// of the last change the server applied.
func staleChange(held, in shared.Message) bool {
	if held.DeletedAt != nil && in.DeletedAt == nil {
		return true
	}
	if in.DeletedAt != nil && held.DeletedAt == nil {
		return false
	}
	return in.EventSeq < held.EventSeq
}

// mergeChanged merges a changed message if its conversation holds it; one
// not held is left to history or the replay, which bring its current
// state (inserting it would break the held run the cursor counts on).
// Callers hold e.mu.
func (e *Engine) mergeChanged(m shared.Message) *conv {
	c := e.convs[m.ConversationID]
	if c == nil {
		return nil
	}
	c.dropAhead(m.Seq) // held there, it would be merged as it was
	if !c.has(m.Seq) {
		return nil
	}
	if c.merge(m) {
		e.dirty.conv(c.c.ID)
		e.touch()
	}
	return c
}

// messagesChanged applies one messages.changed. Callers hold e.mu.
func (e *Engine) messagesChanged(mc shared.MessagesChanged, notes *[]incoming) {
	c := e.convs[mc.ConversationID]
	if c == nil {
		return
	}
	for _, m := range mc.Messages {
		if m.ConversationID == "" {
			m.ConversationID = mc.ConversationID
		}
		var before []shared.Reaction
		if i := c.index(m.Seq); i >= 0 {
			before = c.msgs[i].Reactions
		}
		if e.mergeChanged(m) != nil {
			e.reactionNote(c, before, m, notes)
		}
	}
	if c.advanceEvents(mc.From, mc.EventSeq) {
		e.dirty.conv(c.c.ID)
		e.scheduleFlush()
	}
}

// reactionNote tells the author of a message, live, that someone else
// reacted to it: the one notification a reaction makes (never an unread),
// and none in a muted conversation. Callers hold e.mu.
func (e *Engine) reactionNote(c *conv, before []shared.Reaction, m shared.Message, notes *[]incoming) {
	s := e.sess
	if m.SenderID != e.me.ID || s == nil || !s.caught || s.quiet[c.c.ID] {
		return
	}
	if e.mutedLocked(c.c.ID) {
		return
	}
	for _, r := range m.Reactions {
		for _, id := range r.UserIDs {
			if id == e.me.ID || reacted(before, r.Emoji, id) {
				continue
			}
			who := "Someone"
			if mem := c.c.Member(id); mem != nil {
				who = mem.Nickname
			}
			note := shared.Message{ID: m.ID, ConversationID: c.c.ID, Seq: m.Seq, SenderID: id, Sender: who,
				Kind: shared.KindText, Body: "Reacted " + r.Emoji + " to: " + shared.FirstLine(m.Body), CreatedAt: m.CreatedAt}
			*notes = append(*notes, incoming{note, e.view(c, e.cfg.Now())})
			return // one per change
		}
	}
}

func reacted(rs []shared.Reaction, emoji string, user int64) bool {
	for _, r := range rs {
		if r.Emoji == emoji {
			return slices.Contains(r.UserIDs, user)
		}
	}
	return false
}

// advanceEvents records that events (from, to] are held and reports
// whether the cursor moved.
func (c *conv) advanceEvents(from, to int64) bool {
	if to <= c.events {
		return false
	}
	if from > c.events {
		if c.later == nil {
			c.later = map[int64]int64{}
		}
		c.later[from] = max(c.later[from], to)
		return false
	}
	c.events = to
	for moved := true; moved; {
		moved = false
		for f, t := range c.later {
			if f <= c.events {
				c.events = max(c.events, t)
				delete(c.later, f)
				moved = true
			}
		}
	}
	return true
}

// eventCursors are the event cursors sent in hello. Callers hold e.mu.
func (e *Engine) eventCursors() map[string]int64 {
	cur := make(map[string]int64, len(e.convs))
	for id, c := range e.convs {
		if !c.pending {
			cur[id] = c.events
		}
	}
	return cur
}

// unreadScan is what scanUnread found last time, and over what: while
// neither the read cursor, the user nor the messages' shape changed, only
// messages appended since are read. A catch-up of thousands of unread
// messages then reads each once, not once per engine change.
type unreadScan struct {
	shape     uint64
	seen      int64
	me        int64
	nick      string
	n         int   // messages read: msgs[:n]
	own       int64 // the user's own messages among the unread
	mentioned bool  // an unread message of someone else mentions the user
}

// scanUnread returns how many of the messages after the read cursor are the
// user's own (they are not unread) and whether one of someone else's
// mentions the user. Callers hold e.mu.
func (e *Engine) scanUnread(c *conv, seen int64) (own int64, mentioned bool) {
	us := &c.unread
	from := 0
	if us.shape == c.shape && us.seen == seen && us.me == e.me.ID && us.nick == e.me.Nickname && us.n <= len(c.msgs) {
		from = us.n
	} else {
		*us = unreadScan{shape: c.shape, seen: seen, me: e.me.ID, nick: e.me.Nickname}
	}
	for _, m := range slices.Backward(c.msgs[from:]) {
		if m.Seq <= seen {
			break
		}
		if m.SenderID == e.me.ID {
			us.own++
		} else if !us.mentioned && e.me.Nickname != "" && m.DeletedAt == nil && shared.Mentioned(m.Body, e.me.Nickname) {
			us.mentioned = true
		}
	}
	us.n = len(c.msgs)
	return us.own, us.mentioned
}

// overlay shows the changes still in the outbox on the rows they aim at:
// a queued edit's text, a queued deletion's tombstone, a queued reaction's
// count, and a queued reply's quote. Callers hold e.mu.
func (e *Engine) overlay(convID string, rows []MsgView) []MsgView {
	me := e.me.ID
	find := func(t changeTarget) *MsgView {
		for i := range rows {
			if (t.Seq > 0 && rows[i].Seq == t.Seq) || (t.TargetAction != "" && rows[i].ActionID == t.TargetAction) {
				return &rows[i]
			}
		}
		return nil
	}
	for _, a := range e.outbox {
		if a.Conv != convID || a.Failed != "" {
			continue
		}
		t := a.target()
		switch a.Type {
		case shared.TypeMessageSend:
			if t.ReplyTo == 0 && t.ReplyToAction == "" {
				continue
			}
			for i := range rows {
				if rows[i].ActionID == a.ID && rows[i].Seq == 0 && rows[i].ReplyTo == nil {
					if q := find(changeTarget{Seq: t.ReplyTo, TargetAction: t.ReplyToAction}); q != nil {
						rows[i].ReplyTo = &shared.ReplyQuote{Seq: q.Seq, SenderID: q.SenderID, Sender: q.Sender,
							Line: shared.FirstLine(q.Body), Deleted: q.DeletedAt != nil}
					} else {
						rows[i].ReplyTo = &shared.ReplyQuote{Seq: t.ReplyTo}
					}
				}
			}
		case shared.TypeMessageEdit:
			if r := find(t); r != nil && r.DeletedAt == nil {
				r.Body, r.Change = t.Body, ChangeEdit
				at := a.QueuedAt
				r.EditedAt = &at
			}
		case shared.TypeMessageDelete:
			if r := find(t); r != nil {
				r.Body, r.Change, r.Reactions = "", ChangeDelete, nil
				at := a.QueuedAt
				r.DeletedAt = &at
			}
		case shared.TypeReactionSet:
			if r := find(t); r != nil && r.DeletedAt == nil {
				r.Reactions = withReaction(r.Reactions, t.Emoji, me, t.On)
				if r.Change == "" {
					r.Change = ChangeReaction
				}
			}
		}
	}
	return rows
}

// withReaction returns rs with user's emoji set on or off, copying what it
// changes (rs belongs to the cache).
func withReaction(rs []shared.Reaction, emoji string, user int64, on bool) []shared.Reaction {
	out := make([]shared.Reaction, 0, len(rs)+1)
	found := false
	for _, r := range rs {
		if r.Emoji == emoji {
			found = true
			has := slices.Contains(r.UserIDs, user)
			switch {
			case on && !has:
				r.UserIDs = append(slices.Clone(r.UserIDs), user)
			case !on && has:
				r.UserIDs = slices.DeleteFunc(slices.Clone(r.UserIDs), func(id int64) bool { return id == user })
			}
		}
		if len(r.UserIDs) > 0 {
			out = append(out, r)
		}
	}
	if on && !found {
		out = append(out, shared.Reaction{Emoji: emoji, UserIDs: []int64{user}})
	}
	return out
}
