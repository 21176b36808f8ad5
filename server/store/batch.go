package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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
	// fail and leave a committed message unannounced. Nil for a replay and
	// for the one-by-one fallback; the caller then looks them up itself.
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
// of messages it gets; claims, inserts and results are multi-row
// statements, so a batch costs about eight round trips whatever its size.
//
// Items fail on their own (invalid body, not a member, closed) without
// failing the others. The same user and action id twice in one batch is
// applied once and both get its result. Messages of one conversation get
// seqs in batch order. If the transaction fails as a whole (a deadlock
// with another batch, a lost connection), every item is retried alone
// through SendMessage. Results are in input order.
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
		var out map[int]SendResult
		err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var err error
			out, err = sendBatch(ctx, tx, items)
			return err
		})
		if err == nil {
			for i, r := range out {
				results[i] = r
			}
		} else {
			for _, it := range items {
				m, err := s.SendMessage(ctx, it.userID, it.action, it.conv, it.body)
				results[it.idx] = SendResult{Message: m, Err: err}
			}
		}
	}
	for i, l := range follows {
		results[i] = results[l]
	}
	return results
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

// sendBatch is the body of the SendMessages transaction. Locks are taken in
// the order of once (claims, then conversations) and each kind sorted, so
// batches running together do not deadlock.
func sendBatch(ctx context.Context, tx bun.Tx, items []sendItem) (map[int]SendResult, error) {
	out := make(map[int]SendResult, len(items))

	// 1. Claim every action; the ones already applied are replays.
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b sendItem) int {
		return cmp.Or(cmp.Compare(a.userID, b.userID), strings.Compare(a.action, b.action))
	})
	users, actions := actionArrays(sorted)
	var claimed []struct {
		UserID   int64  `bun:"user_id"`
		ActionID string `bun:"action_id"`
	}
	err := tx.NewRaw(`INSERT INTO applied_actions (user_id, action_id, kind, result)
		SELECT u, a, ?, 'null' FROM unnest(?::bigint[], ?::uuid[]) AS t(u, a)
		ON CONFLICT DO NOTHING RETURNING user_id, action_id`,
		shared.TypeMessageSend, pgdialect.Array(users), pgdialect.Array(actions)).Scan(ctx, &claimed)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	isClaimed := make(map[actionKey]bool, len(claimed))
	for _, c := range claimed {
		isClaimed[actionKey{c.UserID, c.ActionID}] = true
	}
	var fresh, replays []sendItem
	for _, it := range items {
		if isClaimed[actionKey{it.userID, it.action}] {
			fresh = append(fresh, it)
		} else {
			replays = append(replays, it)
		}
	}
	if err := replayResults(ctx, tx, replays, out); err != nil {
		return nil, err
	}
	if len(fresh) == 0 {
		return out, nil
	}

	// 2. Lock the conversations in id order, then read membership in a new
	// statement, whose snapshot sees every change that committed before
	// the locks were granted.
	convIDs := make([]string, 0, len(fresh))
	for _, it := range fresh {
		convIDs = append(convIDs, it.conv)
	}
	slices.Sort(convIDs)
	convIDs = slices.Compact(convIDs)
	var convs []struct {
		ID     string `bun:"id"`
		Closed bool   `bun:"closed"`
	}
	err = tx.NewRaw(`SELECT id, closed_at IS NOT NULL AS closed FROM conversations
		WHERE id = ANY(?::uuid[]) ORDER BY id FOR NO KEY UPDATE`, pgdialect.Array(convIDs)).Scan(ctx, &convs)
	if err != nil {
		return nil, fmt.Errorf("lock conversations: %w", err)
	}
	closed := make(map[string]bool, len(convs))
	for _, c := range convs {
		closed[c.ID] = c.Closed
	}
	pairConvs := make([]string, len(fresh))
	pairUsers := make([]int64, len(fresh))
	for i, it := range fresh {
		pairConvs[i], pairUsers[i] = it.conv, it.userID
	}
	var members []struct {
		ConversationID string `bun:"conversation_id"`
		UserID         int64  `bun:"user_id"`
		Nickname       string `bun:"nickname"`
	}
	err = tx.NewRaw(`SELECT DISTINCT m.conversation_id, m.user_id, u.nickname
		FROM unnest(?::uuid[], ?::bigint[]) AS p(c, u)
		JOIN conversation_members m ON m.conversation_id = p.c AND m.user_id = p.u
		JOIN users u ON u.id = m.user_id`, pgdialect.Array(pairConvs), pgdialect.Array(pairUsers)).Scan(ctx, &members)
	if err != nil {
		return nil, fmt.Errorf("check members: %w", err)
	}
	type memberKey struct {
		conv   string
		userID int64
	}
	nick := make(map[memberKey]string, len(members))
	for _, m := range members {
		nick[memberKey{m.ConversationID, m.UserID}] = m.Nickname
	}

	// 3. Sort out the refused items and give back their claims.
	var accepted, refused []sendItem
	for _, it := range fresh {
		c, exists := closed[it.conv]
		_, member := nick[memberKey{it.conv, it.userID}]
		switch {
		case !exists || !member:
			out[it.idx] = SendResult{Err: notFound()}
		case c:
			out[it.idx] = SendResult{Err: errClosed()}
		default:
			accepted = append(accepted, it)
			continue
		}
		refused = append(refused, it)
	}
	if len(refused) > 0 {
		users, actions := actionArrays(refused)
		_, err := tx.NewRaw(`DELETE FROM applied_actions a USING unnest(?::bigint[], ?::uuid[]) AS t(u, id)
			WHERE a.user_id = t.u AND a.action_id = t.id`, pgdialect.Array(users), pgdialect.Array(actions)).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("release claims: %w", err)
		}
	}
	if len(accepted) == 0 {
		return out, nil
	}

	// 4. Advance each conversation once and number its messages in order.
	counts := map[string]int64{}
	for _, it := range accepted {
		counts[it.conv]++
	}
	upConvs := make([]string, 0, len(counts))
	upCounts := make([]int64, 0, len(counts))
	for _, id := range convIDs {
		if n := counts[id]; n > 0 {
			upConvs, upCounts = append(upConvs, id), append(upCounts, n)
		}
	}
	var advanced []struct {
		ID            string    `bun:"id"`
		LastSeq       int64     `bun:"last_seq"`
		LastMessageAt time.Time `bun:"last_message_at"`
	}
	err = tx.NewRaw(`UPDATE conversations c SET last_seq = c.last_seq + v.n, last_message_at = clock_timestamp()
		FROM unnest(?::uuid[], ?::bigint[]) AS v(id, n) WHERE c.id = v.id
		RETURNING c.id, c.last_seq, c.last_message_at`, pgdialect.Array(upConvs), pgdialect.Array(upCounts)).Scan(ctx, &advanced)
	if err != nil {
		return nil, fmt.Errorf("advance seqs: %w", err)
	}
	if len(advanced) != len(upConvs) {
		return nil, fmt.Errorf("advance seqs: %d of %d conversations updated", len(advanced), len(upConvs))
	}
	nextSeq := make(map[string]int64, len(advanced))
	at := make(map[string]time.Time, len(advanced))
	for _, a := range advanced {
		nextSeq[a.ID] = a.LastSeq - counts[a.ID] + 1
		at[a.ID] = a.LastMessageAt
	}
	msgs := make([]shared.Message, len(accepted))
	for i, it := range accepted {
		msgs[i] = shared.Message{
			ConversationID: it.conv, Seq: nextSeq[it.conv], SenderID: it.userID,
			Sender: nick[memberKey{it.conv, it.userID}], Kind: shared.KindText,
			Body: it.body, ActionID: it.action, CreatedAt: utc(at[it.conv]),
		}
		nextSeq[it.conv]++
	}

	// 5. Insert the messages, then fill in the claimed results.
	if err := insertMessages(ctx, tx, msgs); err != nil {
		return nil, err
	}
	results := make([]string, len(msgs))
	for i := range msgs {
		b, err := json.Marshal(msgs[i])
		if err != nil {
			return nil, err
		}
		results[i] = string(b)
	}
	users, actions = actionArrays(accepted)
	_, err = tx.NewRaw(`UPDATE applied_actions a SET result = t.r::jsonb
		FROM unnest(?::bigint[], ?::uuid[], ?::text[]) AS t(u, id, r)
		WHERE a.user_id = t.u AND a.action_id = t.id`,
		pgdialect.Array(users), pgdialect.Array(actions), pgdialect.Array(results)).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("save results: %w", err)
	}
	fanout, err := membersOf(ctx, tx, upConvs)
	if err != nil {
		return nil, err
	}
	for i, it := range accepted {
		out[it.idx] = SendResult{Message: msgs[i], Members: fanout[it.conv]}
	}
	return out, nil
}

