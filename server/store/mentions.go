package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// MentionedMembers returns the members of conversation convID whose
// nickname (compared in lower case, as shared.Mentions gives them) is among
// nicknames, leaving out the sender and anyone who blocked the sender. A
// mention is the one thing that reaches a person through their mute, so the
// push planner asks this once per message that mentions someone; a block
// still silences it.
func (s *Store) MentionedMembers(ctx context.Context, convID string, senderID int64, nicknames []string) ([]int64, error) {
	if len(nicknames) == 0 {
		return nil, nil
	}
	var ids []int64
	err := s.DB.NewRaw(`
		SELECT m.user_id
		FROM conversation_members m
		JOIN users u ON u.id = m.user_id
		WHERE m.conversation_id = ? AND m.user_id <> ?
		  AND lower(u.nickname) IN (?)
		  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = m.user_id AND b.blocked_id = ?)
		ORDER BY m.user_id`,
		convID, senderID, bun.List(nicknames), senderID).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("store: find mentioned members: %w", err)
	}
	return ids, nil
}
