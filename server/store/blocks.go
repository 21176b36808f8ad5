package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"natter/shared"
)

// Blocking (issue 7, consent). A block stops the blocked person from
// bringing the blocker into a conversation: a new one-to-one is refused, a
// new group is created without the blocker, an add is refused. The checks
// run inside the transaction of the create or add, so what is decided is
// what is written.
//
// A block and a create that overlap in time need no lock between them:
// blocks do not touch existing conversations, so a create that read the
// blocks before the block committed is simply ordered before it, and one
// that read after it sees it.

// Created is the result of creating a conversation: the conversation, and
// the people it was created without. It is what applied_actions records for
// a conversation.create, so a replay tells the creator the same thing. The
// embedded conversation keeps the JSON flat, so results recorded before
// blocking existed still decode.
type Created struct {
	shared.Conversation
	LeftOut []shared.LeftOut `json:"left_out,omitempty"`
}

// BlockUser records that blockerID blocks blockedID and returns the block.
// Blocking someone twice returns the first block unchanged. Blocking
// yourself is CodeInvalid, an unknown person CodeUserNotFound, and a
// blocker past shared.MaxBlocks CodeTooManyBlocks.
func (s *Store) BlockUser(ctx context.Context, blockerID, blockedID int64) (shared.Block, error) {
	if blockerID == blockedID {
		return shared.Block{}, domainErr(shared.CodeInvalid, "You cannot block yourself.")
	}
	var b shared.Block
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// The blocker's row is the lock that makes the quota exact: two
		// blocks by one person run one after the other. NO KEY UPDATE does
		// not wait for the foreign-key checks of rows that reference users.
		if _, err := tx.NewRaw(`SELECT id FROM users WHERE id = ? FOR NO KEY UPDATE`, blockerID).Exec(ctx); err != nil {
			return err
		}
		var nick string
		err := tx.NewRaw(`SELECT nickname FROM users WHERE id = ?`, blockedID).Scan(ctx, &nick)
		if errors.Is(err, sql.ErrNoRows) {
			return domainErr(shared.CodeUserNotFound, "There is no such person.")
		}
		if err != nil {
			return err
		}
		b = shared.Block{UserID: blockedID, Nickname: nick}
		var at []time.Time
		err = tx.NewRaw(`SELECT created_at FROM blocks WHERE blocker_id = ? AND blocked_id = ?`,
			blockerID, blockedID).Scan(ctx, &at)
		if err != nil {
			return err
		}
		if len(at) > 0 {
			b.CreatedAt = utc(at[0])
			return nil
		}
		var n int
		if err := tx.NewRaw(`SELECT count(*) FROM blocks WHERE blocker_id = ?`, blockerID).Scan(ctx, &n); err != nil {
			return err
		}
		if n >= shared.MaxBlocks {
			return domainErr(shared.CodeTooManyBlocks,
				fmt.Sprintf("You have blocked %d people, the most one account can; unblock someone first.", n))
		}
		var created time.Time
		err = tx.NewRaw(`INSERT INTO blocks (blocker_id, blocked_id) VALUES (?, ?) RETURNING created_at`,
			blockerID, blockedID).Scan(ctx, &created)
		b.CreatedAt = utc(created)
		return err
	})
	if err != nil {
		return shared.Block{}, wrap("block user", err)
	}
	return b, nil
}

// UnblockUser removes blockerID's block of blockedID and reports whether
// there was one. Unblocking someone not blocked is not an error: the
// outcome the person wanted holds either way.
func (s *Store) UnblockUser(ctx context.Context, blockerID, blockedID int64) (bool, error) {
	res, err := s.DB.NewRaw(`DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?`, blockerID, blockedID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("store: unblock user: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Blocks lists the people userID blocked, newest first, with their current
// nicknames. The query can only ever return the asker's own blocks.
func (s *Store) Blocks(ctx context.Context, userID int64) ([]shared.Block, error) {
	var rows []struct {
		UserID    int64     `bun:"user_id"`
		Nickname  string    `bun:"nickname"`
		CreatedAt time.Time `bun:"created_at"`
	}
	err := s.DB.NewRaw(`SELECT b.blocked_id AS user_id, u.nickname, b.created_at
		FROM blocks b JOIN users u ON u.id = b.blocked_id
		WHERE b.blocker_id = ?
		ORDER BY b.created_at DESC, b.blocked_id DESC`, userID).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: blocks: %w", err)
	}
	out := make([]shared.Block, len(rows))
	for i, r := range rows {
		out[i] = shared.Block{UserID: r.UserID, Nickname: r.Nickname, CreatedAt: utc(r.CreatedAt)}
	}
	return out, nil
}

// leaveOutBlockers splits ids into the people who accept conversations from
// userID and the ones who blocked them, in the order of ids.
func leaveOutBlockers(ctx context.Context, db bun.IDB, userID int64, ids []int64) ([]int64, []shared.LeftOut, error) {
	var blockers []struct {
		ID       int64  `bun:"id"`
		Nickname string `bun:"nickname"`
	}
	err := db.NewRaw(`SELECT u.id, u.nickname FROM blocks b JOIN users u ON u.id = b.blocker_id
		WHERE b.blocked_id = ? AND b.blocker_id = ANY(?::bigint[])`,
		userID, pgdialect.Array(ids)).Scan(ctx, &blockers)
	if err != nil {
		return nil, nil, fmt.Errorf("blockers: %w", err)
	}
	if len(blockers) == 0 {
		return ids, nil, nil
	}
	nick := make(map[int64]string, len(blockers))
	for _, b := range blockers {
		nick[b.ID] = b.Nickname
	}
	kept := make([]int64, 0, len(ids))
	var out []shared.LeftOut
	for _, id := range ids {
		n, blocked := nick[id]
		if !blocked {
			kept = append(kept, id)
			continue
		}
		out = append(out, shared.LeftOut{UserID: id, Nickname: n, Reason: shared.CodeBlocked})
	}
	return kept, out, nil
}

// errBlocked is the answer when everyone an action would bring in has
// blocked the actor. The issue asks for a clear error, so it names the
// person, in words that state the outcome without accusing anyone.
func errBlocked(leftOut []shared.LeftOut) error {
	if len(leftOut) == 1 {
		return domainErr(shared.CodeBlocked,
			fmt.Sprintf("%s is not accepting new conversations from you.", leftOut[0].Nickname))
	}
	return domainErr(shared.CodeBlocked, "None of the people you chose are accepting new conversations from you.")
}

// createdAs wraps an existing conversation as the result of a create that
// left nobody out.
func createdAs(c shared.Conversation, err error) (Created, error) {
	return Created{Conversation: c}, err
}
