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

// SendRequest is one message.send action for SendMessages.
type SendRequest struct {
	UserID         int64
	ActionID       string
	ConversationID string
	Body           string
}

// SendResult is the outcome of one SendRequest: the message (the original
// one for a replay) or the error for that item alone.
type SendResult struct {
	Message shared.Message
	Err     error
	// Members are the conversation's members as of the commit, for the
	// fan-out: read in the same transaction, so no read after the commit can
	// fail and leave a committed message unannounced. Nil for a replay;
	// the caller then looks them up itself.
	Members []int64
}

// sendItem is a request that passed validation; idx is its place in the
// batch.
type sendItem struct {
	idx    int
	userID int64
	action string
	conv   string
	body   string
}

type actionKey struct {
	userID int64
	action string
}

// SendMessages applies many message.send actions, from any users to any
// conversations, in one transaction: group commit for load. Each
// conversation's lock is taken once and its seq advanced once by the number
// of messages it gets; lookups and writes are multi-row statements, so a
// batch costs four statements whatever its size.
//
// The message row is the idempotency record of a send (the unique index
// messages_sender_action on sender and action id), so a send writes no
// applied_actions row. Items fail on their own (invalid body, not a
// member, closed) without failing the others. The same user and action id
// twice in one batch is applied once and both get its result. Messages of
// one conversation get seqs in batch order. If the transaction fails as a
// whole (a deadlock with another batch, a lost connection, a duplicate
// action id racing into another conversation), every item is retried
// alone. Results are in input order.
func (s *Store) SendMessages(ctx context.Context, batch []SendRequest) []SendResult {
	results := make([]SendResult, len(batch))
	var items []sendItem
	leader := map[actionKey]int{} // first index of each (user, action)
	follows := map[int]int{}      // index -> index of its leader
	for i, r := range batch {
		it, err := s.prepareSend(i, r)
		if err != nil {
			results[i].Err = err
			continue
		}
		k := actionKey{it.userID, it.action}
		if l, ok := leader[k]; ok {
			follows[i] = l
			continue
		}
		leader[k] = i
		items = append(items, it)
	}
	if len(items) > 0 {
		out, err := s.runSend(ctx, items)
		if err == nil {
			for i, r := range out {
				results[i] = r
			}
		} else {
			for _, it := range items {
				results[it.idx] = s.sendAlone(ctx, it)
			}
		}
	}
	for i, l := range follows {
		results[i] = results[l]
	}
	return results
}

// runSend runs sendBatch in a transaction of its own.
func (s *Store) runSend(ctx context.Context, items []sendItem) (map[int]SendResult, error) {
	var out map[int]SendResult
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = sendBatch(ctx, tx, items)
		return err
	})
	return out, err
}

// sendAlone sends one item in its own transaction, retrying the races a
// fresh transaction resolves: a unique violation on (sender, action id)
// means the same action committed meanwhile in another conversation, and
// the retry finds it and answers with it.
func (s *Store) sendAlone(ctx context.Context, it sendItem) SendResult {
	for attempt := 1; ; attempt++ {
		out, err := s.runSend(ctx, []sendItem{it})
		if err == nil {
			return out[it.idx]
		}
		if retryable(err) && attempt < maxAttempts && ctx.Err() == nil {
			continue
		}
		return SendResult{Err: fmt.Errorf("store: %s: %w", shared.TypeMessageSend, err)}
	}
}

func (s *Store) prepareSend(i int, r SendRequest) (sendItem, error) {
	conv, err := cleanConvID(r.ConversationID)
	if err != nil {
		return sendItem{}, err
	}
	body, err := s.cleanBody(r.Body)
	if err != nil {
		return sendItem{}, err
	}
	action, err := cleanActionID(r.ActionID)
	if err != nil {
		return sendItem{}, err
	}
	return sendItem{idx: i, userID: r.UserID, action: action, conv: conv, body: body}, nil
}

