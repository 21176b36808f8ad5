package main

import (
	"context"
	"log/slog"
	"time"

	"natter/server/store"
)

// cleanupDelay is how long a starting server waits before its first
// cleanup, so the job does not compete with clients reconnecting after a
// restart.
const cleanupDelay = time.Minute

// runCleanup runs store.Cleanup after delay and then every `every`, until
// ctx ends; serve starts it in a goroutine. Every server runs it; the
// cleanup lock lets one of them work per round and the others skip, so
// nodes need no configuration to agree on who cleans. A failed round is
// logged and the next one tries again.
func runCleanup(ctx context.Context, st *store.Store, p store.CleanupPolicy, delay, every time.Duration, log *slog.Logger) {
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cleanupOnce(ctx, st, p, log)
		t.Reset(every)
	}
}

// cleanupOnce runs one round and logs what it did.
func cleanupOnce(ctx context.Context, st *store.Store, p store.CleanupPolicy, log *slog.Logger) {
	r, err := st.Cleanup(ctx, p)
	switch {
	case err != nil && ctx.Err() != nil:
		// Shutting down: the next start cleans up the rest.
	case err != nil:
		log.Error("cleanup", "err", err, "sessions", r.Sessions, "applied_actions", r.AppliedActions, "seen_history", r.SeenHistory)
	case r.Skipped:
		log.Debug("cleanup skipped: another server is cleaning")
	default:
		log.Info("cleanup", "sessions", r.Sessions, "applied_actions", r.AppliedActions, "seen_history", r.SeenHistory,
			"took", r.Took.Round(time.Millisecond))
	}
}
