package store

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// searchPlan is how a search finds its candidates.
type searchPlan int

const (
	// planAuto chooses planAll or planRecent (choosePlan).
	planAuto searchPlan = iota
	// planAll ranks every match (searchStatement.allSQL).
	planAll
	// planRecent ranks each conversation's newest matches
	// (searchStatement.recentSQL).
	planRecent
)

// The relative costs of the plans' steps, per row, fitted to the fastest
// runs of BenchmarkSearch1M with each plan forced (plan_all, plan_recent;
// docs/BENCHMARKS-search.md): decoding a word's entry in messages_search
// or a message's in messages_conversation_seq into a bitmap costs 1 (about
// 0.02 µs); reading, testing and ranking a match found so costs 100 (a
// heap tuple visited at random, about 2 µs); reading and testing a message
// while walking a conversation backwards costs 22 (its neighbours are
// mostly in pages already read; about 0.4 µs).
const (
	costEntry = 1
	costMatch = 100
	costWalk  = 22
)

// choosePlan sets nothing and returns the text search configuration and
// the cheaper plan for the statement's first page; a following page keeps
// the plan of the first (its cursor says which), so it pages through the
// same candidates. Queries with a from:, before:, after: or has:link
// filter rank every match: the filter makes the matches fewer, but a walk
// over the newest messages would read past all those it rejects.
//
// The costs are estimated from the share of messages holding all the
// words, taken from the statistics ANALYZE keeps on the search column (its
// thousand commonest words with their shares; a word not among them is
// rarer than all of them, and counts as in none; the words count as
// independent; a prefix counts every listed word it begins), the number
// of messages (N) and the searcher's conversations (n) and messages in
// them (U):
//
//	all:    N*(sum of the words' shares) entries of the words + U entries of the conversations + share*U matches
//	recent: walks of max(20n, 1000)/share messages, U at most
//
// For a member of 109 conversations holding 54,500 of a million messages,
// the plan chosen is the faster one for every query of the benchmark and
// the words in between (docs/BENCHMARKS-search.md).
func choosePlan(ctx context.Context, tx bun.Tx, st searchStatement, force searchPlan) (string, searchPlan, error) {
	q, cur := st.q, st.after
	plan := force
	switch {
	case plan != planAuto:
	case cur.id > 0 && cur.bound > 0:
		plan = planRecent
	case cur.id > 0, len(q.Words) == 0, q.From != "", !q.Before.IsZero(), !q.After.IsZero(), q.HasLink:
		plan = planAll
	}
	if plan != planAuto {
		lang, err := searchLanguage(ctx, tx)
		return lang, plan, err
	}
	prefix := 0 // the 1-based position of the prefix word, if any
	if q.Prefix {
		prefix = len(q.Words)
	}
	var est struct {
		Lang     string    `bun:"lang"`
		Shares   []float64 `bun:"shares,array"`
		Messages float64   `bun:"messages"`
		Convs    float64   `bun:"convs"`
		Mine     float64   `bun:"mine"`
	}
	var s sqlText
	s.add(`WITH common AS (
			SELECT c.word, c.share FROM pg_stats st,
				unnest(st.most_common_elems::text::text[], st.most_common_elem_freqs) AS c(word, share)
			WHERE st.schemaname = current_schema() AND st.tablename = 'messages' AND st.attname = 'search'
				AND c.word IS NOT NULL)
		SELECT `+languageSQL+` AS lang,
			ARRAY(SELECT (SELECT coalesce(sum(c.share), 0) FROM common c
					WHERE c.word = w.word OR (w.i = ? AND starts_with(c.word, w.word)))
				FROM unnest(?::text[]) WITH ORDINALITY AS w(word, i) ORDER BY w.i) AS shares,
			(SELECT greatest(c.reltuples, 0)::float8 FROM pg_class c WHERE c.oid = 'messages'::regclass) AS messages,
			mine.convs, mine.mine
		FROM (SELECT count(*)::float8 AS convs, coalesce(sum(c.last_seq), 0)::float8 AS mine FROM conversations c
			WHERE c.id = ANY(ARRAY(`, prefix, pgdialect.Array(q.Words))
	st.mine(&s)
	s.add(`))) mine`)
	if err := tx.NewRaw(s.b.String(), s.args...).Scan(ctx, &est); err != nil {
		return "", planAll, err
	}
	share, entries := 1.0, 0.0
	for _, s := range est.Shares {
		share *= min(s, 1)
		entries += s * est.Messages // each word's list is decoded whole
	}
	all := costEntry*entries + costEntry*est.Mine + costMatch*share*est.Mine
	recent := costWalk * est.Mine
	if share > 0 {
		recent = costWalk * min(est.Mine, max(searchRecentEach*est.Convs, searchRecent)/share)
	}
	if recent < all {
		return est.Lang, planRecent, nil
	}
	return est.Lang, planAll, nil
}
