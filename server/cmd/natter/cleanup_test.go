package main

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"strings"
	"testing"
	"time"

	"natter/server/store"
	"natter/shared"
)

// mustExpiredSession stores a session that expired age ago.
func (e *adminEnv) mustExpiredSession(userID int64, age time.Duration) {
	e.t.Helper()
	h := sha256.Sum256([]byte(shared.NewUUIDv7()))
	if _, err := e.st.CreateSession(context.Background(), userID, h[:], "old", time.Now().Add(-age)); err != nil {
		e.t.Fatal(err)
	}
}

func TestAdminCleanup(t *testing.T) {
	e := newAdminEnv(t)
	a := e.mustUser("alice")
	e.mustSession(a.ID, "live")
	e.mustExpiredSession(a.ID, 30*24*time.Hour)
	e.mustExpiredSession(a.ID, 9*24*time.Hour)
	e.mustExpiredSession(a.ID, time.Hour) // within the week's grace

	out := e.mustRun("cleanup")
	for _, w := range []string{"sessions         2        7 days after expiry", "applied_actions  0        30 days", "seen_history     0        180 days", "took "} {
		if !strings.Contains(out, w) {
			t.Errorf("cleanup output lacks %q:\n%s", w, out)
		}
	}
	var r cleanupResult
	e.mustJSON(&r, "cleanup")
	if r.Skipped || r.Sessions != 0 || r.AppliedActions != 0 || r.SeenHistory != 0 {
		t.Fatalf("second run = %+v, want nothing left to delete", r)
	}
	if n, err := e.st.ListSessions(context.Background(), a.ID); err != nil || len(n) != 1 {
		t.Fatalf("live sessions = %v, %v", n, err)
	}

	t.Run("another server is cleaning", func(t *testing.T) {
		conn, err := e.st.DB.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_lock(?)", store.CleanupLockKey); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(?)", store.CleanupLockKey)
		if out := e.mustRun("cleanup"); !strings.Contains(out, "skipped") {
			t.Fatalf("cleanup while locked:\n%s", out)
		}
		var r cleanupResult
		e.mustJSON(&r, "cleanup")
		if !r.Skipped {
			t.Fatalf("cleanup while locked = %+v, want skipped", r)
		}
	})

	t.Run("retention too short", func(t *testing.T) {
		t.Setenv("NATTER_ACTION_RETENTION", "14d")
		e.mustFail("", "NATTER_ACTION_RETENTION must be at least 15d", "cleanup")
	})
}

func TestLoadCleanupConfig(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name    string
		env     map[string]string
		want    store.CleanupPolicy
		every   time.Duration
		wantErr string
	}{
		{name: "defaults", want: store.CleanupPolicy{SessionGrace: 7 * day, ActionRetention: 30 * day, SeenRetention: 180 * day}, every: time.Hour},
		{
			name: "all set",
			env: map[string]string{"NATTER_SESSION_RETENTION": "1d", "NATTER_ACTION_RETENTION": "15d",
				"NATTER_SEEN_RETENTION": "2160h", "NATTER_CLEANUP_EVERY": "10m"},
			want:  store.CleanupPolicy{SessionGrace: day, ActionRetention: 15 * day, SeenRetention: 90 * day},
			every: 10 * time.Minute,
		},
		{name: "scheduled job off", env: map[string]string{"NATTER_CLEANUP_EVERY": "0"},
			want: store.CleanupPolicy{SessionGrace: 7 * day, ActionRetention: 30 * day, SeenRetention: 180 * day}},
		{name: "action retention within the replay window", env: map[string]string{"NATTER_ACTION_RETENTION": "14d"},
			wantErr: "NATTER_ACTION_RETENTION must be at least 15d"},
		{name: "action retention in hours", env: map[string]string{"NATTER_ACTION_RETENTION": "300h"},
			wantErr: "NATTER_ACTION_RETENTION must be at least 15d"},
		{name: "not a duration", env: map[string]string{"NATTER_SEEN_RETENTION": "forever"},
			wantErr: "NATTER_SEEN_RETENTION must be a duration"},
		{name: "too frequent", env: map[string]string{"NATTER_CLEANUP_EVERY": "1s"},
			wantErr: "NATTER_CLEANUP_EVERY must be at least 1m0s"},
		{name: "negative days", env: map[string]string{"NATTER_SESSION_RETENTION": "-3d"},
			wantErr: "NATTER_SESSION_RETENTION must be a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"NATTER_SESSION_RETENTION", "NATTER_ACTION_RETENTION", "NATTER_SEEN_RETENTION", "NATTER_CLEANUP_EVERY"} {
				t.Setenv(k, tt.env[k])
			}
			c, err := loadConfig()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadConfig error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if got := c.Cleanup; err != nil || got.SessionGrace != tt.want.SessionGrace || got.ActionRetention != tt.want.ActionRetention ||
				got.SeenRetention != tt.want.SeenRetention || c.CleanupEvery != tt.every {
				t.Fatalf("loadConfig = %+v every %v, %v; want %+v every %v", c.Cleanup, c.CleanupEvery, err, tt.want, tt.every)
			}
		})
	}
}

// recordHandler hands every log record to a channel.
type recordHandler chan slog.Record

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	h <- r.Clone()
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

// The scheduled job runs after its delay, logs its counts, and ends with
// the server's context.
func TestRunCleanup(t *testing.T) {
	e := newAdminEnv(t)
	a := e.mustUser("alice")
	e.mustExpiredSession(a.ID, 30*24*time.Hour)
	records := make(recordHandler, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runCleanup(ctx, e.st, store.CleanupPolicy{}, 0, time.Hour, slog.New(records))
	}()
	select {
	case r := <-records:
		attrs := map[string]string{}
		r.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.String()
			return true
		})
		if r.Message != "cleanup" || r.Level != slog.LevelInfo || attrs["sessions"] != "1" || attrs["seen_history"] != "0" {
			t.Fatalf("log record %q %v %v", r.Message, r.Level, attrs)
		}
	case <-time.After(guard):
		t.Fatalf("no cleanup logged within %v", guard)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(guard):
		t.Fatalf("runCleanup still running %v after its context ended", guard)
	}
}
