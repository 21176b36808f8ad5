package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"natter/shared"
)

// SendReply posts a message that answers another one of the same
// conversation, named by its seq or, while it was still queued on the
// sender's device, by the action id of its send. It is the send path for
// one item (sendBatch, so idempotency and numbering are the same as every
// send's) plus the reference, in one transaction; replies are rare enough
// to skip the group commit. members is nil for a replay.
func (s *Store) SendReply(ctx context.Context, userID int64, actionID string, req shared.MessageSend) (msg shared.Message, members []int64, err error) {
	it, err := s.prepareSend(0, SendRequest{UserID: userID, ActionID: actionID, ConversationID: req.ConversationID, Body: req.Body})
	if err != nil {
		return shared.Message{}, nil, err
	}
	if req.ReplyTo <= 0 && !shared.IsUUID(req.ReplyToAction) {
		return shared.Message{}, nil, domainErr(shared.CodeInvalid, "Name the message replied to by its seq or by the action id of its send.")
	}
	for attempt := 1; ; attempt++ {
		err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			out, err := sendBatch(ctx, tx, []sendItem{it})
			if err != nil {
				return err
			}
			r := out[it.idx]
			if r.Err != nil {
				return r.Err
			}
			msg, members = r.Message, r.Members
			if members != nil { // new: record what it answers
				to := req.ReplyTo
				if to <= 0 {
					err = tx.NewRaw(`SELECT seq FROM messages WHERE conversation_id = ? AND sender_id = ? AND action_id = ?::uuid`,
						it.conv, userID, req.ReplyToAction).Scan(ctx, &to)
				} else {
					err = tx.NewRaw(`SELECT seq FROM messages WHERE conversation_id = ? AND seq = ? AND seq < ?`,
						it.conv, to, msg.Seq).Scan(ctx, &to)
				}
				if errors.Is(err, sql.ErrNoRows) {
					return errMessageNotFound()
				}
				if err != nil {
					return err
				}
				if _, err := tx.NewRaw(`UPDATE messages SET reply_to_seq = ? WHERE id = ?`, to, msg.ID).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			break
		}
		if isDomain(err) {
			return shared.Message{}, nil, err
		}
		if retryable(err) && attempt < maxAttempts && ctx.Err() == nil {
			continue
		}
		return shared.Message{}, nil, fmt.Errorf("store: send reply: %w", err)
	}
	one := []shared.Message{msg}
	if err := decorate(ctx, s.DB, msg.ConversationID, one); err != nil {
		return shared.Message{}, nil, fmt.Errorf("store: send reply: %w", err)
	}
	return one[0], members, nil
}
