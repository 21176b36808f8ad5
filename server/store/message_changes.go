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

// Edits, deletions and reactions (shared/edits.go).
//
// Each is a durable action applied once through once(): claim the action
// id, lock the conversation row (the order every writer takes: claim,
// conversation, then rows below it), check membership and who may do what,
// change the message, advance conversations.last_event_seq and stamp the
// changed messages with the new event seq, all in one transaction. The
// recorded result holds no text (a deletion must leave no copy of the body
// behind in applied_actions): only which messages changed and the event;
// the caller reads their current state after the commit.

// MessageChange is the outcome of an edit, deletion or reaction: the
// messages it changed, as they are now, and the event that changed them.
// A change that changed nothing (an edit to the same text, a reaction
// already there) has the messages but no new event.
type MessageChange struct {
	ConversationID string
	EventSeq       int64
	Messages       []shared.Message
}

// changeRef is the recorded result of a change.
type changeRef struct {
	ConversationID string  `json:"conversation_id"`
	EventSeq       int64   `json:"event_seq"`
	Seqs           []int64 `json:"seqs"`
}

// target is the message a change names, locked, with what authorization
// needs to know.
type target struct {
	ID        int64      `bun:"id"`
	Seq       int64      `bun:"seq"`
	SenderID  *int64     `bun:"sender_id"`
	Kind      string     `bun:"kind"`
	Body      string     `bun:"body"`
	DeletedAt *time.Time `bun:"deleted_at"`
	EventSeq  int64      `bun:"event_seq"`
	closed    bool
	owner     bool
}

func (t target) authoredBy(userID int64) bool {
	return t.SenderID != nil && *t.SenderID == userID && t.Kind == shared.KindText
}

func errMessageNotFound() error {
	return domainErr(shared.CodeMessageNotFound, "That message does not exist in this conversation.")
}

func errMessageDeleted() error {
	return domainErr(shared.CodeMessageDeleted, "That message was deleted.")
}

// lockTarget locks the conversation (refusing non-members with the same
// not-found a missing conversation gets) and then the target message.
func lockTarget(ctx context.Context, tx bun.Tx, userID int64, ref shared.MessageRef) (target, error) {
	var conv struct {
		Closed bool `bun:"closed"`
		Owner  bool `bun:"owner"`
	}
	err := tx.NewRaw(`SELECT c.closed_at IS NOT NULL AS closed, m.owner FROM conversations c
		JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = ?
		WHERE c.id = ? FOR NO KEY UPDATE OF c`, userID, ref.ConversationID).Scan(ctx, &conv)
	if errors.Is(err, sql.ErrNoRows) {
		return target{}, notFound()
	}
	if err != nil {
		return target{}, fmt.Errorf("lock conversation: %w", err)
	}
	var t target
	q := `SELECT id, seq, sender_id, kind, body, deleted_at, event_seq FROM messages WHERE conversation_id = ? AND `
	if ref.Seq > 0 {
		err = tx.NewRaw(q+`seq = ? FOR UPDATE`, ref.ConversationID, ref.Seq).Scan(ctx, &t)
	} else {
		err = tx.NewRaw(q+`sender_id = ? AND action_id = ?::uuid FOR UPDATE`, ref.ConversationID, userID, ref.TargetAction).Scan(ctx, &t)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return target{}, errMessageNotFound()
	}
	if err != nil {
		return target{}, fmt.Errorf("lock message: %w", err)
	}
	t.closed, t.owner = conv.Closed, conv.Owner
	return t, nil
}

// nextEvent advances the conversation's event sequence (its row is locked)
// and stamps the messages with it.
func nextEvent(ctx context.Context, tx bun.Tx, convID string, seqs []int64) (int64, error) {
	var ev int64
	err := tx.NewRaw(`UPDATE conversations SET last_event_seq = last_event_seq + 1 WHERE id = ? RETURNING last_event_seq`,
		convID).Scan(ctx, &ev)
	if err != nil {
		return 0, fmt.Errorf("advance event seq: %w", err)
	}
	_, err = tx.NewRaw(`UPDATE messages SET event_seq = ? WHERE conversation_id = ? AND seq = ANY(?::bigint[])`,
		ev, convID, pgdialect.Array(seqs)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("stamp messages: %w", err)
	}
	return ev, nil
}

