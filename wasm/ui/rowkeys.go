package ui

// newRowKey is the key of the "New" divider; there is at most one.
const newRowKey = "new"

// rowKeys gives every row a key that stays with it across rebuilds, so a
// measured height and the reader's place survive older pages being
// prepended and new messages arriving: a message by msgKey, a day
// separator, "Seen by" line or reading ghosts by the message they belong
// to (the next one for a day, the previous one for the others).
func rowKeys(rows []listRow) []string {
	keys := make([]string, len(rows))
	prev := ""
	for i, r := range rows {
		switch r.Kind {
		case rowMsg:
			prev = msgKey(r.Msg)
			keys[i] = prev
		case rowSeen:
			keys[i] = "seen:" + prev
		case rowGhosts:
			keys[i] = "ghosts:" + prev
		case rowNew:
			keys[i] = newRowKey
		}
	}
	next := ""
	for i := len(rows) - 1; i >= 0; i-- {
		switch rows[i].Kind {
		case rowMsg:
			next = keys[i]
		case rowDay:
			keys[i] = "day:" + next
		}
	}
	return keys
}

// withNewDivider puts the "New" divider above the first message from
// someone else at or after seq from (0: none), and reports the index of
// the divider, or -1 when no such message is held.
func withNewDivider(rows []listRow, from int64) ([]listRow, int) {
	if from <= 0 {
		return rows, -1
	}
	for i, r := range rows {
		if r.Kind != rowMsg || r.Own || r.Msg.Seq < from {
			continue
		}
		at := i
		if i > 0 && rows[i-1].Kind == rowDay {
			at = i - 1 // above the day too, so the day stays with its messages
		}
		out := make([]listRow, 0, len(rows)+1)
		out = append(out, rows[:at]...)
		out = append(out, listRow{Kind: rowNew})
		out = append(out, rows[at:]...)
		return out, at
	}
	return rows, -1
}
