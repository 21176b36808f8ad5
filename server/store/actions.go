package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"natter/shared"
)

// Applying an action at most once (DESIGN invariant 2).
//
// Every durable action runs through once: in one transaction it first
// claims (user, action id) in applied_actions with INSERT ... ON CONFLICT DO
// NOTHING, then applies the effect and stores the JSON result in the claimed
// row, then commits. Claiming first rather than looking up first means:
//
//   - a replay of an applied action finds the row and returns the stored
//     result without touching anything;
//   - a concurrent duplicate blocks on the claim until the first one ends:
//     after a commit it finds the row and returns the winner's result, after
//     a rollback it claims and runs itself. The loser never runs the effect,
//     so it cannot trip over it (an "already member" error where the
//     winner's result was due, or a seq taken and given back);
//   - a domain error rolls the claim back with everything else, so a failed
//     action is not recorded and may be retried.
//
// Locks are always taken in the order claim, conversation row, member rows,
// which keeps concurrent actions free of deadlocks.
//
// message.send is the exception, for load: the message row is its own
// record (unique on sender and action id) and SendMessages looks it up
// after taking the conversation lock; see sendBatch. An action id is still
// one action: a send refuses an id found here, and claim refuses an id
// found in messages.

// maxAttempts bounds the retries of a transaction that lost a race.
const maxAttempts = 3

// cleanActionID checks that an action id is a UUID (the column's type) and
// returns it lower-cased.
func cleanActionID(id string) (string, error) {
	if !shared.IsUUID(id) {
		return "", domainErr(shared.CodeInvalid, "The action id must be a UUID.")
	}
	return strings.ToLower(id), nil
}

// claim inserts the applied_actions row for an action with a placeholder
// result; false means the action was applied already. A message.send keeps
// no row here (its message is its record, see SendMessages), so the same
// statement looks for a message sent under the id, which makes the id
// taken by another kind of action.
func claim(ctx context.Context, db bun.IDB, userID int64, actionID, kind string) (bool, error) {
	var row struct {
		Claimed bool `bun:"claimed"`
		Sent    bool `bun:"sent"`
	}
	err := db.NewRaw(`WITH c AS (
			INSERT INTO applied_actions (user_id, action_id, kind, result)
			VALUES (?, ?, ?, 'null') ON CONFLICT DO NOTHING RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM c) AS claimed,
			EXISTS (SELECT 1 FROM messages WHERE sender_id = ? AND action_id = ?::uuid) AS sent`,
		userID, actionID, kind, userID, actionID).Scan(ctx, &row)
	if err != nil {
		return false, err
	}
	if row.Claimed && row.Sent {
		return false, errKindUsed(shared.TypeMessageSend)
	}
	return row.Claimed, nil
}

// storedResult reads the result of an applied action into out.
func storedResult(ctx context.Context, db bun.IDB, userID int64, actionID, kind string, out any) error {
	var row struct {
		Kind   string          `bun:"kind"`
		Result json.RawMessage `bun:"result,type:jsonb"`
	}
	err := db.NewRaw(`SELECT kind, result FROM applied_actions WHERE user_id = ? AND action_id = ?`,
		userID, actionID).Scan(ctx, &row)
	if err != nil {
		return err
	}
	return decodeResult(row.Kind, row.Result, kind, out)
}

// errKindUsed refuses an action id already used by an action of another
// kind.
func errKindUsed(kind string) error {
	return domainErr(shared.CodeInvalid, fmt.Sprintf("This action id was already used for a %s action.", kind))
}

func decodeResult(gotKind string, result []byte, kind string, out any) error {
	if gotKind != kind {
		return errKindUsed(gotKind)
	}
	if err := json.Unmarshal(result, out); err != nil {
		return fmt.Errorf("decode stored %s result: %w", kind, err)
	}
	return nil
}

// saveResult fills the claimed row with the action's result.
func saveResult(ctx context.Context, db bun.IDB, userID int64, actionID string, result any) error {
	b, err := json.Marshal(result)
	if err != nil {
		return err
	}
	_, err = db.NewRaw(`UPDATE applied_actions SET result = ? WHERE user_id = ? AND action_id = ?`,
		string(b), userID, actionID).Exec(ctx)
	return err
}

// once applies an action of the given kind for a user at most once, in one
// transaction, and returns the result of its first application.
func once[T any](ctx context.Context, s *Store, userID int64, actionID, kind string,
	apply func(ctx context.Context, tx bun.Tx) (T, error)) (T, error) {
	var zero T
	actionID, err := cleanActionID(actionID)
	if err != nil {
		return zero, err
	}
	for attempt := 1; ; attempt++ {
		var out T
		err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			claimed, err := claim(ctx, tx, userID, actionID, kind)
			if err != nil {
				return err
			}
			if !claimed {
				return storedResult(ctx, tx, userID, actionID, kind, &out)
			}
			res, err := apply(ctx, tx)
			if err != nil {
				return err
			}
			out = res
			return saveResult(ctx, tx, userID, actionID, res)
		})
		if err == nil {
			return out, nil
		}
		if isDomain(err) {
			return zero, err
		}
		if retryable(err) && attempt < maxAttempts && ctx.Err() == nil {
			continue
		}
		return zero, fmt.Errorf("store: %s: %w", kind, err)
	}
}