// cleanRef checks the conversation id and the target's name.
func cleanRef(ref shared.MessageRef) (shared.MessageRef, error) {
	id, err := cleanConvID(ref.ConversationID)
	if err != nil {
		return ref, err
	}
	ref.ConversationID = id
	if ref.Seq <= 0 && !shared.IsUUID(ref.TargetAction) {
		return ref, domainErr(shared.CodeInvalid, "Name the message by its seq or by the action id of its send.")
	}
	return ref, nil
}

// change runs one change action through once and reads the changed
// messages back as they are after it.
func (s *Store) change(ctx context.Context, userID int64, actionID, kind string, ref shared.MessageRef,
	apply func(ctx context.Context, tx bun.Tx, t target) (changeRef, error)) (MessageChange, error) {
	ref, err := cleanRef(ref)
	if err != nil {
		return MessageChange{}, err
	}
	res, err := once(ctx, s, userID, actionID, kind, func(ctx context.Context, tx bun.Tx) (changeRef, error) {
		t, err := lockTarget(ctx, tx, userID, ref)
		if err != nil {
			return changeRef{}, err
		}
		return apply(ctx, tx, t)
	})
	if err != nil {
		return MessageChange{}, err
	}
	msgs, err := s.messagesBySeq(ctx, s.DB, res.ConversationID, res.Seqs)
	if err != nil {
		return MessageChange{}, fmt.Errorf("store: read changed messages: %w", err)
	}
	return MessageChange{ConversationID: res.ConversationID, EventSeq: res.EventSeq, Messages: msgs}, nil
}

// EditMessage replaces the body of the user's own message and keeps the old
// body in its edit history. Only the author edits, not once the
// conversation is closed, and not a deleted message.
func (s *Store) EditMessage(ctx context.Context, userID int64, actionID string, req shared.MessageEdit) (MessageChange, error) {
	body, err := s.cleanBody(req.Body)
	if err != nil {
		return MessageChange{}, err
	}
	return s.change(ctx, userID, actionID, shared.TypeMessageEdit, req.MessageRef,
		func(ctx context.Context, tx bun.Tx, t target) (changeRef, error) {
			ref := changeRef{ConversationID: req.ConversationID, EventSeq: t.EventSeq, Seqs: []int64{t.Seq}}
			switch {
			case !t.authoredBy(userID):
				return ref, domainErr(shared.CodeNotAuthor, "Only its author can edit a message.")
			case t.DeletedAt != nil:
				return ref, errMessageDeleted()
			case t.closed:
				return ref, errClosed()
			case t.Body == body:
				return ref, nil
			}
			_, err := tx.NewRaw(`INSERT INTO message_edits (message_id, body, replaced_at) VALUES (?, ?, clock_timestamp())`,
				t.ID, t.Body).Exec(ctx)
			if err != nil {
				return ref, fmt.Errorf("keep edit history: %w", err)
			}
			_, err = tx.NewRaw(`UPDATE messages SET body = ?, edited_at = clock_timestamp() WHERE id = ?`, body, t.ID).Exec(ctx)
			if err != nil {
				return ref, fmt.Errorf("edit message: %w", err)
			}
			ref.EventSeq, err = nextEvent(ctx, tx, req.ConversationID, ref.Seqs)
			return ref, err
		})
}

