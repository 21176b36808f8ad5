package ui

import (
	"strconv"
	"strings"
	"time"

	"natter/wasm/client"
)

// Laying out the message list after an engine change. The engine hands
// out its messages as an immutable slice with a revision (client.Msgs):
// the same revision means nothing to lay out again, and a slice that
// starts where the last one did and is longer means messages were
// appended, so only they are laid out, resuming the builder. Anything
// else (older history prepended, an edit, a queued message, a new read
// receipt of someone else, another day) lays out everything again.

// layoutState is what the last layout was made from.
type layoutState struct {
	rev    uint64
	msgs   []client.MsgView
	inputs string // others' read cursors, viewers, the divider, the day, the user
	b      *rowBuilder
}

// layoutInputs sums up everything besides the messages the rows depend
// on, and the highest seq any "Seen by" line or ghost may anchor at.
func (c *MessageList) layoutInputs(now time.Time) (string, int64) {
	var sb strings.Builder
	var top int64
	for _, m := range c.Members {
		if m.UserID == c.MeID {
			continue // the user's own read cursor draws nothing in the list
		}
		sb.WriteString(strconv.FormatInt(m.UserID, 36) + ":" + strconv.FormatInt(m.SeenSeq, 36) + ":" + m.Nickname)
		if m.SeenAt != nil {
			sb.WriteString("@" + strconv.FormatInt(m.SeenAt.UnixNano(), 36))
		}
		sb.WriteByte(';')
		top = max(top, m.SeenSeq)
	}
	sb.WriteByte('|')
	for _, v := range c.Viewers {
		if v.UserID == c.MeID {
			continue
		}
		sb.WriteString(strconv.FormatInt(v.UserID, 36) + ":" + strconv.FormatInt(v.Seq, 36) + ":" + v.Nickname + ";")
		top = max(top, v.Seq)
	}
	y, m, d := now.Date()
	sb.WriteString("|" + strconv.FormatInt(c.newFrom, 36) + "|" + strconv.Itoa(y*400+int(m)*32+d) + "|" + strconv.FormatInt(c.MeID, 36))
	return sb.String(), top
}

// relayout lays out ms, appending to the last layout when it can, and
// reports whether anything changed.
func (c *MessageList) relayout(ms client.Msgs, now time.Time) bool {
	in, top := c.layoutInputs(now)
	l := &c.lay
	old := l.msgs
	switch {
	case l.b != nil && ms.Rev == l.rev && in == l.inputs && len(ms.Msgs) == len(old):
		return false // nothing the list shows changed (a read mark, typing)
	case l.b != nil && in == l.inputs && len(old) > 0 && len(ms.Msgs) > len(old) &&
		&ms.Msgs[0] == &old[0] && appendedAbove(ms.Msgs[len(old):], top):
		// Appended: the engine never writes into a slice it handed out, so
		// the same start means the same messages up to len(old).
		from := len(l.b.rows)
		for i := len(old); i < len(ms.Msgs); i++ {
			l.b.add(&ms.Msgs[i])
		}
		c.rows = l.b.rows
		c.win.appendRows(rowKeys(c.rows[from:]))
	default:
		l.b = newRowBuilder(ms.Msgs, c.Members, c.Viewers, c.MeID, now, c.newFrom)
		for i := range ms.Msgs {
			l.b.add(&ms.Msgs[i])
		}
		c.rows = l.b.rows
		c.win.setRows(rowKeys(c.rows))
	}
	l.rev, l.msgs, l.inputs = ms.Rev, ms.Msgs, in
	return true
}

// appendedAbove reports whether every appended message is confirmed and
// above top, so no read cursor or viewer can anchor at it: the rows laid
// out before stay as they are.
func appendedAbove(tail []client.MsgView, top int64) bool {
	for _, m := range tail {
		if m.Seq <= top || m.Seq <= 0 {
			return false
		}
	}
	return true
}
