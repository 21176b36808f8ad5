package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"natter/shared"
)

// DefaultSearchTimeout is the time budget of one search statement. The
// benchmark's p99 is a few tens of milliseconds on a million messages; a
// query that takes a hundred times that is cut off rather than allowed to
// hold a connection that sends are waiting for.
const DefaultSearchTimeout = 2 * time.Second

// Markers ts_headline puts around matches: private-use characters, taken out
// of the body first, so a body cannot forge a highlight.
const (
	markStart = "\uE000"
	markStop  = "\uE001"
)

// headlineFrom and headlineTo translate the body for ts_headline: its parser
// takes anything like <b> or <!-- --> for markup and drops it from the
// fragment, so <, > and & go in as private-use characters (and come back in
// snippet); the private-use characters the body held are dropped, so none
// can pass for a marker.
const (
	headlineFrom = "<>&\uE000\uE001\uE002\uE003\uE004"
	headlineTo   = "\uE002\uE003\uE004"
)

var headlineBack = strings.NewReplacer(markStart, "", markStop, "", "\uE002", "<", "\uE003", ">", "\uE004", "&")

// headlineOptions picks one fragment of about 15 to 35 words around the
// matches, the size of a result line.
const headlineOptions = "StartSel=" + markStart + ", StopSel=" + markStop + ", MaxWords=35, MinWords=15"

type searchRow struct {
	ID             int64     `bun:"id"`
	ConversationID string    `bun:"conversation_id"`
	Seq            int64     `bun:"seq"`
	SenderID       *int64    `bun:"sender_id"`
	Sender         *string   `bun:"sender"`
	CreatedAt      time.Time `bun:"created_at"`
	Rank           float32   `bun:"rank"`
	Snippet        string    `bun:"snippet"`
}

// SearchMessages returns a page of the messages matching req.Query in the
// conversations userID is a member of, ranked by relevance (ts_rank), newest
// first on ties.
//
// Authorization is inside the statement: the messages searched are those of
// ARRAY(the searcher's memberships), so a forgotten check finds nothing.
// A member searches the whole history of a conversation, as History lets
// them scroll through all of it (there is no "only since joining" rule).
// Deleted, erased and system messages have a NULL search column and never
// match. Pages are keyset-paged on (rank, id): a page costs the same deep
// in the results as on top. The statement runs under a timeout; a query
// that would take longer fails with CodeSearchTimeout.
func (s *Store) SearchMessages(ctx context.Context, userID int64, req shared.SearchRequest) (shared.SearchResults, error) {
	q, fe := shared.ParseSearch(req.Query)
	if fe != nil {
		return shared.SearchResults{}, fieldErr(fe)
	}
	scope := ""
	if req.ConversationID != "" {
		id, err := cleanConvID(req.ConversationID)
		if err != nil {
			return shared.SearchResults{}, err
		}
		scope = id
	}
	afterRank, afterID, err := parseCursor(req.Cursor)
	if err != nil {
		return shared.SearchResults{}, err
	}
	limit := req.Limit
	if limit <= 0 {
		limit = shared.SearchPageDefault
	}
	limit = min(limit, shared.SearchPageMax)

	var rows []searchRow
	err = s.DB.RunInTx(ctx, &sql.TxOptions{ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		timeout := s.SearchTimeout
		if timeout <= 0 {
			timeout = DefaultSearchTimeout
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", timeout.Milliseconds())); err != nil {
			return err
		}
		lang, err := searchLanguage(ctx, tx)
		if err != nil {
			return err
		}
		query, args := searchSQL(lang, userID, scope, q, afterRank, afterID, limit+1)
		return tx.NewRaw(query, args...).Scan(ctx, &rows)
	})
	if pgCode(err) == "57014" { // query_canceled: the statement timeout
		return shared.SearchResults{}, &shared.Error{Code: shared.CodeSearchTimeout,
			Message: "This search took too long; add a word or a filter (from:, in:, after:) to narrow it."}
	}
	if err != nil {
		return shared.SearchResults{}, fmt.Errorf("store: search messages: %w", err)
	}
	res := shared.SearchResults{Hits: make([]shared.SearchHit, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			last := rows[limit-1]
			res.Next = strconv.FormatFloat(float64(last.Rank), 'g', -1, 32) + "/" + strconv.FormatInt(last.ID, 10)
			break
		}
		h := shared.SearchHit{ConversationID: r.ConversationID, Seq: r.Seq, CreatedAt: utc(r.CreatedAt), Rank: r.Rank,
			Snippet: snippet(r.Snippet, q)}
		if r.SenderID != nil {
			h.SenderID = *r.SenderID
		}
		if r.Sender != nil {
			h.Sender = *r.Sender
		}
		res.Hits = append(res.Hits, h)
	}
	return res, nil
}

// searchSQL builds the statement and its arguments. Every value is a bound
// argument; the words are letters and digits only (shared.SearchWords) and
// are quoted as lexemes all the same.
func searchSQL(lang string, userID int64, scope string, q shared.SearchQuery, afterRank float32, afterID int64, limit int) (string, []any) {
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

// tsQuery turns the words into to_tsquery input: all of them (AND), the
// last as a prefix when the query ends mid-word.
func tsQuery(q shared.SearchQuery) string {
	parts := make([]string, len(q.Words))
	for i, w := range q.Words {
		parts[i] = "'" + w + "'"
		if q.Prefix && i == len(q.Words)-1 {
			parts[i] += ":*"
		}
	}
	return strings.Join(parts, " & ")
}

// searchLanguage reads the text search configuration the search column is
// built with, so queries are always parsed the way the rows were, on every
// node, whatever `natter admin search-language` last set.
func searchLanguage(ctx context.Context, db bun.IDB) (string, error) {
	var lang string
	err := db.NewRaw(`SELECT coalesce(substring(pg_get_expr(d.adbin, d.adrelid) FROM 'to_tsvector\(''([^'']+)''::regconfig'), 'simple')
		FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
		WHERE d.adrelid = 'messages'::regclass AND a.attname = 'search'`).Scan(ctx, &lang)
	if errors.Is(err, sql.ErrNoRows) {
		return "simple", nil
	}
	return lang, err
}

// parseCursor reads "rank/id" as SearchMessages writes it; "" is the start.
func parseCursor(c string) (float32, int64, error) {
	if c == "" {
		return 0, 0, nil
	}
	bad := &shared.Error{Code: shared.CodeSearchInvalid, Message: "This page of results is no longer valid; search again."}
	r, id, ok := strings.Cut(c, "/")
	if !ok {
		return 0, 0, bad
	}
	rank, err := strconv.ParseFloat(r, 32)
	if err != nil {
		return 0, 0, bad
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, 0, bad
	}
	return float32(rank), n, nil
}

// snippet turns ts_headline's fragment into parts. ts_headline chose the
// fragment; the words are marked again by the index's own rule
// (shared.Highlight), because PostgreSQL's parser reads "example.com" as
// one host name and would not mark "example" in it, though the index
// (which splits on punctuation) matched it there.
func snippet(fragment string, q shared.SearchQuery) []shared.SnippetPart {
	text := headlineBack.Replace(fragment)
	return shared.Highlight(text, q, 0)
}
