package client

import (
	"hash/fnv"

	"natter/shared"
)

// Message views: what the conversation view lists, as immutable slices
// with a revision. A live message appends one row to the conversation's
// slice (O(1)); the slices handed out before are clipped, so the append
// never shows in them and no caller ever sees a slice change under it. A
// replacement in the middle (an edit, a reaction) or a cut rebuilds on the
// next read instead of writing into a shared slice. Rev tells a component
// whether to read again, so it never compares the messages themselves.

// Msgs is a conversation's message rows at one revision. Msgs is shared
// with the engine and other readers: treat it as read-only.
type Msgs struct {
	Rev  uint64
	Msgs []MsgView
}

// sentRow is a confirmed message as a row.
func sentRow(m shared.Message) MsgView {
	return MsgView{Message: m, State: MsgSent, ActionID: m.ActionID}
}

// confirmed returns c's confirmed messages as rows, clipped so that a
// caller's append cannot write into the engine's copy.
func (c *conv) confirmed() []MsgView {
	if c.rows == nil {
		c.rows = make([]MsgView, len(c.msgs), len(c.msgs)+16)
		for i, m := range c.msgs {
			c.rows[i] = sentRow(m)
		}
		c.rowsBuf = nil // rows are a new array, with no room before them
	}
	return c.rows[:len(c.rows):len(c.rows)]
}

// shownTypes are the queued actions Messages shows: the own messages still
// queued and the changes overlaid on rows.
var shownTypes = map[string]bool{
	shared.TypeMessageSend: true, shared.TypeMessageEdit: true,
	shared.TypeMessageDelete: true, shared.TypeReactionSet: true,
}

// outboxPrint is a fingerprint of the queued actions Messages shows for
// convID (their ids, payloads and states), 0 when there are none. The
// outbox is short, so reading it whole is cheaper than tracking every
// place that changes it. Callers hold e.mu.
func (e *Engine) outboxPrint(convID string) uint64 {
	var h interface {
		Write([]byte) (int, error)
		Sum64() uint64
	}
	for _, a := range e.outbox {
		if a.Conv != convID || !shownTypes[a.Type] {
			continue
		}
		if h == nil {
			h = fnv.New64a()
			_, _ = h.Write([]byte{byte(e.me.ID), byte(e.me.ID >> 8), byte(e.me.ID >> 16), byte(e.me.ID >> 24)})
			_, _ = h.Write([]byte(e.me.Nickname))
		}
		state := byte(0)
		if a.inflight {
			state = 1
		}
		_, _ = h.Write([]byte(a.ID))
		_, _ = h.Write([]byte(a.Failed))
		_, _ = h.Write([]byte{state, 0})
		_, _ = h.Write(a.Data)
	}
	if h == nil {
		return 0
	}
	return h.Sum64() | 1 // never 0 with actions
}

// checkRev returns c's revision, bumped first when the queued actions
// shown over its messages changed since it was last read. Callers hold
// e.mu.
func (e *Engine) checkRev(c *conv) uint64 {
	if p := e.outboxPrint(c.c.ID); p != c.print {
		c.print = p
		c.rev++
	}
	return c.rev
}

// Messages returns what the conversation view lists: the confirmed messages
// held, in seq order, then the own messages still in the outbox, in queue
// order. A queued message disappears exactly when its confirmed copy (same
// action id) is held, so it is never shown twice. The slice is shared:
// read-only.
func (e *Engine) Messages(convID string) []MsgView { return e.MessagesAt(convID).Msgs }

// MessagesAt is Messages with its revision. Without queued changes for the
// conversation it costs nothing beyond reading the outbox: the rows are
// the engine's own, grown by appends.
func (e *Engine) MessagesAt(convID string) Msgs {
	e.mu.Lock()
	defer e.mu.Unlock()
	convID = e.resolve(convID)
	c := e.convs[convID]
	if c == nil {
		// Nothing held, perhaps queued messages: built each time (rare).
		return Msgs{Rev: e.outboxPrint(convID), Msgs: e.withOutbox(nil, convID)}
	}
	rev := e.checkRev(c)
	if c.print == 0 {
		return Msgs{Rev: rev, Msgs: c.confirmed()}
	}
	if c.shown == nil || c.shRev != rev {
		base := c.confirmed()
		out := make([]MsgView, len(base), len(base)+8)
		copy(out, base) // the overlay writes into rows: a copy of its own
		c.shown, c.shRev = e.withOutbox(out, convID), rev
	}
	return Msgs{Rev: rev, Msgs: c.shown[:len(c.shown):len(c.shown)]}
}

// withOutbox appends the own queued messages to rows (a copy the caller
// owns) and overlays the queued changes. Callers hold e.mu.
func (e *Engine) withOutbox(rows []MsgView, convID string) []MsgView {
	c := e.convs[convID]
	for _, a := range e.outbox {
		if a.Type != shared.TypeMessageSend || a.Conv != convID {
			continue
		}
		if c != nil {
			if _, ok := c.actions[a.ID]; ok {
				continue
			}
		}
		st := MsgQueued
		switch {
		case a.Failed != "":
			st = MsgFailed
		case a.inflight:
			st = MsgSending
		}
		rows = append(rows, MsgView{
			Message: shared.Message{ConversationID: convID, SenderID: e.me.ID, Sender: e.me.Nickname,
				Kind: shared.KindText, Body: a.Body, ActionID: a.ID, CreatedAt: a.QueuedAt},
			State: st, Error: a.Failed, ActionID: a.ID, QueuedAt: a.QueuedAt,
		})
	}
	return e.overlay(convID, rows)
}
