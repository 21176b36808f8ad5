package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"natter/shared"
)

// What a message carries besides its own row: the event that last changed
// it, the quote of the message it answers, and its reactions. Every read
// of messages (history, resume, changes) goes through decorate, so a
// message looks the same whichever way it reached a device.

// messagesBySeq reads the messages of a conversation with the given seqs,
// oldest first, decorated.
func (s *Store) messagesBySeq(ctx context.Context, db bun.IDB, convID string, seqs []int64) ([]shared.Message, error) {
	var rows []messageRow
	err := db.NewRaw(`SELECT `+messageColumns+` FROM messages m LEFT JOIN users u ON u.id = m.sender_id
		WHERE m.conversation_id = ? AND m.seq = ANY(?::bigint[]) ORDER BY m.seq`,
		convID, pgdialect.Array(seqs)).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]shared.Message, len(rows))
	for i, r := range rows {
		out[i] = r.message()
	}
	return out, decorate(ctx, db, convID, out)
}

// decorate fills EventSeq, ReplyTo and Reactions of messages of one
// conversation, in two statements whatever their number. The quote is read
// from the quoted message as it is now: an edit shows, a deletion empties it.
func decorate(ctx context.Context, db bun.IDB, convID string, msgs []shared.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	seqs := make([]int64, len(msgs))
	at := make(map[int64]int, len(msgs))
	for i, m := range msgs {
		seqs[i], at[m.Seq] = m.Seq, i
	}
	var extras []struct {
		Seq      int64      `bun:"seq"`
		EventSeq int64      `bun:"event_seq"`
		QSeq     *int64     `bun:"q_seq"`
		QSender  *int64     `bun:"q_sender_id"`
		QNick    *string    `bun:"q_nick"`
		QBody    *string    `bun:"q_body"`
		QDeleted *time.Time `bun:"q_deleted"`
	}
	err := db.NewRaw(`SELECT r.seq, r.event_seq, t.seq AS q_seq, t.sender_id AS q_sender_id, u.nickname AS q_nick,
			t.body AS q_body, t.deleted_at AS q_deleted
		FROM messages r
		LEFT JOIN messages t ON t.conversation_id = r.conversation_id AND t.seq = r.reply_to_seq
		LEFT JOIN users u ON u.id = t.sender_id
		WHERE r.conversation_id = ? AND r.seq = ANY(?::bigint[]) AND (r.event_seq > 0 OR r.reply_to_seq IS NOT NULL)`,
		convID, pgdialect.Array(seqs)).Scan(ctx, &extras)
	if err != nil {
		return fmt.Errorf("decorate messages: %w", err)
	}
	for _, x := range extras {
		m := &msgs[at[x.Seq]]
		m.EventSeq = x.EventSeq
		if x.QSeq == nil {
			continue
		}
		q := &shared.ReplyQuote{Seq: *x.QSeq, Deleted: x.QDeleted != nil}
		if x.QSender != nil {
			q.SenderID = *x.QSender
		}
		if x.QNick != nil {
			q.Sender = *x.QNick
		}
		if x.QBody != nil && !q.Deleted {
			q.Line = shared.FirstLine(*x.QBody)
		}
		m.ReplyTo = q
	}
	var reactions []struct {
		Seq     int64   `bun:"seq"`
		Emoji   string  `bun:"emoji"`
		UserIDs []int64 `bun:"user_ids,array"`
	}
	err = db.NewRaw(`SELECT seq, emoji, array_agg(user_id ORDER BY created_at, user_id) AS user_ids
		FROM message_reactions WHERE conversation_id = ? AND seq = ANY(?::bigint[])
		GROUP BY seq, emoji ORDER BY seq, min(created_at), emoji`,
		convID, pgdialect.Array(seqs)).Scan(ctx, &reactions)
	if err != nil {
		return fmt.Errorf("decorate reactions: %w", err)
	}
	for _, r := range reactions {
		m := &msgs[at[r.Seq]]
		m.Reactions = append(m.Reactions, shared.Reaction{Emoji: r.Emoji, UserIDs: r.UserIDs})
	}
	return nil
}

// EventSeqs returns the event sequence of each of the conversations, for
// a resume.
func (s *Store) EventSeqs(ctx context.Context, convIDs []string) (map[string]int64, error) {
	var rows []struct {
		ID  string `bun:"id"`
		Seq int64  `bun:"last_event_seq"`
	}
	err := s.DB.NewRaw(`SELECT id, last_event_seq FROM conversations WHERE id = ANY(?::uuid[])`,
		pgdialect.Array(convIDs)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: read event seqs: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Seq
	}
	return out, nil
}

// ChangedCursor is a place in the messages a resume replays: messages come
// in (event seq, seq) order, so many messages stamped with one event (an
// erased account) still page without loss.
type ChangedCursor struct {
	EventSeq int64
	Seq      int64
}

// ChangedMessages returns up to limit messages of a conversation with seq
// at most maxSeq changed after the cursor, in event order, decorated. The
// caller has checked membership.
func (s *Store) ChangedMessages(ctx context.Context, convID string, after ChangedCursor, maxSeq int64, limit int) ([]shared.Message, error) {
	var seqs []int64
	err := s.DB.NewRaw(`SELECT seq FROM messages WHERE conversation_id = ? AND event_seq > 0
			AND (event_seq, seq) > (?, ?) AND seq <= ?
		ORDER BY event_seq, seq LIMIT ?`, convID, after.EventSeq, after.Seq, maxSeq, limit).Scan(ctx, &seqs)
	if err != nil {
		return nil, fmt.Errorf("store: changed messages: %w", err)
	}
	if len(seqs) == 0 {
		return nil, nil
	}
	msgs, err := s.messagesBySeq(ctx, s.DB, convID, seqs)
	if err != nil {
		return nil, fmt.Errorf("store: changed messages: %w", err)
	}
	// Back into event order (messagesBySeq reads by seq).
	pos := make(map[int64]int, len(seqs))
	for i, q := range seqs {
		pos[q] = i
	}
	out := make([]shared.Message, len(seqs))
	for _, m := range msgs {
		out[pos[m.Seq]] = m
	}
	return out, nil
}

