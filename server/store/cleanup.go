package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Housekeeping.
//
// Three tables grow with use and are only read near their newest rows:
// sessions, applied_actions and seen_history. Cleanup deletes what nobody
// can ask for any more, one task per table, each one statement repeated in
// batches of at most CleanupPolicy.Batch rows, so a large backlog never
// holds locks for long or makes one huge transaction. Every statement runs
// on its own (autocommit), with the database's clock, so nodes whose
// clocks disagree still agree on what is old.
//
// Messages are never touched: a message row is the idempotency record of
// its send (see SendMessages), and a replayed send must find it however
// old it is.
//
// Only one node cleans at a time: Cleanup takes a session-level advisory
// lock (CleanupLockKey) with pg_try_advisory_lock on a connection of its
// own, and a node that finds it taken skips the round instead of queueing
// behind it; the holder is doing the same work.

// CleanupLockKey is the PostgreSQL advisory lock key that makes a cleanup
// run alone among the servers sharing a database. It differs from the
// migrations' key ("natter") by its low bytes.
const CleanupLockKey int64 = 0x6e61747465720001 // "natter" 0x00 0x01

// Retention defaults and bounds; README.md documents them with their
// environment variables.
const (
	// DefaultSessionGrace keeps an expired or revoked session a week, so
	// the operator can still find it while looking into a sign-out.
	DefaultSessionGrace = 7 * 24 * time.Hour

	// DefaultActionRetention is how long applied_actions keeps a result.
	//
	// It must outlast the longest time an action may wait in a browser's
	// outbox: the client refuses to replay an action older than
	// shared.ActionReplayWindow (14 days; it shows it as failed, with the
	// reason, instead), so every replay the server can receive comes within
	// 14 days of the action's creation, which precedes its first
	// application. Keeping results 30 days covers that window twice over,
	// with room for a browser clock that runs slow.
	DefaultActionRetention = 30 * 24 * time.Hour

	// MinActionRetention is the shortest retention accepted: the client's
	// 14-day replay window plus a day for clock skew. Below it a late replay
	// could find its result gone and apply the action a second time,
	// breaking DESIGN invariant 2.
	MinActionRetention = 15 * 24 * time.Hour

	// DefaultSeenRetention is how long every move of a read cursor is kept
	// in seen_history; see CleanupPolicy.SeenRetention for what older
	// moves still answer.
	DefaultSeenRetention = 180 * 24 * time.Hour

	// DefaultCleanupBatch is the most rows one DELETE removes.
	DefaultCleanupBatch = 10_000
)

// CleanupPolicy says how old rows must be before Cleanup deletes them. The
// zero value of a field means its default.
type CleanupPolicy struct {
	// SessionGrace is how long a session is kept after it expired or was
	// revoked. Such a session no longer signs anyone in.
	SessionGrace time.Duration

	// ActionRetention is how long an applied action's result is kept for
	// replays; at least MinActionRetention (see DefaultActionRetention).
	ActionRetention time.Duration

	// SeenRetention is how long each move of a read cursor is kept.
	//
	// Older moves are deleted, except each current member's newest row per
	// conversation, which is kept however old it is. "Who saw message M and
	// when" (SeenBy) takes, per member, the earliest row with seq >= M.
	// Keeping the newest row keeps the set of members who saw M exact:
	// their cursor still has a row at or past M. Only the time can change,
	// and only for messages seen before the window: it becomes the time of
	// the oldest kept row past M, a later time, which reads "seen by then
	// at the latest". The rows of someone no longer a member go with the
	// others once old, since SeenBy only reports current members (someone
	// added back later counts from their next move).
	SeenRetention time.Duration

	// Batch is the most rows one statement deletes (DefaultCleanupBatch
	// when zero).
	Batch int

	// afterLock, when set, runs while the lock is held and before any
	// deletion; tests use it to hold a run open.
	afterLock func()
}

// withDefaults fills the zero fields.
func (p CleanupPolicy) withDefaults() CleanupPolicy {
	if p.SessionGrace == 0 {
		p.SessionGrace = DefaultSessionGrace
	}
	if p.ActionRetention == 0 {
		p.ActionRetention = DefaultActionRetention
	}
	if p.SeenRetention == 0 {
		p.SeenRetention = DefaultSeenRetention
	}
	if p.Batch == 0 {
		p.Batch = DefaultCleanupBatch
	}
	return p
}

// Validate refuses a policy that would delete what a client may still
// need: an action retention shorter than the client's replay window (plus
// a day), or a negative duration.
func (p CleanupPolicy) Validate() error {
	p = p.withDefaults()
	switch {
	case p.ActionRetention < MinActionRetention:
		return fmt.Errorf("store: cleanup: the action retention %v is shorter than %v: clients replay actions for up to 14 days, and a replay must find its result",
			p.ActionRetention, MinActionRetention)
	case p.SessionGrace < 0 || p.SeenRetention < 0:
		return errors.New("store: cleanup: retention periods cannot be negative")
	case p.Batch < 0:
		return errors.New("store: cleanup: the batch size cannot be negative")
	}
	return nil
}