// insertMessages inserts text messages in one statement and sets their ids.
func insertMessages(ctx context.Context, tx bun.Tx, msgs []shared.Message) error {
	n := len(msgs)
	convs, seqs, senders := make([]string, n), make([]int64, n), make([]int64, n)
	bodies, actions, times := make([]string, n), make([]string, n), make([]time.Time, n)
	for i, m := range msgs {
		convs[i], seqs[i], senders[i] = m.ConversationID, m.Seq, m.SenderID
		bodies[i], actions[i], times[i] = m.Body, m.ActionID, m.CreatedAt
	}
	var rows []struct {
		ID             int64  `bun:"id"`
		ConversationID string `bun:"conversation_id"`
		Seq            int64  `bun:"seq"`
	}
	err := tx.NewRaw(`INSERT INTO messages (conversation_id, seq, sender_id, kind, body, action_id, created_at)
		SELECT c, s, u, 'text', b, a, t
		FROM unnest(?::uuid[], ?::bigint[], ?::bigint[], ?::text[], ?::uuid[], ?::timestamptz[]) AS x(c, s, u, b, a, t)
		RETURNING id, conversation_id, seq`,
		pgdialect.Array(convs), pgdialect.Array(seqs), pgdialect.Array(senders),
		pgdialect.Array(bodies), pgdialect.Array(actions), pgdialect.Array(times)).Scan(ctx, &rows)
	if err != nil {
		return fmt.Errorf("insert messages: %w", err)
	}
	if len(rows) != n {
		return fmt.Errorf("insert messages: %d of %d inserted", len(rows), n)
	}
	if err := advanceSenders(ctx, tx, convs, senders, seqs); err != nil {
		return err
	}
	type place struct {
		conv string
		seq  int64
	}
	ids := make(map[place]int64, n)
	for _, r := range rows {
		ids[place{r.ConversationID, r.Seq}] = r.ID
	}
	for i, m := range msgs {
		msgs[i].ID = ids[place{m.ConversationID, m.Seq}]
	}
	return nil
}