// sendBatch is the body of the SendMessages transaction:
//
//  1. lock the conversations, in id order so that batches running together
//     do not deadlock;
//  2. in a new statement, whose snapshot sees every commit that happened
//     before the locks were granted, find the items already applied (their
//     message row, in whatever conversation), the action ids used by
//     another kind of action, and the senders' memberships;
//  3. advance each conversation once, insert the messages numbered in batch
//     order and move the senders' read cursors, in one statement;
//  4. read the members for the fan-out.
//
// A concurrent duplicate into the same conversation waits for its lock and
// then finds the stored message in step 2. One into another conversation
// (a buggy or hostile client) is not serialised by the lock: its insert
// waits on the unique index messages_sender_action for the first
// transaction and fails with a unique violation if that one committed,
// which rolls back this transaction with its seq advance; the retry finds
// the stored message in step 2. So there is never a second row nor a gap.
func sendBatch(ctx context.Context, tx bun.Tx, items []sendItem) (map[int]SendResult, error) {
	out := make(map[int]SendResult, len(items))

	// 1. Lock the conversations.
	convIDs := make([]string, 0, len(items))
	for _, it := range items {
		convIDs = append(convIDs, it.conv)
	}
	slices.Sort(convIDs)
	convIDs = slices.Compact(convIDs)
	var convs []struct {
		ID     string `bun:"id"`
		Closed bool   `bun:"closed"`
	}
	err := tx.NewRaw(`SELECT id, closed_at IS NOT NULL AS closed FROM conversations
		WHERE id = ANY(?::uuid[]) ORDER BY id FOR NO KEY UPDATE`, pgdialect.Array(convIDs)).Scan(ctx, &convs)
	if err != nil {
		return nil, fmt.Errorf("lock conversations: %w", err)
	}
	closed := make(map[string]bool, len(convs))
	for _, c := range convs {
		closed[c.ID] = c.Closed
	}

	// 2. Replays, reused ids and memberships.
	found, err := lookupSends(ctx, tx, items)
	if err != nil {
		return nil, err
	}
	var accepted []sendItem
	var nicks []string
	for i, it := range items {
		f := found[i]
		c, exists := closed[it.conv]
		switch {
		case f.ID != nil:
			out[it.idx] = SendResult{Message: f.message()}
		case f.PriorKind != nil:
			var m shared.Message
			if err := decodeResult(*f.PriorKind, f.PriorResult, shared.TypeMessageSend, &m); err != nil {
				if !isDomain(err) {
					return nil, err
				}
				out[it.idx] = SendResult{Err: err}
			} else {
				out[it.idx] = SendResult{Message: m} // recorded before messages were their own record
			}
		case !exists || f.Member == nil:
			out[it.idx] = SendResult{Err: notFound()}
		case c:
			out[it.idx] = SendResult{Err: errClosed()}
		default:
			accepted = append(accepted, it)
			nicks = append(nicks, *f.Member)
		}
	}
	if len(accepted) == 0 {
		return out, nil
	}

	// 3. Seqs, messages and the senders' cursors.
	msgs, err := writeMessages(ctx, tx, accepted, nicks)
	if err != nil {
		return nil, err
	}

	// 4. The members, for the fan-out: nobody joins or leaves while the
	// conversation is locked.
	var written []string
	for _, m := range msgs {
		written = append(written, m.ConversationID)
	}
	slices.Sort(written)
	fanout, err := membersOf(ctx, tx, slices.Compact(written))
	if err != nil {
		return nil, err
	}
	for i, it := range accepted {
		out[it.idx] = SendResult{Message: msgs[i], Members: fanout[it.conv]}
	}
	return out, nil
}

// sendFound is what lookupSends knows of one item: its stored message (ID
// set), or the kind and result of an applied action with its id, and the
// sender's nickname if they are a member of the conversation.
type sendFound struct {
	I              int64      `bun:"i"`
	ID             *int64     `bun:"id"`
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
	PriorKind      *string    `bun:"prior_kind"`
	PriorResult    []byte     `bun:"prior_result"`
	Member         *string    `bun:"member"`
}

func (f sendFound) message() shared.Message {
	return messageRow{
		ID: *f.ID, ConversationID: f.ConversationID, Seq: f.Seq, SenderID: f.SenderID, Sender: f.Sender,
		Kind: f.Kind, Body: f.Body, ActionID: f.ActionID, CreatedAt: f.CreatedAt, EditedAt: f.EditedAt, DeletedAt: f.DeletedAt,
	}.message()
}

// lookupSends reads, for each item in order, its stored message by sender
// and action id (any conversation), an applied action of another kind
// with that id, and the sender's membership, in one statement.
func lookupSends(ctx context.Context, tx bun.Tx, items []sendItem) ([]sendFound, error) {
	n := len(items)
	users, actions, convs := make([]int64, n), make([]string, n), make([]string, n)
	for i, it := range items {
		users[i], actions[i], convs[i] = it.userID, it.action, it.conv
	}
	var rows []sendFound
	err := tx.NewRaw(`SELECT t.i, m.id, m.conversation_id, m.seq, m.sender_id, su.nickname AS sender, m.kind, m.body,
			m.action_id, m.created_at, m.edited_at, m.deleted_at,
			aa.kind AS prior_kind, aa.result::text AS prior_result, mu.nickname AS member
		FROM unnest(?::bigint[], ?::uuid[], ?::uuid[]) WITH ORDINALITY AS t(u, a, c, i)
		LEFT JOIN messages m ON m.sender_id = t.u AND m.action_id = t.a
		LEFT JOIN users su ON su.id = m.sender_id
		LEFT JOIN applied_actions aa ON aa.user_id = t.u AND aa.action_id = t.a
		LEFT JOIN conversation_members cm ON cm.conversation_id = t.c AND cm.user_id = t.u
		LEFT JOIN users mu ON mu.id = cm.user_id
		ORDER BY t.i`,
		pgdialect.Array(users), pgdialect.Array(actions), pgdialect.Array(convs)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("look up sends: %w", err)
	}
	if len(rows) != n {
		return nil, fmt.Errorf("look up sends: %d rows for %d items", len(rows), n)
	}
	return rows, nil
}

