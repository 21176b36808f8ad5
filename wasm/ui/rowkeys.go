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
			prev = msgKey(*r.Msg)
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
