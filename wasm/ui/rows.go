package ui

import (
	"sort"
	"time"

	"natter/shared"
	"natter/wasm/client"
)

// groupGap is how far apart two messages of one sender may be and still
// share a group (one name, one avatar, tight spacing).
const groupGap = 5 * time.Minute

// rowKind says what a row of the message list is.
type rowKind int

const (
	rowDay    rowKind = iota // a day separator
	rowMsg                   // a message
	rowSeen                  // "Seen by ..." under the last message some members saw
	rowGhosts                // people reading right here now
	rowNew                   // the "New" divider above the first unread message
)

// listRow is one row of the message list, computed from the engine's
// messages, the members' read cursors and who is viewing, so the rendering
// is a plain loop and the rules are tested natively.
type listRow struct {
	Kind      rowKind
	Day       string          // rowDay
	Msg       *client.MsgView // rowMsg: in the engine's slice, which is never written
	Own       bool            // rowMsg: sent by the signed-in user
	First     bool            // rowMsg: first of its group (shows the sender)
	Last      bool            // rowMsg: last of its group
	LatestOwn bool            // rowMsg: the newest own message (shows "Sent")
	Names     []string        // rowSeen: who; rowGhosts: who
	At        time.Time       // rowSeen: when the latest of them saw it
	Newest    bool            // rowSeen: the newest "Seen by" row
}

// msgTime is when a message happened: the server's time, or when it was
// queued for one not sent yet.
func msgTime(m client.MsgView) time.Time {
	if m.CreatedAt.IsZero() {
		return m.QueuedAt
	}
	return m.CreatedAt
}

// isOwn reports whether the signed-in user wrote m. Pending messages are
// always the user's own.
func isOwn(m client.MsgView, meID int64) bool {
	return m.SenderID == meID && meID != 0 || m.State != "" && m.State != client.MsgSent
}

// msgKey identifies a message row across renders: its seq once confirmed,
// its action id before.
func msgKey(m client.MsgView) string {
	if m.Seq > 0 {
		return "s" + itoa(m.Seq)
	}
	return "a" + m.ActionID
}

// anchorSeq returns the seq of the newest confirmed message at or below seq
// that was not sent by skip (0 skips nobody), or 0 when none is held.
func anchorSeq(msgs []client.MsgView, seq, skip int64) int64 {
	var best int64
	for _, m := range msgs {
		if m.Seq > 0 && m.Seq <= seq && m.Seq > best && (skip == 0 || m.SenderID != skip) {
			best = m.Seq
		}
	}
	return best
}

// buildRows lays out the message list: day separators, groups of
// consecutive messages from one sender, "Seen by" under the last message
// each other member has seen (among those they did not write), and reading
// ghosts where others are.
func buildRows(msgs []client.MsgView, members []shared.Member, viewers []shared.ReadPosition, meID int64, now time.Time) []listRow {
	b := newRowBuilder(msgs, members, viewers, meID, now, 0)
	for i := range msgs {
		b.add(&msgs[i])
	}
	return b.rows
}

// rowBuilder lays out rows one message at a time and can be resumed: a
// live message appends its rows to the layout of the messages before it,
// touching at most two earlier rows (the group's last, the newest own),
// instead of laying out the whole history again (listlayout.go).
type rowBuilder struct {
	meID       int64
	now        time.Time
	seen       map[int64]*seenGroup // "Seen by" anchors, by seq
	newestSeen int64
	ghosts     map[int64][]string
	newFrom    int64 // the "New" divider goes above the first message from someone else at or after it; 0: none
	divided    bool  // the divider is placed

	rows      []listRow
	day       time.Time
	gprev     *client.MsgView // the previous message of the open group
	grouping  bool            // gprev is set: a group is open
	lastMsg   int             // row of the newest message, -1 before any
	latestOwn int             // row of the newest own message, -1 when none
}

type seenGroup struct {
	names []string
	at    time.Time
}

// newRowBuilder computes where "Seen by" lines and reading ghosts go among
// msgs; add then lays out the messages in order.
func newRowBuilder(msgs []client.MsgView, members []shared.Member, viewers []shared.ReadPosition, meID int64, now time.Time, newFrom int64) *rowBuilder {
	b := &rowBuilder{meID: meID, now: now, seen: map[int64]*seenGroup{}, ghosts: map[int64][]string{},
		newFrom: newFrom, lastMsg: -1, latestOwn: -1, rows: make([]listRow, 0, len(msgs)+8)}
	for _, m := range members {
		if m.UserID == meID || m.SeenSeq <= 0 {
			continue
		}
		// "Seen by bob" belongs under what others wrote, not under bob's own.
		a := anchorSeq(msgs, m.SeenSeq, m.UserID)
		if a == 0 {
			continue
		}
		g := b.seen[a]
		if g == nil {
			g = &seenGroup{}
			b.seen[a] = g
		}
		g.names = append(g.names, m.Nickname)
		if m.SeenAt != nil && m.SeenAt.After(g.at) {
			g.at = *m.SeenAt
		}
		b.newestSeen = max(b.newestSeen, a)
	}
	for _, v := range viewers {
		if v.UserID == meID {
			continue
		}
		if a := anchorSeq(msgs, v.Seq, 0); a > 0 {
			b.ghosts[a] = append(b.ghosts[a], v.Nickname)
		}
	}
	return b
}

// add lays out the next message. The row points at m, which must not be
// written afterwards: the engine never writes into a slice it handed out,
// and a row then costs a pointer where it copied the message (a relayout
// of a thousand messages copied about 270 KB).
func (b *rowBuilder) add(m *client.MsgView) {
	t := msgTime(*m)
	own := isOwn(*m, b.meID)
	if !b.divided && b.newFrom > 0 && !own && m.Seq >= b.newFrom {
		// Above the day too, when one starts here, so the day stays with
		// its messages.
		b.rows = append(b.rows, listRow{Kind: rowNew})
		b.divided = true
	}
	if b.lastMsg < 0 || !sameDay(b.day, t) {
		b.rows = append(b.rows, listRow{Kind: rowDay, Day: dayLabel(t, b.now)})
		b.day, b.grouping = t, false
	}
	g := b.gprev
	grouped := b.grouping && m.Kind != shared.KindSystem && g.Kind != shared.KindSystem &&
		own == isOwn(*g, b.meID) && (own || g.SenderID == m.SenderID) &&
		t.Sub(msgTime(*g)) < groupGap
	if grouped {
		b.rows[b.lastMsg].Last = false
	}
	latest := own && m.Kind != shared.KindSystem
	if latest && b.latestOwn >= 0 {
		b.rows[b.latestOwn].LatestOwn = false
	}
	b.rows = append(b.rows, listRow{Kind: rowMsg, Msg: m, Own: own, First: !grouped, Last: true, LatestOwn: latest})
	b.lastMsg = len(b.rows) - 1
	if latest {
		b.latestOwn = b.lastMsg
	}
	b.gprev, b.grouping = m, true
	if m.Seq <= 0 {
		return
	}
	if sg := b.seen[m.Seq]; sg != nil {
		sort.Strings(sg.names)
		b.rows = append(b.rows, listRow{Kind: rowSeen, Names: sg.names, At: sg.at, Newest: m.Seq == b.newestSeen})
		b.grouping = false // a "Seen by" line ends the group
	}
	if names := b.ghosts[m.Seq]; len(names) > 0 {
		sort.Strings(names)
		b.rows = append(b.rows, listRow{Kind: rowGhosts, Names: names})
		b.grouping = false
	}
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
