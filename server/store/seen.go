package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"natter/shared"
)

// Read cursors.
//
// Each member has a cursor (conversation_members.seen_seq, seen_at) that
// only moves forward, and every move is kept in seen_history. "Who saw
// message S, and when" is then, per member, the first history row with
// seq >= S: one row per cursor move, not one per (user, message).
//
// Unread count: a member's unread count is Conversation.LastSeq minus their
// Member.SeenSeq. Sending moves the sender's cursor past their own message,
// with its history row, in the inserting statement (see writeMessages):
// replying counts as having seen what came before.

type seenResult struct {
	Seen  shared.Seen `json:"seen"`
	Moved bool        `json:"moved"`
}

// MarkSeen moves the user's read cursor forward to seq, clamped to the
// newest message, and records the move. It reports whether the cursor
// moved; a cursor never moves back, so an older or equal seq returns the
// current cursor with false. Replaying the action returns the first result
// (moved included, so the caller may publish its event again: receivers
// ignore a cursor that does not advance).
func (s *Store) MarkSeen(ctx context.Context, userID int64, actionID, convID string, seq int64) (shared.Seen, bool, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.Seen{}, false, err
	}
	res, err := once(ctx, s, userID, actionID, shared.TypeSeenMark, func(ctx context.Context, tx bun.Tx) (seenResult, error) {
		var row struct {
			Seq      int64      `bun:"seq"`
			SeenAt   *time.Time `bun:"seen_at"`
			Nickname string     `bun:"nickname"`
		}
		err := tx.NewRaw(`WITH up AS (
				UPDATE conversation_members m SET seen_seq = LEAST(?, c.last_seq), seen_at = now()
				FROM conversations c
				WHERE c.id = m.conversation_id AND m.conversation_id = ? AND m.user_id = ?
				  AND LEAST(?, c.last_seq) > m.seen_seq
				RETURNING m.conversation_id, m.user_id, m.seen_seq, m.seen_at),
			hist AS (
				INSERT INTO seen_history (conversation_id, user_id, seq, seen_at)
				SELECT conversation_id, user_id, seen_seq, seen_at FROM up
				ON CONFLICT DO NOTHING)
			SELECT up.seen_seq AS seq, up.seen_at, u.nickname FROM up JOIN users u ON u.id = up.user_id`,
			seq, convID, userID, seq).Scan(ctx, &row)
		moved := err == nil
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.NewRaw(`SELECT m.seen_seq AS seq, m.seen_at, u.nickname
				FROM conversation_members m JOIN users u ON u.id = m.user_id
				WHERE m.conversation_id = ? AND m.user_id = ?`, convID, userID).Scan(ctx, &row)
			if errors.Is(err, sql.ErrNoRows) {
				return seenResult{}, notFound()
			}
		}
		if err != nil {
			return seenResult{}, err
		}
		seen := shared.Seen{UserID: userID, Nickname: row.Nickname, Seq: row.Seq}
		if row.SeenAt != nil {
			seen.At = utc(*row.SeenAt)
		}
		return seenResult{Seen: seen, Moved: moved}, nil
	})
	return res.Seen, res.Moved, err
}

// SeenBy answers "who saw message seq, and when" for a member: every other
// current member (the message's sender left out) whose cursor reached seq,
// with the time it first did, earliest first. For a message read before
// the seen-history retention the time is that of the oldest move kept, an
// upper bound (see CleanupPolicy.SeenRetention); who saw it stays exact.
func (s *Store) SeenBy(ctx context.Context, userID int64, convID string, seq int64) (shared.SeenBy, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.SeenBy{}, err
	}
	ok, err := isMember(ctx, s.DB, convID, userID)
	if err != nil {
		return shared.SeenBy{}, fmt.Errorf("store: seen by: %w", err)
	}
	if !ok {
		return shared.SeenBy{}, notFound()
	}
	var rows []struct {
		UserID   int64     `bun:"user_id"`
		Nickname string    `bun:"nickname"`
		Seq      int64     `bun:"seq"`
		SeenAt   time.Time `bun:"seen_at"`
	}
	// The history key (conversation_id, user_id, seq) makes each lateral
	// lookup one index probe; a cursor only moves forward, so the lowest
	// seq >= S is also the earliest time.
	err = s.DB.NewRaw(`
		SELECT m.user_id, u.nickname, h.seq, h.seen_at
		FROM conversation_members m
		JOIN users u ON u.id = m.user_id
		CROSS JOIN LATERAL (
			SELECT seq, seen_at FROM seen_history h
			WHERE h.conversation_id = m.conversation_id AND h.user_id = m.user_id AND h.seq >= ?
			ORDER BY h.seq LIMIT 1) h
		WHERE m.conversation_id = ?
		  AND m.user_id IS DISTINCT FROM (SELECT sender_id FROM messages WHERE conversation_id = ? AND seq = ?)
		ORDER BY h.seen_at, lower(u.nickname)`, seq, convID, convID, seq).Scan(ctx, &rows)
	if err != nil {
		return shared.SeenBy{}, fmt.Errorf("store: seen by: %w", err)
	}
	out := shared.SeenBy{ConversationID: convID, Seq: seq, Seen: make([]shared.Seen, len(rows))}
	for i, r := range rows {
		out.Seen[i] = shared.Seen{UserID: r.UserID, Nickname: r.Nickname, Seq: r.Seq, At: utc(r.SeenAt)}
	}
	return out, nil
}
