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
	Day       string         // rowDay
	Msg       client.MsgView // rowMsg
	Own       bool           // rowMsg: sent by the signed-in user
	First     bool           // rowMsg: first of its group (shows the sender)
	Last      bool           // rowMsg: last of its group
	LatestOwn bool           // rowMsg: the newest own message (shows "Sent")
	Names     []string       // rowSeen: who; rowGhosts: who
	At        time.Time      // rowSeen: when the latest of them saw it
	Newest    bool           // rowSeen: the newest "Seen by" row
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
	type seenGroup struct {
		names []string
		at    time.Time
	}
	seen := map[int64]*seenGroup{}
	var newestSeen int64
	for _, m := range members {
		if m.UserID == meID || m.SeenSeq <= 0 {
			continue
		}
		// "Seen by bob" belongs under what others wrote, not under bob's own.
		a := anchorSeq(msgs, m.SeenSeq, m.UserID)
		if a == 0 {
			continue
		}
		g := seen[a]
		if g == nil {
			g = &seenGroup{}
			seen[a] = g
		}
		g.names = append(g.names, m.Nickname)
		if m.SeenAt != nil && m.SeenAt.After(g.at) {
			g.at = *m.SeenAt
		}
		newestSeen = max(newestSeen, a)
	}
	ghosts := map[int64][]string{}
	for _, v := range viewers {
		if v.UserID == meID {
			continue
		}
		if a := anchorSeq(msgs, v.Seq, 0); a > 0 {
			ghosts[a] = append(ghosts[a], v.Nickname)
		}
	}
	latestOwn := -1
	for i, m := range msgs {
		if isOwn(m, meID) && m.Kind != shared.KindSystem {
			latestOwn = i
		}
	}

	rows := make([]listRow, 0, len(msgs)+8)
	var day time.Time
	var gprev *client.MsgView // the previous message of the open group; nil starts a new one
	lastMsg := -1
	for i := range msgs {
		m := msgs[i]
		t := msgTime(m)
		if lastMsg < 0 || !sameDay(day, t) {
			rows = append(rows, listRow{Kind: rowDay, Day: dayLabel(t, now)})
			day, gprev = t, nil
		}
		own := isOwn(m, meID)
		grouped := gprev != nil && m.Kind != shared.KindSystem && gprev.Kind != shared.KindSystem &&
			own == isOwn(*gprev, meID) && (own || gprev.SenderID == m.SenderID) &&
			t.Sub(msgTime(*gprev)) < groupGap
		if !grouped && lastMsg >= 0 {
			rows[lastMsg].Last = true
		}
		rows = append(rows, listRow{Kind: rowMsg, Msg: m, Own: own, First: !grouped, LatestOwn: i == latestOwn})
		lastMsg = len(rows) - 1
		gprev = &msgs[i]
		if m.Seq <= 0 {
			continue
		}
		if g := seen[m.Seq]; g != nil {
			sort.Strings(g.names)
			rows = append(rows, listRow{Kind: rowSeen, Names: g.names, At: g.at, Newest: m.Seq == newestSeen})
			gprev = nil // a "Seen by" line ends the group
		}
		if names := ghosts[m.Seq]; len(names) > 0 {
			sort.Strings(names)
			rows = append(rows, listRow{Kind: rowGhosts, Names: names})
			gprev = nil
		}
	}
	if lastMsg >= 0 {
		rows[lastMsg].Last = true
	}
	return rows
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
