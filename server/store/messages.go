package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"natter/shared"
)

type messageRow struct {
	ID             int64      `bun:"id"`
	ConversationID string     `bun:"conversation_id"`
	Seq            int64      `bun:"seq"`
	SenderID       *int64     `bun:"sender_id"`
	Sender         *string    `bun:"sender"`
	Kind           string     `bun:"kind"`
	Body           string     `bun:"body"`
	ActionID       *string    `bun:"action_id"`
	CreatedAt      time.Time  `bun:"created_at"`
	EditedAt       *time.Time `bun:"edited_at"`
	DeletedAt      *time.Time `bun:"deleted_at"`
}

// messageColumns reads a message as m joined with its sender as u.
const messageColumns = `m.id, m.conversation_id, m.seq, m.sender_id, u.nickname AS sender, m.kind, m.body,
	m.action_id, m.created_at, m.edited_at, m.deleted_at`

func (r messageRow) message() shared.Message {
	m := shared.Message{
		ID: r.ID, ConversationID: r.ConversationID, Seq: r.Seq, Kind: r.Kind, Body: r.Body,
		CreatedAt: utc(r.CreatedAt), EditedAt: utcPtr(r.EditedAt), DeletedAt: utcPtr(r.DeletedAt),
	}
	if r.SenderID != nil {
		m.SenderID = *r.SenderID
	}
	if r.Sender != nil {
		m.Sender = *r.Sender
	}
	if r.ActionID != nil {
		m.ActionID = *r.ActionID
	}
	return m
}

// errRetry reports a race that a fresh transaction resolves; once retries it.
var errRetry = errors.New("concurrent change, try again")

// cleanBody normalises and checks a message body against the server limit.
// NUL characters are dropped first: PostgreSQL text cannot hold them, and
// the body returned must be the body stored.
func (s *Store) cleanBody(body string) (string, error) {
	body = shared.NormalizeBody(strings.ReplaceAll(body, "\x00", ""))
	if fe := shared.ValidateBody(body, s.bodyMax()); fe != nil {
		return "", fieldErr(fe)
	}
	return body, nil
}

// SendMessage posts a text message for a member of an open conversation
// and returns it with its seq. Replaying the action id returns the original
// message (same id, seq and time) and stores nothing.
//
// It is a one-item SendMessages, so both paths share one idempotency
// record (the message row) and one way of numbering: the seq comes from
// advancing conversations.last_seq under the conversation's row lock,
// which serialises senders of one conversation until commit; a rolled-back
// send gives its number back with the rollback, so seqs have no gaps.
// Heavy traffic should go through SendMessages, which takes the lock once
// for many messages.
func (s *Store) SendMessage(ctx context.Context, userID int64, actionID, convID, body string) (shared.Message, error) {
	it, err := s.prepareSend(0, SendRequest{UserID: userID, ActionID: actionID, ConversationID: convID, Body: body})
	if err != nil {
		return shared.Message{}, err
	}
	r := s.sendAlone(ctx, it)
	return r.Message, r.Err
}

// insertSystemMessage appends a message with no sender, which needs no
// membership and no idempotency record.
func insertSystemMessage(ctx context.Context, tx bun.Tx, convID, body string) (shared.Message, error) {
	var next struct {
		LastSeq       int64     `bun:"last_seq"`
		LastMessageAt time.Time `bun:"last_message_at"`
	}
	err := tx.NewRaw(`UPDATE conversations c SET last_seq = c.last_seq + 1, last_message_at = clock_timestamp()
		WHERE c.id = ? AND c.closed_at IS NULL
		RETURNING c.last_seq, c.last_message_at`, convID).Scan(ctx, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return shared.Message{}, whyNotSent(ctx, tx, convID, 0)
	}
	if err != nil {
		return shared.Message{}, err
	}
	msg := shared.Message{
		ConversationID: convID, Seq: next.LastSeq, Kind: shared.KindSystem,
		Body: body, CreatedAt: utc(next.LastMessageAt),
	}
	err = tx.NewRaw(`INSERT INTO messages (conversation_id, seq, sender_id, kind, body, action_id, created_at)
		VALUES (?, ?, NULL, ?, ?, NULL, ?) RETURNING id`,
		convID, msg.Seq, msg.Kind, body, next.LastMessageAt).Scan(ctx, &msg.ID)
	if err != nil {
		return shared.Message{}, err
	}
	return msg, nil
}

