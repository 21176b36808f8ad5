package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"natter/shared"
)

// MuteConversation sets the user's mute of a conversation until until (nil
// unmutes, shared.MuteForever is "until turned back on"), at most once per
// action id like every durable action. Only a member can mute; the member
// row is part of the statement, so a stranger's attempt finds nothing.
// A mute changes nothing anybody else sees.
func (s *Store) MuteConversation(ctx context.Context, userID int64, actionID, convID string, until *time.Time) (shared.Mute, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.Mute{}, err
	}
	return once(ctx, s, userID, actionID, shared.TypeConversationMute, func(ctx context.Context, tx bun.Tx) (shared.Mute, error) {
		var rows []struct {
			Until     *time.Time `bun:"muted_until"`
			ChangedAt time.Time  `bun:"mute_changed_at"`
		}
		err := tx.NewRaw(`UPDATE conversation_members SET muted_until = ?, mute_changed_at = clock_timestamp()
			WHERE conversation_id = ? AND user_id = ? RETURNING muted_until, mute_changed_at`,
			until, convID, userID).Scan(ctx, &rows)
		if err != nil {
			return shared.Mute{}, err
		}
		if len(rows) == 0 {
			return shared.Mute{}, notFound()
		}
		return shared.Mute{ConversationID: convID, Until: utcPtr(rows[0].Until), ChangedAt: rows[0].ChangedAt.UTC()}, nil
	})
}

// Mutes returns every mute state the user ever set (unmuted ones too, with
// Until nil), for caught_up: a device that was away replaces what it holds
// with them, newest ChangedAt first.
func (s *Store) Mutes(ctx context.Context, userID int64) ([]shared.Mute, error) {
	var rows []struct {
		ConversationID string     `bun:"conversation_id"`
		Until          *time.Time `bun:"muted_until"`
		ChangedAt      time.Time  `bun:"mute_changed_at"`
	}
	err := s.DB.NewRaw(`SELECT conversation_id, muted_until, mute_changed_at FROM conversation_members
		WHERE user_id = ? AND mute_changed_at IS NOT NULL ORDER BY conversation_id`, userID).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: mutes: %w", err)
	}
	out := make([]shared.Mute, len(rows))
	for i, r := range rows {
		out[i] = shared.Mute{ConversationID: r.ConversationID, Until: utcPtr(r.Until), ChangedAt: r.ChangedAt.UTC()}
	}
	return out, nil
}

// MutedUntil returns when the user's mute of a conversation ends, or nil
// when it is not muted now: for whoever must decide whether to notify (an
// @mention may want to notify through a mute; that is its caller's choice).
func (s *Store) MutedUntil(ctx context.Context, userID int64, convID string) (*time.Time, error) {
	var until []time.Time
	err := s.DB.NewRaw(`SELECT muted_until FROM conversation_members
		WHERE conversation_id = ? AND user_id = ? AND muted_until > now()`, convID, userID).Scan(ctx, &until)
	if err != nil {
		return nil, fmt.Errorf("store: muted until: %w", err)
	}
	if len(until) == 0 {
		return nil, nil
	}
	return utcPtr(&until[0]), nil
}
