package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"natter/shared"
)

// This file keeps the search as it was before it was made fast (commit
// f021b1c), for BenchmarkSearch1M's paired before/after runs on the same
// data: the statement that ranked every match, run with the index it was
// made for, GIN over (conversation_id, search).

// SearchIndexBefore and SearchIndexAfter create the index each version
// runs with, named messages_search; the other must be dropped first.
const (
	SearchIndexBefore = `CREATE INDEX messages_search ON messages USING gin (conversation_id, search)`
	SearchIndexAfter  = `CREATE INDEX messages_search ON messages USING gin (search)`
)

// SearchMessagesBefore is the first page of SearchMessages as it was.
func (s *Store) SearchMessagesBefore(ctx context.Context, userID int64, query string) (shared.SearchResults, error) {
	q, fe := shared.ParseSearch(query)
	if fe != nil {
		return shared.SearchResults{}, fieldErr(fe)
	}
	limit := shared.SearchPageDefault
	var rows []searchRow
	err := s.DB.RunInTx(ctx, &sql.TxOptions{ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", DefaultSearchTimeout.Milliseconds())); err != nil {
			return err
		}
		lang, err := searchLanguage(ctx, tx)
		if err != nil {
			return err
		}
		query, args := searchSQLBefore(lang, userID, "", q, 0, 0, limit+1)
		return tx.NewRaw(query, args...).Scan(ctx, &rows)
	})
	if pgCode(err) == "57014" {
		return shared.SearchResults{}, &shared.Error{Code: shared.CodeSearchTimeout, Message: "timeout"}
	}
	if err != nil {
		return shared.SearchResults{}, fmt.Errorf("store: search messages before: %w", err)
	}
	res := shared.SearchResults{}
	for _, r := range rows[:min(len(rows), limit)] {
		res.Hits = append(res.Hits, shared.SearchHit{ConversationID: r.ConversationID, Seq: r.Seq, Rank: r.Rank, Snippet: snippet(r.Snippet, q)})
	}
	return res, nil
}

// searchSQLBefore is searchSQL as it was.
func searchSQLBefore(lang string, userID int64, scope string, q shared.SearchQuery, afterRank float32, afterID int64, limit int) (string, []any) {
	var mine strings.Builder
	args := []any{}
	mine.WriteString(`SELECT cm.conversation_id FROM conversation_members cm`)
	if q.In != "" && !shared.IsUUID(q.In) {
		mine.WriteString(` JOIN conversations c ON c.id = cm.conversation_id`) // for the title
	}
	mine.WriteString(` WHERE cm.user_id = ?`)
	args = append(args, userID)
	if scope != "" {
		mine.WriteString(` AND cm.conversation_id = ?`)
		args = append(args, scope)
	}
	if q.In != "" {
		if shared.IsUUID(q.In) {
			mine.WriteString(` AND cm.conversation_id = ?`)
			args = append(args, strings.ToLower(q.In))
		} else {
			// A title, or for an untitled conversation (its title is made
			// of nicknames) the nickname of another member.
			mine.WriteString(` AND (lower(c.title) = lower(?) OR (c.title = '' AND EXISTS (
				SELECT 1 FROM conversation_members o JOIN users ou ON ou.id = o.user_id
				WHERE o.conversation_id = cm.conversation_id AND o.user_id <> cm.user_id AND lower(ou.nickname) = lower(?))))`)
			args = append(args, q.In, q.In)
		}
	}

	tsq := tsQuery(q)
	var where strings.Builder
	where.WriteString(`m.conversation_id = ANY(ARRAY(` + mine.String() + `))`)
	rank := `0::real`
	if tsq != "" {
		where.WriteString(` AND m.search @@ to_tsquery(?::regconfig, ?)`)
		args = append(args, lang, tsq)
		rank = `ts_rank(m.search, to_tsquery(?::regconfig, ?))`
	} else {
		where.WriteString(` AND m.search IS NOT NULL`)
	}
	if q.From != "" {
		where.WriteString(` AND m.sender_id = (SELECT u.id FROM users u WHERE lower(u.nickname) = lower(?))`)
		args = append(args, q.From)
	}
	if !q.Before.IsZero() {
		where.WriteString(` AND m.created_at < ?`)
		args = append(args, q.Before)
	}
	if !q.After.IsZero() {
		where.WriteString(` AND m.created_at >= ?`)
		args = append(args, q.After)
	}
	if q.HasLink {
		where.WriteString(` AND m.body ~* ?`)
		args = append(args, shared.LinkPattern)
	}
	// The rank's arguments come before the WHERE's in the text: rebuild the
	// list in text order.
	inner := `SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.created_at, ` + rank + ` AS rank
		FROM messages m WHERE ` + where.String()
	ordered := []any{}
	if tsq != "" {
		ordered = append(ordered, lang, tsq)
	}
	ordered = append(ordered, args...)

	page := `SELECT * FROM (` + inner + `) h`
	if afterID > 0 {
		page += ` WHERE (h.rank, h.id) < (?::real, ?)`
		ordered = append(ordered, strconv.FormatFloat(float64(afterRank), 'g', -1, 32), afterID)
	}
	page += ` ORDER BY h.rank DESC, h.id DESC LIMIT ?`
	ordered = append(ordered, limit)

	snip := `left(p.body, 300)`
	var tail []any
	if tsq != "" {
		snip = `ts_headline(?::regconfig, translate(p.body, ?, ?), to_tsquery(?::regconfig, ?), ?)`
		tail = []any{lang, headlineFrom, headlineTo, lang, tsq, headlineOptions}
	}
	// The snippet is made for the page's rows only: the LIMIT subquery is
	// not flattened into the outer query.
	full := `SELECT p.id, p.conversation_id, p.seq, p.sender_id, u.nickname AS sender, p.created_at, p.rank, ` + snip + ` AS snippet
		FROM (` + page + `) p LEFT JOIN users u ON u.id = p.sender_id
		ORDER BY p.rank DESC, p.id DESC`
	return full, append(tail, ordered...)
}