// CleanupReport is what one Cleanup did: how many rows each task deleted,
// or that it skipped the round because another node was cleaning.
type CleanupReport struct {
	Skipped        bool          `json:"skipped"`         // another node held the lock; nothing was done
	Sessions       int64         `json:"sessions"`        // sessions deleted
	AppliedActions int64         `json:"applied_actions"` // applied action results deleted
	SeenHistory    int64         `json:"seen_history"`    // read-cursor history rows deleted
	Took           time.Duration `json:"-"`
}

// cleanupTask is one table's deletion: a DELETE of rows older than ?0
// (the task's age, in seconds) and at most ?1 of them.
type cleanupTask struct {
	name  string
	query string
	age   func(p CleanupPolicy) time.Duration
	count func(r *CleanupReport) *int64
}

// cleanupTasks are the deletions, in order. Each selects a batch of row
// addresses (ctid) and deletes them by TID scan: DELETE has no LIMIT, and
// the array form keeps the planner from joining the whole table.
var cleanupTasks = []cleanupTask{
	{
		name: "sessions",
		query: `DELETE FROM sessions WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM sessions
			WHERE expires_at < now() - make_interval(secs => ?0) OR revoked_at < now() - make_interval(secs => ?0)
			LIMIT ?1))`,
		age:   func(p CleanupPolicy) time.Duration { return p.SessionGrace },
		count: func(r *CleanupReport) *int64 { return &r.Sessions },
	},
	{
		name: "applied_actions",
		query: `DELETE FROM applied_actions WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM applied_actions
			WHERE created_at < now() - make_interval(secs => ?0)
			LIMIT ?1))`,
		age:   func(p CleanupPolicy) time.Duration { return p.ActionRetention },
		count: func(r *CleanupReport) *int64 { return &r.AppliedActions },
	},
	{
		// An old row goes when a later move of the same cursor exists, or
		// when its user is no longer a member; so each current member's
		// newest (highest seq, so latest) row stays. The common case, a
		// later move, is tested first; both probes are primary-key lookups.
		// No concurrent change can make a deleted row the newest: cursors
		// only add rows.
		name: "seen_history",
		query: `DELETE FROM seen_history WHERE ctid = ANY(ARRAY(
			SELECT h.ctid FROM seen_history h
			WHERE h.seen_at < now() - make_interval(secs => ?0)
			  AND (EXISTS (SELECT 1 FROM seen_history n
					WHERE n.conversation_id = h.conversation_id AND n.user_id = h.user_id AND n.seq > h.seq)
				OR NOT EXISTS (SELECT 1 FROM conversation_members m
					WHERE m.conversation_id = h.conversation_id AND m.user_id = h.user_id))
			LIMIT ?1))`,
		age:   func(p CleanupPolicy) time.Duration { return p.SeenRetention },
		count: func(r *CleanupReport) *int64 { return &r.SeenHistory },
	},
}

// Cleanup deletes expired sessions, applied actions past their retention
// and old read-cursor history, as p says, and reports the counts. When
// another node holds the cleanup lock it does nothing and reports Skipped.
// A cancelled ctx stops it between or inside batches; what was deleted
// stays deleted.
func (s *Store) Cleanup(ctx context.Context, p CleanupPolicy) (CleanupReport, error) {
	if err := p.Validate(); err != nil {
		return CleanupReport{}, err
	}
	p = p.withDefaults()
	start := time.Now()
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return CleanupReport{}, fmt.Errorf("store: cleanup: %w", err)
	}
	var locked bool
	if err := conn.NewRaw(`SELECT pg_try_advisory_lock(?)`, CleanupLockKey).Scan(ctx, &locked); err != nil {
		discard(conn)
		return CleanupReport{}, fmt.Errorf("store: cleanup: lock: %w", err)
	}
	if !locked {
		_ = conn.Close()
		return CleanupReport{Skipped: true, Took: time.Since(start)}, nil
	}
	defer unlockCleanup(ctx, conn)
	if p.afterLock != nil {
		p.afterLock()
	}
	var rep CleanupReport
	for _, t := range cleanupTasks {
		n, err := deleteBatched(ctx, &conn, t.query, t.age(p), p.Batch)
		*t.count(&rep) = n
		if err != nil {
			rep.Took = time.Since(start)
			return rep, fmt.Errorf("store: cleanup %s: %w", t.name, err)
		}
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// deleteBatched runs a task's DELETE, each run its own transaction, until
// one removes fewer than batch rows, and returns the total.
func deleteBatched(ctx context.Context, db bun.IDB, query string, age time.Duration, batch int) (int64, error) {
	var total int64
	for {
		// The driver may not look at ctx before a statement; a server
		// shutting down should not start another batch.
		if err := ctx.Err(); err != nil {
			return total, err
		}
		res, err := db.NewRaw(query, age.Seconds(), batch).Exec(ctx)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}

// unlockCleanup releases the cleanup lock and returns the connection to
// the pool. The lock belongs to the database session, so a connection that
// might still hold it (the unlock failed, say after ctx was cancelled mid
// statement) is closed instead: closing the session frees the lock, where
// a pooled connection would keep it and stall every later round.
func unlockCleanup(ctx context.Context, conn bun.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var ok bool
	if err := conn.NewRaw(`SELECT pg_advisory_unlock(?)`, CleanupLockKey).Scan(ctx, &ok); err != nil || !ok {
		discard(conn)
		return
	}
	_ = conn.Close()
}

// discard closes conn's database session rather than pooling it.
func discard(conn bun.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
