package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"natter/shared"
	"slices"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Starting a conversation: validation, one-to-one deduplication, people who
// blocked the creator, and idempotency, in one transaction.

// CreateConversation is CreateConversationReport for callers that need only
// the conversation.
func (s *Store) CreateConversation(ctx context.Context, userID int64, actionID string, req shared.ConversationCreate) (shared.Conversation, error) {
	c, err := s.CreateConversationReport(ctx, userID, actionID, req)
	return c.Conversation, err
}

// CreateConversationReport starts a conversation with the creator as owner
// and returns it. req.ID is the client's UUID. One other member and no title
// make a one-to-one; when the two already share an open one, that one is
// returned instead (with a different id) so the client moves its queue
// there. A new one-to-one with someone who blocked the creator is refused
// with CodeBlocked; a group leaves such people out and names them in
// LeftOut (CodeBlocked again when nobody is left). Replaying the action
// returns the first result, LeftOut included.
func (s *Store) CreateConversationReport(ctx context.Context, userID int64, actionID string, req shared.ConversationCreate) (Created, error) {
	if !shared.IsUUID(req.ID) {
		return Created{}, domainErr(shared.CodeInvalid, "The conversation id must be a UUID.")
	}
	convID := strings.ToLower(req.ID)
	title := cleanTitle(req.Title)
	if fe := shared.ValidateTitle(title); fe != nil {
		return Created{}, fieldErr(fe)
	}
	others := make([]int64, 0, len(req.MemberIDs))
	seen := map[int64]bool{userID: true}
	for _, id := range req.MemberIDs {
		if !seen[id] {
			seen[id] = true
			others = append(others, id)
		}
	}
	if len(others) == 0 {
		return Created{}, domainErr(shared.CodeInvalid, "Choose at least one other person for the conversation.")
	}
	if len(others)+1 > shared.MaxMembers {
		return Created{}, domainErr(shared.CodeTooManyMembers,
			fmt.Sprintf("A conversation can have at most %d members.", shared.MaxMembers))
	}
	return once(ctx, s, userID, actionID, shared.TypeConversationCreate, func(ctx context.Context, tx bun.Tx) (Created, error) {
		if err := checkUsersActive(ctx, tx, others); err != nil {
			return Created{}, err
		}
		var directKey *string
		if len(others) == 1 && title == "" {
			k := directKeyOf(userID, others[0])
			directKey = &k
			var existing string
			err := tx.NewRaw(`SELECT id FROM conversations WHERE direct_key = ?`, k).Scan(ctx, &existing)
			if err == nil {
				// Returned even when one of the two has blocked the other
				// since: a block leaves existing conversations alone, and
				// this answer brings nobody anywhere new.
				return createdAs(conversationByID(ctx, tx, existing))
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return Created{}, err
			}
		}
		kept, leftOut, err := leaveOutBlockers(ctx, tx, userID, others)
		if err != nil {
			return Created{}, err
		}
		if len(kept) == 0 {
			return Created{}, errBlocked(leftOut)
		}
		res, err := tx.NewRaw(`INSERT INTO conversations (id, title, direct, direct_key, created_by)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			convID, title, directKey != nil, directKey, userID).Exec(ctx)
		if err != nil {
			return Created{}, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if directKey != nil {
				// Another transaction made the same one-to-one while this one
				// waited: it is visible now, to this new statement.
				var existing string
				err := tx.NewRaw(`SELECT id FROM conversations WHERE direct_key = ?`, *directKey).Scan(ctx, &existing)
				if err == nil {
					return createdAs(conversationByID(ctx, tx, existing))
				}
			}
			// The same id made by the same person is this very action
			// replayed after its applied_actions record was pruned (the
			// outbox may replay a create for as long as it waits): answer
			// with the conversation, as the record would have, if they are
			// still in it. Anyone else's id is someone else's conversation.
			var mine bool
			err := tx.NewRaw(`SELECT EXISTS (SELECT 1 FROM conversations c
				JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = ?
				WHERE c.id = ? AND c.created_by = ?)`, userID, convID, userID).Scan(ctx, &mine)
			if err == nil && mine {
				return createdAs(conversationByID(ctx, tx, convID))
			}
			return Created{}, domainErr(shared.CodeInvalid, "A conversation with this id exists already.")
		}
		_, err = tx.NewRaw(`INSERT INTO conversation_members (conversation_id, user_id, owner)
			SELECT ?, u, u = ? FROM unnest(?::bigint[]) AS u`,
			convID, userID, pgdialect.Array(append([]int64{userID}, kept...))).Exec(ctx)
		if err != nil {
			return Created{}, err
		}
		c, err := conversationByID(ctx, tx, convID)
		return Created{Conversation: c, LeftOut: leftOut}, err
	})
}

// cleanTitle trims a title and drops NUL characters, which PostgreSQL
// text cannot hold.
func cleanTitle(t string) string {
	return strings.TrimSpace(strings.ReplaceAll(t, "\x00", ""))
}

// directKeyOf names the pair of a one-to-one, lower id first.
func directKeyOf(a, b int64) string {
	if a > b {
		a, b = b, a
	}
	return fmt.Sprintf("%d:%d", a, b)
}

// checkUsersActive fails with CodeUserNotFound unless every id is an
// enabled account; disabled accounts cannot be brought into conversations.
func checkUsersActive(ctx context.Context, db bun.IDB, ids []int64) error {
	var found []int64
	err := db.NewRaw(`SELECT id FROM users WHERE id = ANY(?::bigint[]) AND disabled_at IS NULL`,
		pgdialect.Array(ids)).Scan(ctx, &found)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.Contains(found, id) {
			return domainErr(shared.CodeUserNotFound, fmt.Sprintf("User %d does not exist or cannot be added.", id))
		}
	}
	return nil
}