// writeMessages advances each conversation's last_seq once by the number of
// its messages, inserts the messages numbered in batch order, and moves each
// sender's read cursor past their own messages with its history row (what
// you wrote yourself is never unread, and replying counts as having seen
// what came before): one statement. nicks are the senders' nicknames.
func writeMessages(ctx context.Context, tx bun.Tx, items []sendItem, nicks []string) ([]shared.Message, error) {
	n := len(items)
	convs, users, bodies, actions := make([]string, n), make([]int64, n), make([]string, n), make([]string, n)
	for i, it := range items {
		convs[i], users[i], bodies[i], actions[i] = it.conv, it.userID, it.body, it.action
	}
	var rows []struct {
		I         int64     `bun:"i"`
		ID        int64     `bun:"id"`
		Seq       int64     `bun:"seq"`
		CreatedAt time.Time `bun:"created_at"`
	}
	err := tx.NewRaw(`WITH x AS (
			SELECT * FROM unnest(?::uuid[], ?::bigint[], ?::text[], ?::uuid[]) WITH ORDINALITY AS t(c, u, b, a, i)),
		counts AS (SELECT c, count(*) AS n FROM x GROUP BY c),
		adv AS (
			UPDATE conversations cv SET last_seq = cv.last_seq + counts.n, last_message_at = clock_timestamp()
			FROM counts WHERE cv.id = counts.c
			RETURNING cv.id, cv.last_seq - counts.n AS base, cv.last_message_at),
		ins AS (
			INSERT INTO messages (conversation_id, seq, sender_id, kind, body, action_id, created_at)
			SELECT x.c, adv.base + row_number() OVER (PARTITION BY x.c ORDER BY x.i), x.u, 'text', x.b, x.a, adv.last_message_at
			FROM x JOIN adv ON adv.id = x.c
			ORDER BY x.c, x.i
			RETURNING id, conversation_id, seq, sender_id, action_id, created_at),
		up AS (
			UPDATE conversation_members m SET seen_seq = s.seq, seen_at = clock_timestamp()
			FROM (SELECT conversation_id, sender_id, max(seq) AS seq FROM ins GROUP BY conversation_id, sender_id) s
			WHERE m.conversation_id = s.conversation_id AND m.user_id = s.sender_id AND m.seen_seq < s.seq
			RETURNING m.conversation_id, m.user_id, m.seen_seq, m.seen_at),
		hist AS (
			INSERT INTO seen_history (conversation_id, user_id, seq, seen_at)
			SELECT conversation_id, user_id, seen_seq, seen_at FROM up
			ON CONFLICT DO NOTHING)
		SELECT x.i, ins.id, ins.seq, ins.created_at FROM ins JOIN x ON x.u = ins.sender_id AND x.a = ins.action_id
		ORDER BY x.i`,
		pgdialect.Array(convs), pgdialect.Array(users), pgdialect.Array(bodies), pgdialect.Array(actions)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("insert messages: %w", err)
	}
	if len(rows) != n {
		return nil, fmt.Errorf("insert messages: %d of %d inserted", len(rows), n)
	}
	msgs := make([]shared.Message, n)
	for i, it := range items {
		r := rows[i]
		msgs[i] = shared.Message{
			ID: r.ID, ConversationID: it.conv, Seq: r.Seq, SenderID: it.userID, Sender: nicks[i],
			Kind: shared.KindText, Body: it.body, ActionID: it.action, CreatedAt: utc(r.CreatedAt),
		}
	}
	return msgs, nil
}

// membersOf reads the member ids of conversations, in one query; db may be
// the committing transaction. Each conversation comes back as one row with
// its members aggregated into an array: a thousand members are one row to
// decode instead of a thousand, which was most of the committer's CPU when
// fanning out into a large conversation.
func membersOf(ctx context.Context, db bun.IDB, convIDs []string) (map[string][]int64, error) {
	var rows []struct {
		ConversationID string  `bun:"conversation_id"`
		UserIDs        []int64 `bun:"user_ids,array"`
	}
	err := db.NewRaw(`SELECT conversation_id, array_agg(user_id ORDER BY user_id) AS user_ids
		FROM conversation_members WHERE conversation_id = ANY(?::uuid[]) GROUP BY conversation_id`,
		pgdialect.Array(convIDs)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("members of: %w", err)
	}
	out := make(map[string][]int64, len(convIDs))
	for _, r := range rows {
		out[r.ConversationID] = r.UserIDs
	}
	return out, nil
}

// membersOfRows is the former membersOf, one row per member, kept for the
// paired benchmark BenchmarkMembersOf only.
func membersOfRows(ctx context.Context, db bun.IDB, convIDs []string) (map[string][]int64, error) {
	var rows []struct {
		ConversationID string `bun:"conversation_id"`
		UserID         int64  `bun:"user_id"`
	}
	err := db.NewRaw(`SELECT conversation_id, user_id FROM conversation_members
		WHERE conversation_id = ANY(?::uuid[]) ORDER BY conversation_id, user_id`, pgdialect.Array(convIDs)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("members of: %w", err)
	}
	out := make(map[string][]int64, len(convIDs))
	for _, r := range rows {
		out[r.ConversationID] = append(out[r.ConversationID], r.UserID)
	}
	return out, nil
}
