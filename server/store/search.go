package store

import (
	"context"
	"database/sql"
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
	Bound          int64     `bun:"bound"`
	Cut            bool      `bun:"cut"`
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
//
// Common words are ranked among recent matches only: each conversation's
// newest matches, searchRecent in all and at least searchRecentEach each,
// when that is cheaper than ranking every match (choosePlan). Such a word
// is in tens of thousands of a heavy user's messages, and ranking them all
// costs a hundred milliseconds for a list nobody reads to the end; the
// newest of them are found by reading a few rows per match. Rarer words,
// and every query with a from:, before:, after: or has:link filter, rank
// every match.
func (s *Store) SearchMessages(ctx context.Context, userID int64, req shared.SearchRequest) (shared.SearchResults, error) {
	return s.search(ctx, userID, req, planAuto)
}

// search is SearchMessages with the plan chosen by force unless planAuto.
func (s *Store) search(ctx context.Context, userID int64, req shared.SearchRequest, force searchPlan) (shared.SearchResults, error) {
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
	cur, err := parseCursor(req.Cursor)
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
		// JIT off: the plans here are a few milliseconds of work, and a
		// misestimate past jit_above_cost would add tens of milliseconds
		// of compiling to each.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d; SET LOCAL jit = off", timeout.Milliseconds())); err != nil {
			return err
		}
		st := searchStatement{userID: userID, scope: scope, q: q, after: cur, limit: limit + 1}
		lang, plan, err := choosePlan(ctx, tx, st, force)
		if err != nil {
			return err
		}
		st.lang = lang
		var query string
		var args []any
		if plan == planRecent {
			query, args = st.recentSQL()
		} else {
			query, args = st.allSQL()
		}
		return tx.NewRaw(query, args...).Scan(ctx, &rows)
	})
	if pgCode(err) == "57014" { // query_canceled: the statement timeout
		return shared.SearchResults{}, &shared.Error{Code: shared.CodeSearchTimeout,
			Message: "This search took too long; add a word or a filter (from:, in:, after:) to narrow it."}
	}
	if err != nil {
		return shared.SearchResults{}, fmt.Errorf("store: search messages: %w", err)
	}
	res := shared.SearchResults{Hits: make([]shared.SearchHit, 0, min(len(rows), limit)), Recent: len(rows) > 0 && rows[0].Cut}
	for i, r := range rows {
		if i == limit {
			last := rows[limit-1]
			res.Next = searchCursor{rank: last.Rank, id: last.ID, bound: last.Bound}.String()
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

// languageSQL reads the text search configuration the search column is
// built with, as a scalar subquery ('simple' when there is no column).
const languageSQL = `coalesce((SELECT substring(pg_get_expr(d.adbin, d.adrelid) FROM 'to_tsvector\(''([^'']+)''::regconfig')
		FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
		WHERE d.adrelid = 'messages'::regclass AND a.attname = 'search'), 'simple')`

// searchLanguage reads the text search configuration the search column is
// built with, so queries are always parsed the way the rows were, on every
// node, whatever `natter admin search-language` last set.
func searchLanguage(ctx context.Context, db bun.IDB) (string, error) {
	var lang string
	err := db.NewRaw(`SELECT `+languageSQL).Scan(ctx, &lang)
	return lang, err
}

// searchCursor is a position in the results: the last hit's rank and id,
// and for a search among recent matches the newest candidate's id, so
// the following pages rank the same candidates whatever was sent since.
type searchCursor struct {
	rank  float32
	id    int64
	bound int64
}

// String writes the cursor as parseCursor reads it: "rank/id", or
// "rank/id/bound" among recent matches.
func (c searchCursor) String() string {
	s := strconv.FormatFloat(float64(c.rank), 'g', -1, 32) + "/" + strconv.FormatInt(c.id, 10)
	if c.bound > 0 {
		s += "/" + strconv.FormatInt(c.bound, 10)
	}
	return s
}

// parseCursor reads a cursor searchCursor.String wrote; "" is the start.
func parseCursor(c string) (searchCursor, error) {
	if c == "" {
		return searchCursor{}, nil
	}
	bad := &shared.Error{Code: shared.CodeSearchInvalid, Message: "This page of results is no longer valid; search again."}
	parts := strings.Split(c, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return searchCursor{}, bad
	}
	rank, err := strconv.ParseFloat(parts[0], 32)
	if err != nil {
		return searchCursor{}, bad
	}
	cur := searchCursor{rank: float32(rank)}
	if cur.id, err = strconv.ParseInt(parts[1], 10, 64); err != nil || cur.id <= 0 {
		return searchCursor{}, bad
	}
	if len(parts) == 3 {
		if cur.bound, err = strconv.ParseInt(parts[2], 10, 64); err != nil || cur.bound < cur.id {
			return searchCursor{}, bad
		}
	}
	return cur, nil
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