// whyNotSent explains a send the conversation update refused. A
// non-member gets not-found even for a closed conversation.
func whyNotSent(ctx context.Context, db bun.IDB, convID string, senderID int64) error {
	var closed bool
	err := db.NewRaw(`SELECT c.closed_at IS NOT NULL FROM conversations c
		WHERE c.id = ? AND (? = 0 OR EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = c.id AND m.user_id = ?))`,
		convID, senderID, senderID).Scan(ctx, &closed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound()
	case err != nil:
		return err
	case closed:
		return errClosed()
	}
	return errRetry // became sendable after the update's snapshot
}

// SystemMessage posts a message with no sender (an operator announcement)
// to an open conversation, outside the applied-actions record.
func (s *Store) SystemMessage(ctx context.Context, convID, body string) (shared.Message, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.Message{}, err
	}
	body, err = s.cleanBody(body)
	if err != nil {
		return shared.Message{}, err
	}
	var msg shared.Message
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		msg, err = insertSystemMessage(ctx, tx, convID, body)
		return err
	})
	return msg, wrap("system message", err)
}

// History returns up to limit messages of a conversation older than seq
// before (0: the newest), oldest first, and whether older ones exist. Only
// members may read it.
//
// Seqs are gap-free, so the page is exactly the seq range
// [before-limit, before-1]: one range probe of the (conversation_id, seq)
// index, as cheap deep in a 100k-message conversation as in a small one,
// and whatever the planner's statistics say.
func (s *Store) History(ctx context.Context, userID int64, convID string, before int64, limit int) (shared.History, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.History{}, err
	}
	limit = historyLimit(limit)
	lastSeq, err := s.memberLastSeq(ctx, userID, convID)
	if err != nil {
		return shared.History{}, err // a domain error (not a member) as it is
	}
	hi := lastSeq
	if before > 0 {
		hi = min(hi, before-1)
	}
	lo := max(1, hi-int64(limit)+1)
	h := shared.History{ConversationID: convID, Messages: []shared.Message{}, More: lo > 1}
	if hi < 1 {
		return h, nil
	}
	h.Messages, err = s.messageRange(ctx, convID, lo, hi)
	if err != nil {
		return shared.History{}, fmt.Errorf("store: history: %w", err)
	}
	return h, nil
}

// messageRange reads the messages with lo <= seq <= hi, oldest first. The
// range is bounded on both sides so the plan is an index range scan.
func (s *Store) messageRange(ctx context.Context, convID string, lo, hi int64) ([]shared.Message, error) {
	var rows []messageRow
	err := s.DB.NewRaw(`SELECT `+messageColumns+`
		FROM (SELECT * FROM messages WHERE conversation_id = ? AND seq BETWEEN ? AND ? ORDER BY seq) m
		LEFT JOIN users u ON u.id = m.sender_id
		ORDER BY m.seq`, convID, lo, hi).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]shared.Message, len(rows))
	for i, r := range rows {
		out[i] = r.message()
	}
	return out, decorate(ctx, s.DB, convID, out) // edits, replies, reactions: message_extras.go
}

// MessagesAfterMax caps one MessagesAfter call.
const MessagesAfterMax = 1000

// MessagesAfter returns up to limit messages with seq > after, oldest
// first, for a resuming client. The caller has checked membership.
func (s *Store) MessagesAfter(ctx context.Context, convID string, after int64, limit int) ([]shared.Message, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = shared.ReplayPageMax
	}
	limit = min(limit, MessagesAfterMax)
	after = max(after, 0)
	msgs, err := s.messageRange(ctx, convID, after+1, after+int64(limit))
	if err != nil {
		return nil, fmt.Errorf("store: messages after: %w", err)
	}
	return msgs, nil
}

// MessageCount returns the number of messages on the server, for stats.
func (s *Store) MessageCount(ctx context.Context) (int64, error) {
	var n int64
	if err := s.DB.NewRaw(`SELECT count(*) FROM messages`).Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("store: message count: %w", err)
	}
	return n, nil
}

// historyLimit is a page size as asked, defaulted and capped.
func historyLimit(limit int) int {
	if limit <= 0 {
		return shared.HistoryPageDefault
	}
	return min(limit, shared.HistoryPageMax)
}

// memberLastSeq is the newest seq of conversation convID, read only if
// userID is a member: a stranger gets the not-found answer, as for a
// conversation that does not exist. Both history reads start here.
func (s *Store) memberLastSeq(ctx context.Context, userID int64, convID string) (int64, error) {
	var lastSeq int64
	err := s.DB.NewRaw(`SELECT c.last_seq FROM conversations c
		JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = ?
		WHERE c.id = ?`, userID, convID).Scan(ctx, &lastSeq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound()
	}
	if err != nil {
		return 0, fmt.Errorf("store: read conversation's last seq: %w", err)
	}
	return lastSeq, nil
}
