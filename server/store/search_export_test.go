package store

import (
	"context"
	"strings"

	"natter/shared"
)

// Search plans for tests, which compare them on the same rows.
const (
	PlanAll    = planAll
	PlanRecent = planRecent
)

// SearchRecent and SearchRecentEach bound a search among recent matches.
const (
	SearchRecent     = searchRecent
	SearchRecentEach = searchRecentEach
)

// SearchMessagesPlan is SearchMessages with the plan forced for the first
// page (following pages follow their cursor, as they do in
// SearchMessages).
func (s *Store) SearchMessagesPlan(ctx context.Context, userID int64, req shared.SearchRequest, plan searchPlan) (shared.SearchResults, error) {
	if req.Cursor != "" {
		plan = planAuto
	}
	return s.search(ctx, userID, req, plan)
}

// SearchPlanFor reports the plan SearchMessages chooses for a first page
// of query by userID.
func (s *Store) SearchPlanFor(ctx context.Context, userID int64, query string) (string, error) {
	q, fe := shared.ParseSearch(query)
	if fe != nil {
		return "", fe
	}
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	_, plan, err := choosePlan(ctx, tx, searchStatement{userID: userID, q: q}, planAuto)
	if plan == planRecent {
		return "recent", err
	}
	return "all", err
}

// ExplainSearch runs EXPLAIN ANALYZE on the statement SearchMessages would
// run for the query's first page and returns the plan's scan and timing
// lines, for the benchmark's log.
func (s *Store) ExplainSearch(ctx context.Context, userID int64, query string) (string, error) {
	q, fe := shared.ParseSearch(query)
	if fe != nil {
		return "", fe
	}
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL jit = off"); err != nil {
		return "", err
	}
	st := searchStatement{userID: userID, q: q, limit: shared.SearchPageDefault + 1}
	lang, plan, err := choosePlan(ctx, tx, st, planAuto)
	if err != nil {
		return "", err
	}
	st.lang = lang
	sql, args := st.allSQL()
	if plan == planRecent {
		sql, args = st.recentSQL()
	}
	var lines []string
	if err := tx.NewRaw(`EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) `+sql, args...).Scan(ctx, &lines); err != nil {
		return "", err
	}
	keep := []string{"plan: " + map[searchPlan]string{planAll: "all matches", planRecent: "recent matches"}[plan]}
	for _, l := range lines {
		if strings.Contains(l, "Scan") || strings.Contains(l, "BitmapAnd") || strings.Contains(l, "Execution") ||
			strings.Contains(l, "Index Cond") || strings.Contains(l, "Filter:") || strings.Contains(l, "Buffers") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n"), nil
}