// replayResults fills out with the stored results of already applied
// actions, in one query.
func replayResults(ctx context.Context, tx bun.Tx, items []sendItem, out map[int]SendResult) error {
	if len(items) == 0 {
		return nil
	}
	users, actions := actionArrays(items)
	var rows []struct {
		UserID   int64           `bun:"user_id"`
		ActionID string          `bun:"action_id"`
		Kind     string          `bun:"kind"`
		Result   json.RawMessage `bun:"result,type:jsonb"`
	}
	err := tx.NewRaw(`SELECT a.user_id, a.action_id, a.kind, a.result
		FROM applied_actions a JOIN unnest(?::bigint[], ?::uuid[]) AS t(u, id) ON a.user_id = t.u AND a.action_id = t.id`,
		pgdialect.Array(users), pgdialect.Array(actions)).Scan(ctx, &rows)
	if err != nil {
		return fmt.Errorf("read replays: %w", err)
	}
	byKey := make(map[actionKey]int, len(rows))
	for i, r := range rows {
		byKey[actionKey{r.UserID, r.ActionID}] = i
	}
	for _, it := range items {
		i, ok := byKey[actionKey{it.userID, it.action}]
		if !ok {
			return fmt.Errorf("read replays: no stored result for action %s", it.action)
		}
		var m shared.Message
		if err := decodeResult(rows[i].Kind, rows[i].Result, shared.TypeMessageSend, &m); err != nil {
			if !isDomain(err) {
				return err
			}
			out[it.idx] = SendResult{Err: err}
			continue
		}
		out[it.idx] = SendResult{Message: m}
	}
	return nil
}

func actionArrays(items []sendItem) ([]int64, []string) {
	users, actions := make([]int64, len(items)), make([]string, len(items))
	for i, it := range items {
		users[i], actions[i] = it.userID, it.action
	}
	return users, actions
}

// advanceSenders moves each sender's read cursor past their own messages,
// with its history row: what you wrote yourself is never unread, and replying
// counts as having seen what came before. It runs in the inserting
// transaction, one statement for the whole batch.
func advanceSenders(ctx context.Context, tx bun.Tx, convs []string, senders, seqs []int64) error {
	_, err := tx.NewRaw(`WITH up AS (
			UPDATE conversation_members m SET seen_seq = x.s, seen_at = clock_timestamp()
			FROM (SELECT c, u, max(s) AS s FROM unnest(?::uuid[], ?::bigint[], ?::bigint[]) AS t(c, u, s)
			      WHERE u <> 0 GROUP BY c, u) x
			WHERE m.conversation_id = x.c AND m.user_id = x.u AND m.seen_seq < x.s
			RETURNING m.conversation_id, m.user_id, m.seen_seq, m.seen_at)
		INSERT INTO seen_history (conversation_id, user_id, seq, seen_at)
		SELECT conversation_id, user_id, seen_seq, seen_at FROM up
		ON CONFLICT DO NOTHING`,
		pgdialect.Array(convs), pgdialect.Array(senders), pgdialect.Array(seqs)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("advance sender cursors: %w", err)
	}
	return nil
}

// membersOf reads the member ids of conversations, in one query; db may be
// the committing transaction.
func membersOf(ctx context.Context, db bun.IDB, convIDs []string) (map[string][]int64, error) {
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
