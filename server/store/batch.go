package store

import (
	"context"
	"fmt"
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

// sendBatch is the body of the SendMessages transaction: one call of the
// server-side function natter_send_batch (migration
// 20261127140000_hot_insert), which
//
//  1. locks the conversations, in id order so that batches running together
//     do not deadlock;
//  2. in a new statement, whose snapshot sees every commit that happened
//     before the locks were granted, finds the items already applied (their
//     message row, in whatever conversation), the action ids used by
//     another kind of action and the senders' memberships; advances each
//     conversation once, inserts the messages numbered in batch order,
//     moves each sender's read cursor once per conversation with its
//     history row, and reads the members for the fan-out.
//
// One round trip, and PL/pgSQL keeps the function's plans per connection, so
// a batch costs no parsing or planning beyond the call itself. The function
// is also what proves the references that the dropped foreign keys of
// messages used to check row by row (see the migration).
//
// A concurrent duplicate into the same conversation waits for its lock and
// then finds the stored message in step 2. One into another conversation
// (a buggy or hostile client) is not serialised by the lock: its insert
// waits on the unique index messages_sender_action for the first
// transaction and fails with a unique violation if that one committed,
// which rolls back this transaction with its seq advance; the retry finds
// the stored message in step 2. So there is never a second row nor a gap.
func sendBatch(ctx context.Context, tx bun.Tx, items []sendItem) (map[int]SendResult, error) {
	n := len(items)
	users, actions, convs, bodies := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
	for i, it := range items {
		users[i], actions[i], convs[i], bodies[i] = it.userID, it.action, it.conv, it.body
	}
	var rows []sendRow
	err := tx.NewRaw(`SELECT * FROM natter_send_batch(?::bigint[], ?::uuid[], ?::uuid[], ?::text[])`,
		pgdialect.Array(users), pgdialect.Array(actions), pgdialect.Array(convs), pgdialect.Array(bodies)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("send batch: %w", err)
	}
	if len(rows) != n {
		return nil, fmt.Errorf("send batch: %d rows for %d items", len(rows), n)
	}
	members := map[string][]int64{}
	for _, r := range rows {
		if r.Members != nil {
			members[items[r.I-1].conv] = r.Members
		}
	}
	out := make(map[int]SendResult, n)
	for _, r := range rows {
		it := items[r.I-1]
		switch r.Outcome {
		case "sent":
			out[it.idx] = SendResult{Members: members[it.conv], Message: shared.Message{
				ID: *r.ID, ConversationID: it.conv, Seq: *r.Seq, SenderID: it.userID, Sender: deref(r.Sender),
				Kind: shared.KindText, Body: it.body, ActionID: it.action, CreatedAt: utc(*r.CreatedAt),
			}}
		case "replay":
			out[it.idx] = SendResult{Message: r.message()}
		case "prior":
			var m shared.Message
			if err := decodeResult(deref(r.PriorKind), []byte(deref(r.PriorResult)), shared.TypeMessageSend, &m); err != nil {
				if !isDomain(err) {
					return nil, err
				}
				out[it.idx] = SendResult{Err: err}
			} else {
				out[it.idx] = SendResult{Message: m} // recorded before messages were their own record
			}
		case "notfound":
			out[it.idx] = SendResult{Err: notFound()}
		case "closed":
			out[it.idx] = SendResult{Err: errClosed()}
		default:
			return nil, fmt.Errorf("send batch: item %d: outcome %q", r.I, r.Outcome)
		}
	}
	return out, nil
}

// sendRow is one row of natter_send_batch: the outcome of item I (1-based),
// the message (the stored one for a replay; for a new one only what the
// database assigned), and for the first new message of each conversation
// its members.
type sendRow struct {
	I           int64      `bun:"i"`
	Outcome     string     `bun:"outcome"`
	ID          *int64     `bun:"id"`
	Conv        *string    `bun:"conversation_id"`
	Seq         *int64     `bun:"seq"`
	SenderID    *int64     `bun:"sender_id"`
	Sender      *string    `bun:"sender"`
	Kind        *string    `bun:"kind"`
	Body        *string    `bun:"body"`
	ActionID    *string    `bun:"action_id"`
	CreatedAt   *time.Time `bun:"created_at"`
	EditedAt    *time.Time `bun:"edited_at"`
	DeletedAt   *time.Time `bun:"deleted_at"`
	PriorKind   *string    `bun:"prior_kind"`
	PriorResult *string    `bun:"prior_result"`
	Members     []int64    `bun:"members,array"`
}

// message is a replayed row's stored message.
func (r sendRow) message() shared.Message {
	return messageRow{
		ID: *r.ID, ConversationID: deref(r.Conv), Seq: *r.Seq, SenderID: r.SenderID, Sender: r.Sender,
		Kind: deref(r.Kind), Body: deref(r.Body), ActionID: r.ActionID, CreatedAt: *r.CreatedAt,
		EditedAt: r.EditedAt, DeletedAt: r.DeletedAt,
	}.message()
}

// deref is *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
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
