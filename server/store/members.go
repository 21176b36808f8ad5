package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"natter/shared"
)

// lockAsMember locks a conversation row for a membership or settings change
// and returns it with whether userID owns it. Every such change locks the
// row first, so they run one at a time per conversation.
//
// The lock is FOR NO KEY UPDATE, the level a sender's UPDATE of last_seq
// takes: it serialises with senders and other changes but not with the
// foreign-key checks of rows that reference the conversation (a
// seen_history insert), which would otherwise deadlock against MarkSeen.
//
// Membership is read in a second statement on purpose: under READ COMMITTED
// a statement that waited for the lock still sees its old snapshot, and a
// member row read in the same statement could predate a removal or an
// ownership transfer that committed meanwhile.
func lockAsMember(ctx context.Context, tx bun.Tx, convID string, userID int64) (conversationRow, bool, error) {
	var row conversationRow
	err := tx.NewRaw(`SELECT `+conversationColumns+` FROM conversations c
		WHERE c.id = ? AND EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = c.id AND m.user_id = ?)
		FOR NO KEY UPDATE`, convID, userID).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return row, false, notFound()
	}
	if err != nil {
		return row, false, err
	}
	var owner bool
	err = tx.NewRaw(`SELECT owner FROM conversation_members WHERE conversation_id = ? AND user_id = ?`,
		convID, userID).Scan(ctx, &owner)
	if errors.Is(err, sql.ErrNoRows) {
		return row, false, notFound()
	}
	return row, owner, err
}

// lockAsOwner is lockAsMember for the owner's actions on an open
// conversation; verb completes "Only the owner can ...".
func lockAsOwner(ctx context.Context, tx bun.Tx, convID string, userID int64, verb string) (conversationRow, error) {
	row, owner, err := lockAsMember(ctx, tx, convID, userID)
	if err != nil {
		return row, err
	}
	if row.ClosedAt != nil {
		return row, errClosed()
	}
	if !owner {
		return row, domainErr(shared.CodeNotOwner, fmt.Sprintf("Only the owner can %s this conversation.", verb))
	}
	return row, nil
}

func errClosed() error {
	return domainErr(shared.CodeClosed, "This conversation is closed.")
}

// isMember reports whether a user is in a conversation, inside tx.
func isMember(ctx context.Context, db bun.IDB, convID string, userID int64) (bool, error) {
	var ok bool
	err := db.NewRaw(`SELECT EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = ? AND user_id = ?)`,
		convID, userID).Scan(ctx, &ok)
	return ok, err
}

// AddMember brings a user into a group conversation. Only the owner may, on
// an open conversation that is not a one-to-one, and not someone who blocked
// them (CodeBlocked). The newcomer's read cursor starts at the newest
// message, so they do not inherit the whole history as unread (it is still
// there to scroll).
func (s *Store) AddMember(ctx context.Context, userID int64, actionID, convID string, memberID int64) (shared.Conversation, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.Conversation{}, err
	}
	return once(ctx, s, userID, actionID, shared.TypeMemberAdd, func(ctx context.Context, tx bun.Tx) (shared.Conversation, error) {
		row, err := lockAsOwner(ctx, tx, convID, userID, "add people to")
		if err != nil {
			return shared.Conversation{}, err
		}
		if row.Direct {
			return shared.Conversation{}, domainErr(shared.CodeInvalid,
				"People cannot be added to a one-to-one conversation; start a group conversation instead.")
		}
		if err := checkUsersActive(ctx, tx, []int64{memberID}); err != nil {
			return shared.Conversation{}, err
		}
		var count int
		var already bool
		err = tx.NewRaw(`SELECT count(*), coalesce(bool_or(user_id = ?), false) FROM conversation_members WHERE conversation_id = ?`,
			memberID, convID).Scan(ctx, &count, &already)
		if err != nil {
			return shared.Conversation{}, err
		}
		if already {
			return shared.Conversation{}, domainErr(shared.CodeAlreadyMember, "This person is already in the conversation.")
		}
		if count >= shared.MaxMembers {
			return shared.Conversation{}, domainErr(shared.CodeTooManyMembers,
				fmt.Sprintf("A conversation can have at most %d members.", shared.MaxMembers))
		}
		_, leftOut, err := leaveOutBlockers(ctx, tx, userID, []int64{memberID})
		if err != nil {
			return shared.Conversation{}, err
		}
		if len(leftOut) > 0 {
			return shared.Conversation{}, errBlocked(leftOut)
		}
		_, err = tx.NewRaw(`INSERT INTO conversation_members (conversation_id, user_id, seen_seq) VALUES (?, ?, ?)`,
			convID, memberID, row.LastSeq).Exec(ctx)
		if err != nil {
			return shared.Conversation{}, err
		}
		return conversationByID(ctx, tx, convID)
	})
}

