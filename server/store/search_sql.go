package store

import (
	"strconv"
	"strings"

	"natter/shared"
)

// The bounds of a search among recent matches (planRecent): each of the
// searcher's conversations gives its newest searchRecent/n matches (n
// conversations searched), and at least searchRecentEach, so one
// conversation's search ranks its newest thousand and a heavy user's
// search over a hundred conversations ranks about two thousand.
const (
	searchRecent     = 1000
	searchRecentEach = 20
)

// sqlText is a statement being written with its arguments, in text order.
type sqlText struct {
	b    strings.Builder
	args []any
}

// add appends text and the arguments of its placeholders.
func (s *sqlText) add(text string, args ...any) {
	s.b.WriteString(text)
	s.args = append(s.args, args...)
}

// searchStatement holds what a search statement is made of. Every value is
// a bound argument; the words are letters and digits only
// (shared.SearchWords) and are quoted as lexemes all the same.
type searchStatement struct {
	lang   string
	userID int64
	scope  string // a conversation id, or "" for all of the user's
	q      shared.SearchQuery
	after  searchCursor // the previous page's last hit, or zero
	limit  int
}

// mine writes the query of the conversations searched: the user's, within
// the scope and the in: filter.
func (st searchStatement) mine(s *sqlText) {
	q := st.q
	s.add(`SELECT cm.conversation_id FROM conversation_members cm`)
	if q.In != "" && !shared.IsUUID(q.In) {
		s.add(` JOIN conversations c ON c.id = cm.conversation_id`) // for the title
	}
	s.add(` WHERE cm.user_id = ?`, st.userID)
	if st.scope != "" {
		s.add(` AND cm.conversation_id = ?`, st.scope)
	}
	if q.In != "" {
		if shared.IsUUID(q.In) {
			s.add(` AND cm.conversation_id = ?`, strings.ToLower(q.In))
		} else {
			// A title, or for an untitled conversation (its title is made
			// of nicknames) the nickname of another member.
			s.add(` AND (lower(c.title) = lower(?) OR (c.title = '' AND EXISTS (
				SELECT 1 FROM conversation_members o JOIN users ou ON ou.id = o.user_id
				WHERE o.conversation_id = cm.conversation_id AND o.user_id <> cm.user_id AND lower(ou.nickname) = lower(?))))`, q.In, q.In)
		}
	}
}

// match writes the conditions on a message m besides its conversation:
// the words, or for a query of filters alone any searchable message, and
// the filters.
func (st searchStatement) match(s *sqlText) {
	q := st.q
	if tsq := tsQuery(q); tsq != "" {
		s.add(`m.search @@ to_tsquery(?::regconfig, ?)`, st.lang, tsq)
	} else {
		s.add(`m.search IS NOT NULL`)
	}
	if q.From != "" {
		s.add(` AND m.sender_id = (SELECT u.id FROM users u WHERE lower(u.nickname) = lower(?))`, q.From)
	}
	if !q.Before.IsZero() {
		s.add(` AND m.created_at < ?`, q.Before)
	}
	if !q.After.IsZero() {
		s.add(` AND m.created_at >= ?`, q.After)
	}
	if q.HasLink {
		s.add(` AND m.body ~* ?`, shared.LinkPattern)
	}
}

// rank writes the rank of message alias a.
func (st searchStatement) rank(s *sqlText, a string) {
	if tsq := tsQuery(st.q); tsq != "" {
		s.add(`ts_rank(`+a+`.search, to_tsquery(?::regconfig, ?))`, st.lang, tsq)
	} else {
		s.add(`0::real`)
	}
}

// page writes the end of the candidates' query h (after the keyset
// position, best first, the page and one more) and the statement around
// it, which adds the sender's nickname and the snippet. The snippet is
// made for the page's rows only: the LIMIT subquery is not flattened into
// the outer query.
func (st searchStatement) page(inner *sqlText) (string, []any) {
	var s sqlText
	tsq := tsQuery(st.q)
	s.add(`SELECT p.id, p.conversation_id, p.seq, p.sender_id, u.nickname AS sender, p.created_at, p.rank, p.bound, p.cut, `)
	if tsq != "" {
		s.add(`ts_headline(?::regconfig, translate(p.body, ?, ?), to_tsquery(?::regconfig, ?), ?)`,
			st.lang, headlineFrom, headlineTo, st.lang, tsq, headlineOptions)
	} else {
		s.add(`left(p.body, 300)`)
	}
	s.add(` AS snippet FROM (SELECT * FROM (`)
	s.add(inner.b.String(), inner.args...)
	s.add(`) h`)
	if st.after.id > 0 {
		s.add(` WHERE (h.rank, h.id) < (?::real, ?)`, strconv.FormatFloat(float64(st.after.rank), 'g', -1, 32), st.after.id)
	}
	s.add(` ORDER BY h.rank DESC, h.id DESC LIMIT ?) p
		LEFT JOIN users u ON u.id = p.sender_id
		ORDER BY p.rank DESC, p.id DESC`, st.limit)
	return s.b.String(), s.args
}

// allSQL builds the statement that ranks every match (planAll). The
// planner intersects the words' entries in messages_search with the
// searcher's messages in messages_conversation_seq (a BitmapAnd) and reads
// only the matches.
func (st searchStatement) allSQL() (string, []any) {
	var s sqlText
	s.add(`SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.created_at, `)
	st.rank(&s, "m")
	s.add(` AS rank, 0::bigint AS bound, false AS cut FROM messages m WHERE m.conversation_id = ANY(ARRAY(`)
	st.mine(&s)
	s.add(`)) AND `)
	st.match(&s)
	return st.page(&s)
}

// recentSQL builds the statement that ranks recent matches only
// (planRecent): in each conversation searched, the newest matches, read
// backwards along messages_conversation_seq and tested one by one, which
// stops as soon as there are enough (a word in half of the messages costs
// two rows per candidate). Bound is the newest candidate's id: the
// following pages pass it back (the cursor), so new messages do not push
// the candidates they were ranked among out of the set. Cut says whether
// some conversation had more matches than it gave.
func (st searchStatement) recentSQL() (string, []any) {
	var s sqlText
	s.add(`SELECT w.id, w.conversation_id, w.seq, w.sender_id, w.body, w.created_at, `)
	st.rank(&s, "w")
	s.add(` AS rank, max(w.id) OVER () AS bound, bool_or(w.got = k.each) OVER () AS cut
		FROM (SELECT ARRAY(`)
	st.mine(&s)
	s.add(`) AS a) mine, unnest(mine.a) AS c(id),
		LATERAL (SELECT greatest(?, ? / greatest(cardinality(mine.a), 1)) AS each) k,
		LATERAL (SELECT x.*, count(*) OVER () AS got FROM (
			SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.created_at, m.search
			FROM messages m WHERE m.conversation_id = c.id AND `, searchRecentEach, searchRecent)
	st.match(&s)
	if st.after.bound > 0 {
		s.add(` AND m.id <= ?`, st.after.bound)
	}
	s.add(` ORDER BY m.seq DESC LIMIT k.each) x) w`)
	return st.page(&s)
}
