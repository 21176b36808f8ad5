package store

import (
	"context"
)

// MembersOfRows exposes the former one-row-per-member read to the paired
// benchmark.
func (s *Store) MembersOfRows(ctx context.Context, convIDs []string) (map[string][]int64, error) {
	return membersOfRows(ctx, s.DB, convIDs)
}