// MessageEdits returns the earlier versions of a message, oldest first.
// Only members may read them.
func (s *Store) MessageEdits(ctx context.Context, userID int64, convID string, seq int64) (shared.Edits, error) {
	convID, err := cleanConvID(convID)
	if err != nil {
		return shared.Edits{}, err
	}
	ok, err := isMember(ctx, s.DB, convID, userID)
	if err != nil {
		return shared.Edits{}, fmt.Errorf("store: read edits: %w", err)
	}
	if !ok {
		return shared.Edits{}, notFound()
	}
	out := shared.Edits{ConversationID: convID, Seq: seq, Versions: []shared.Version{}}
	err = s.DB.NewRaw(`SELECT e.body, e.replaced_at FROM message_edits e JOIN messages m ON m.id = e.message_id
		WHERE m.conversation_id = ? AND m.seq = ? ORDER BY e.id`, convID, seq).Scan(ctx, &out.Versions)
	if err != nil {
		return shared.Edits{}, fmt.Errorf("store: read edits: %w", err)
	}
	for i := range out.Versions {
		out.Versions[i].ReplacedAt = utc(out.Versions[i].ReplacedAt)
	}
	return out, nil
}

// ConversationChange is what one event changed in a conversation: the
// messages it stamped, as they are after it.
type ConversationChange struct {
	ConversationID string
	EventSeq       int64
	Messages       []shared.Message
}

// eraseAccountMessages finishes erasing a deleted account's messages (ids,
// already emptied by DeleteAccount) and takes back the person's reactions
// to everyone else's: their edit history and reactions go, and they, the
// replies quoting them and the messages that lose a reaction are stamped
// with one new event in each conversation, so devices that were offline
// learn of it when they resume (a reaction that vanished without an event
// stayed on every device that had it). It returns the new event of each
// conversation. The conversations are locked by the caller.
func eraseAccountMessages(ctx context.Context, tx bun.Tx, userID int64, ids []int64) (map[string]int64, error) {
	if len(ids) > 0 {
		if err := eraseMessages(ctx, tx, ids); err != nil {
			return nil, err
		}
	}
	var reacted []int64
	if err := tx.NewRaw(`DELETE FROM message_reactions WHERE user_id = ? RETURNING message_id`, userID).Scan(ctx, &reacted); err != nil {
		return nil, fmt.Errorf("take back reactions: %w", err)
	}
	if len(ids) == 0 && len(reacted) == 0 {
		return nil, nil
	}
	var adv []struct {
		ID           string `bun:"id"`
		LastEventSeq int64  `bun:"last_event_seq"`
	}
	err := tx.NewRaw(`WITH gone AS (SELECT id, conversation_id, seq FROM messages WHERE id = ANY(?::bigint[])),
		touched AS (SELECT id, conversation_id FROM messages WHERE id = ANY(?::bigint[])),
		adv AS (UPDATE conversations c SET last_event_seq = c.last_event_seq + 1
			WHERE c.id IN (SELECT conversation_id FROM gone UNION SELECT conversation_id FROM touched)
			RETURNING c.id, c.last_event_seq),
		stamp AS (UPDATE messages m SET event_seq = adv.last_event_seq FROM adv
			WHERE m.conversation_id = adv.id AND (m.id IN (SELECT id FROM gone) OR m.id IN (SELECT id FROM touched)
				OR (m.reply_to_seq IS NOT NULL AND (m.conversation_id, m.reply_to_seq) IN (SELECT conversation_id, seq FROM gone))))
		SELECT id, last_event_seq FROM adv`,
		pgdialect.Array(ids), pgdialect.Array(reacted)).Scan(ctx, &adv)
	if err != nil {
		return nil, fmt.Errorf("stamp erased messages: %w", err)
	}
	events := make(map[string]int64, len(adv))
	for _, a := range adv {
		events[a.ID] = a.LastEventSeq
	}
	return events, nil
}

// stampedMessages reads, for each conversation, the messages stamped with
// its event, decorated, oldest first; the conversations in id order.
func stampedMessages(ctx context.Context, tx bun.Tx, events map[string]int64) ([]ConversationChange, error) {
	ids := make([]string, 0, len(events))
	for id := range events {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]ConversationChange, 0, len(ids))
	for _, id := range ids {
		var rows []messageRow
		err := tx.NewRaw(`SELECT `+messageColumns+` FROM messages m LEFT JOIN users u ON u.id = m.sender_id
			WHERE m.conversation_id = ? AND m.event_seq = ? ORDER BY m.seq`, id, events[id]).Scan(ctx, &rows)
		if err != nil {
			return nil, fmt.Errorf("read stamped messages: %w", err)
		}
		msgs := make([]shared.Message, len(rows))
		for i, r := range rows {
			msgs[i] = r.message()
		}
		if err := decorate(ctx, tx, id, msgs); err != nil {
			return nil, fmt.Errorf("read stamped messages: %w", err)
		}
		out = append(out, ConversationChange{ConversationID: id, EventSeq: events[id], Messages: msgs})
	}
	return out, nil
}