// DeleteMessage erases a message: its author or the conversation's owner
// may. The body, the edit history and the reactions are removed from the
// database, not hidden; the row stays as a tombstone so seqs stay gap-free.
// The replies that quoted it change too (their quote is emptied), so they
// are stamped with the same event. Deleting a deleted message changes
// nothing, so two devices deleting it both succeed.
func (s *Store) DeleteMessage(ctx context.Context, userID int64, actionID string, req shared.MessageDelete) (MessageChange, error) {
	return s.change(ctx, userID, actionID, shared.TypeMessageDelete, req.MessageRef,
		func(ctx context.Context, tx bun.Tx, t target) (changeRef, error) {
			ref := changeRef{ConversationID: req.ConversationID, EventSeq: t.EventSeq, Seqs: []int64{t.Seq}}
			switch {
			case !t.authoredBy(userID) && !t.owner:
				return ref, domainErr(shared.CodeNotAuthor, "Only its author or the conversation's owner can delete a message.")
			case t.DeletedAt != nil:
				return ref, nil
			}
			if err := eraseMessages(ctx, tx, []int64{t.ID}); err != nil {
				return ref, err
			}
			_, err := tx.NewRaw(`UPDATE messages SET body = '', edited_at = NULL, deleted_at = clock_timestamp() WHERE id = ?`,
				t.ID).Exec(ctx)
			if err != nil {
				return ref, fmt.Errorf("delete message: %w", err)
			}
			var replies []int64
			err = tx.NewRaw(`SELECT seq FROM messages WHERE conversation_id = ? AND reply_to_seq = ? ORDER BY seq`,
				req.ConversationID, t.Seq).Scan(ctx, &replies)
			if err != nil {
				return ref, fmt.Errorf("find replies: %w", err)
			}
			ref.Seqs = append(ref.Seqs, replies...)
			ref.EventSeq, err = nextEvent(ctx, tx, req.ConversationID, ref.Seqs)
			return ref, err
		})
}

// eraseMessages removes what a deleted message leaves besides its row: its
// earlier versions and its reactions.
func eraseMessages(ctx context.Context, tx bun.Tx, ids []int64) error {
	if _, err := tx.NewRaw(`DELETE FROM message_edits WHERE message_id = ANY(?::bigint[])`, pgdialect.Array(ids)).Exec(ctx); err != nil {
		return fmt.Errorf("erase edit history: %w", err)
	}
	if _, err := tx.NewRaw(`DELETE FROM message_reactions WHERE message_id = ANY(?::bigint[])`, pgdialect.Array(ids)).Exec(ctx); err != nil {
		return fmt.Errorf("erase reactions: %w", err)
	}
	return nil
}

// SetReaction adds or removes one of the user's reactions to a message of
// an open conversation. It sets a state, so whichever of two devices'
// opposite choices the server applies last is what everyone sees.
func (s *Store) SetReaction(ctx context.Context, userID int64, actionID string, req shared.ReactionSet) (MessageChange, error) {
	if !shared.ValidEmoji(req.Emoji) {
		return MessageChange{}, &shared.Error{Code: shared.CodeInvalid, Field: "emoji", Message: "Choose a reaction from the picker."}
	}
	return s.change(ctx, userID, actionID, shared.TypeReactionSet, req.MessageRef,
		func(ctx context.Context, tx bun.Tx, t target) (changeRef, error) {
			ref := changeRef{ConversationID: req.ConversationID, EventSeq: t.EventSeq, Seqs: []int64{t.Seq}}
			switch {
			case t.DeletedAt != nil:
				return ref, errMessageDeleted()
			case t.closed:
				return ref, errClosed()
			}
			var n []int
			var err error
			if req.On {
				err = tx.NewRaw(`INSERT INTO message_reactions (message_id, conversation_id, seq, user_id, emoji)
					VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1`,
					t.ID, req.ConversationID, t.Seq, userID, req.Emoji).Scan(ctx, &n)
			} else {
				err = tx.NewRaw(`DELETE FROM message_reactions WHERE message_id = ? AND user_id = ? AND emoji = ? RETURNING 1`,
					t.ID, userID, req.Emoji).Scan(ctx, &n)
			}
			if err != nil {
				return ref, fmt.Errorf("set reaction: %w", err)
			}
			if len(n) == 0 {
				return ref, nil // already so
			}
			ref.EventSeq, err = nextEvent(ctx, tx, req.ConversationID, ref.Seqs)
			return ref, err
		})
}