// RemoveMember takes a user out of a group conversation. Only the owner may,
// on an open conversation; the owner removes themself by transferring
// ownership and leaving. The removed user is memberID; the result is the
// conversation as the remaining members see it.
func (s *Store) RemoveMember(ctx context.Context, userID int64, actionID, convID string, memberID int64) (shared.Conversation, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.Conversation{}, err
	}
	return once(ctx, s, userID, actionID, shared.TypeMemberRemove, func(ctx context.Context, tx bun.Tx) (shared.Conversation, error) {
		row, err := lockAsOwner(ctx, tx, convID, userID, "remove people from")
		if err != nil {
			return shared.Conversation{}, err
		}
		if memberID == userID {
			return shared.Conversation{}, domainErr(shared.CodeInvalid,
				"You cannot remove yourself: transfer ownership to someone else first, then leave.")
		}
		if row.Direct {
			return shared.Conversation{}, domainErr(shared.CodeInvalid,
				"Nobody can be removed from a one-to-one conversation; close it or leave it instead.")
		}
		res, err := tx.NewRaw(`DELETE FROM conversation_members WHERE conversation_id = ? AND user_id = ?`, convID, memberID).Exec(ctx)
		if err != nil {
			return shared.Conversation{}, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return shared.Conversation{}, domainErr(shared.CodeNotMember, "This person is not in the conversation.")
		}
		return conversationByID(ctx, tx, convID)
	})
}

// LeaveConversation takes the user out of a conversation, open or closed.
// The owner of an open group must transfer ownership first unless they are
// the last member. In a one-to-one either person may leave; ownership passes
// to the other, and the pair key is dropped so a new one-to-one can start.
// A closed group takes no ownership transfer, so its owner may leave too and
// ownership passes to the longest-standing member: everyone can leave every
// conversation. The result is the conversation as the remaining members see
// it.
func (s *Store) LeaveConversation(ctx context.Context, userID int64, actionID, convID string) (shared.Conversation, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.Conversation{}, err
	}
	return once(ctx, s, userID, actionID, shared.TypeConversationLeave, func(ctx context.Context, tx bun.Tx) (shared.Conversation, error) {
		row, owner, err := lockAsMember(ctx, tx, convID, userID)
		if err != nil {
			return shared.Conversation{}, err
		}
		var others int
		err = tx.NewRaw(`SELECT count(*) FROM conversation_members WHERE conversation_id = ? AND user_id <> ?`,
			convID, userID).Scan(ctx, &others)
		if err != nil {
			return shared.Conversation{}, err
		}
		if owner && others > 0 && !row.Direct && row.ClosedAt == nil {
			return shared.Conversation{}, domainErr(shared.CodeOwnerCannotLeave,
				"You own this conversation: transfer ownership to another member before leaving.")
		}
		if _, err := tx.NewRaw(`DELETE FROM conversation_members WHERE conversation_id = ? AND user_id = ?`,
			convID, userID).Exec(ctx); err != nil {
			return shared.Conversation{}, err
		}
		if owner && others > 0 {
			// A one-to-one or a closed group: the remaining member who
			// joined first becomes the owner, so there is still exactly one.
			if _, err := tx.NewRaw(`UPDATE conversation_members SET owner = true
				WHERE conversation_id = ? AND user_id = (SELECT user_id FROM conversation_members
					WHERE conversation_id = ? ORDER BY joined_at, user_id LIMIT 1)`,
				convID, convID).Exec(ctx); err != nil {
				return shared.Conversation{}, err
			}
		}
		if row.Direct {
			if _, err := tx.NewRaw(`UPDATE conversations SET direct_key = NULL WHERE id = ?`, convID).Exec(ctx); err != nil {
				return shared.Conversation{}, err
			}
		}
		return conversationByID(ctx, tx, convID)
	})
}

// TransferOwner makes another member the owner. Only the owner may, on an
// open conversation. The old owner's flag is cleared first, in the same
// transaction, because the one-owner index is checked row by row.
func (s *Store) TransferOwner(ctx context.Context, userID int64, actionID, convID string, newOwnerID int64) (shared.Conversation, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.Conversation{}, err
	}
	return once(ctx, s, userID, actionID, shared.TypeOwnerTransfer, func(ctx context.Context, tx bun.Tx) (shared.Conversation, error) {
		if _, err := lockAsOwner(ctx, tx, convID, userID, "transfer ownership of"); err != nil {
			return shared.Conversation{}, err
		}
		if newOwnerID == userID {
			return shared.Conversation{}, domainErr(shared.CodeInvalid, "You already own this conversation.")
		}
		ok, err := isMember(ctx, tx, convID, newOwnerID)
		if err != nil {
			return shared.Conversation{}, err
		}
		if !ok {
			return shared.Conversation{}, domainErr(shared.CodeNotMember, "Ownership can only go to a member of the conversation.")
		}
		if _, err := tx.NewRaw(`UPDATE conversation_members SET owner = false WHERE conversation_id = ? AND owner`,
			convID).Exec(ctx); err != nil {
			return shared.Conversation{}, err
		}
		if _, err := tx.NewRaw(`UPDATE conversation_members SET owner = true WHERE conversation_id = ? AND user_id = ?`,
			convID, newOwnerID).Exec(ctx); err != nil {
			return shared.Conversation{}, err
		}
		return conversationByID(ctx, tx, convID)
	})
}
