package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Throttles live in the database so that every node counts against the same
// limits: an attacker gains nothing by spreading attempts over nodes. The
// policy (which keys, which limits, what a success refunds) is the caller's;
// this file only makes counting atomic across nodes. Times come from the
// caller's clock, so a throttle's tests can move time; nodes' clocks differ
// by far less than any window.

// Marks are the rows of one key in a sliding window, oldest first.
type Marks []time.Time

// ReserveMarks counts one attempt against keys, or refuses it, atomically
// across nodes: it locks the keys (transaction-scoped advisory locks, taken
// in one order so two reservations cannot deadlock), drops their marks at
// or before now-window, hands the rest to judge (one list per key, in
// keys' order) and, when judge allows, adds a mark at now under every key.
// The ticket names those marks for ReleaseMarks; it is 0 when refused.
func (s *Store) ReserveMarks(ctx context.Context, keys []string, now time.Time, window time.Duration,
	judge func([]Marks) (wait time.Duration, ok bool)) (ticket int64, wait time.Duration, ok bool, err error) {
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ticket, wait, ok = 0, 0, false
		if _, err := tx.NewRaw(`SELECT pg_advisory_xact_lock(h) FROM
			(SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(?::text[]) AS k) AS l ORDER BY h`,
			pgdialect.Array(keys)).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewRaw(`DELETE FROM throttle_marks WHERE key = ANY(?::text[]) AND at <= ?`,
			pgdialect.Array(keys), now.Add(-window)).Exec(ctx); err != nil {
			return err
		}
		var rows []struct {
			Key string    `bun:"key"`
			At  time.Time `bun:"at"`
		}
		if err := tx.NewRaw(`SELECT key, at FROM throttle_marks WHERE key = ANY(?::text[]) ORDER BY at`,
			pgdialect.Array(keys)).Scan(ctx, &rows); err != nil {
			return err
		}
		lists := make([]Marks, len(keys))
		for _, r := range rows {
			for i, k := range keys {
				if k == r.Key {
					lists[i] = append(lists[i], r.At)
				}
			}
		}
		if wait, ok = judge(lists); !ok {
			return nil
		}
		ticket = newTicket()
		_, err := tx.NewRaw(`INSERT INTO throttle_marks (key, at, ticket)
			SELECT k, ?, ? FROM unnest(?::text[]) AS k`, now, ticket, pgdialect.Array(keys)).Exec(ctx)
		return err
	})
	if err != nil {
		return 0, 0, false, fmt.Errorf("store: reserve throttle marks: %w", err)
	}
	return ticket, wait, ok, nil
}

// ReleaseMarks hands back the marks of ticket under keys, and forgets every
// mark under each of clear (a success wipes a key's failures).
func (s *Store) ReleaseMarks(ctx context.Context, ticket int64, keys, clear []string) error {
	_, err := s.DB.NewRaw(`DELETE FROM throttle_marks
		WHERE (ticket = ? AND key = ANY(?::text[])) OR key = ANY(?::text[])`,
		ticket, pgdialect.Array(keys), pgdialect.Array(clear)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: release throttle marks: %w", err)
	}
	return nil
}

// TakeToken takes one token from key's bucket (burst tokens, refilled at
// perSecond) in one atomic upsert, or says how long until one is there.
// A refused request takes nothing.
func (s *Store) TakeToken(ctx context.Context, key string, now time.Time, perSecond float64, burst int) (time.Duration, bool, error) {
	var left []float64
	err := s.DB.NewRaw(`INSERT INTO throttle_buckets AS b (key, tokens, at) VALUES (?0, ?2::float8 - 1, ?1::timestamptz)
		ON CONFLICT (key) DO UPDATE
		SET tokens = LEAST(?2::float8, b.tokens + ?3::float8 * GREATEST(extract(epoch FROM ?1::timestamptz - b.at)::float8, 0)) - 1,
			at = GREATEST(b.at, ?1::timestamptz)
		WHERE LEAST(?2::float8, b.tokens + ?3::float8 * GREATEST(extract(epoch FROM ?1::timestamptz - b.at)::float8, 0)) >= 1
		RETURNING tokens`, key, now, float64(burst), perSecond).Scan(ctx, &left)
	if err != nil {
		return 0, false, fmt.Errorf("store: take throttle token: %w", err)
	}
	if len(left) > 0 {
		return 0, true, nil
	}
	var have []float64
	if err := s.DB.NewRaw(`SELECT LEAST(?2::float8, tokens + ?3::float8 * GREATEST(extract(epoch FROM ?1::timestamptz - at)::float8, 0))
		FROM throttle_buckets WHERE key = ?0`, key, now, float64(burst), perSecond).Scan(ctx, &have); err != nil {
		return 0, false, fmt.Errorf("store: read throttle bucket: %w", err)
	}
	if len(have) == 0 || perSecond <= 0 {
		return time.Hour, false, nil
	}
	wait := time.Duration(math.Ceil((1 - have[0]) / perSecond * float64(time.Second)))
	return max(wait, time.Millisecond), false, nil
}

// SweepThrottles deletes marks and buckets untouched since before, which
// count for nothing any more; callers pass now minus their longest window.
func (s *Store) SweepThrottles(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.DB.NewRaw(`DELETE FROM throttle_marks WHERE at < ?0; DELETE FROM throttle_buckets WHERE at < ?0`, before).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: sweep throttles: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// newTicket returns a random positive id for one attempt's marks.
func newTicket() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:])>>1) | 1
}
