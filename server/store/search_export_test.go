package store

import (
	"context"
	"strings"

	"natter/shared"
)

// ExplainSearch runs EXPLAIN ANALYZE on the statement SearchMessages would
// run for the query's first page and returns the plan's scan and timing
// lines, for the benchmark's log.
func (s *Store) ExplainSearch(ctx context.Context, userID int64, query string) (string, error) {
	q, fe := shared.ParseSearch(query)
	if fe != nil {
		return "", fe
	}
	lang, err := searchLanguage(ctx, s.DB)
	if err != nil {
		return "", err
	}
	sql, args := searchSQL(lang, userID, "", q, 0, 0, shared.SearchPageDefault+1)
	var lines []string
	if err := s.DB.NewRaw(`EXPLAIN (ANALYZE, TIMING OFF) `+sql, args...).Scan(ctx, &lines); err != nil {
		return "", err
	}
	var keep []string
	for _, l := range lines {
		if strings.Contains(l, "Scan on") || strings.Contains(l, "Execution") || strings.Contains(l, "Index Cond") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n"), nil
}
