package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadBackupConfig(t *testing.T) {
	tests := []struct {
		name, every, keep string
		wantEvery         time.Duration
		wantKeep          int
		err               string
	}{
		{name: "defaults", wantKeep: 7},
		{name: "daily", every: "24h", keep: "3", wantEvery: 24 * time.Hour, wantKeep: 3},
		{name: "days", every: "1d", wantEvery: 24 * time.Hour, wantKeep: 7},
		{name: "off", every: "0", wantKeep: 7},
		{name: "too often", every: "10s", err: "at least 1m"},
		{name: "bad keep", keep: "0", err: "NATTER_BACKUP_KEEP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NATTER_BACKUP_EVERY", tt.every)
			t.Setenv("NATTER_BACKUP_KEEP", tt.keep)
			var c config
			err := loadBackupConfig(&c)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || c.BackupEvery != tt.wantEvery || c.BackupKeep != tt.wantKeep {
				t.Fatalf("got %v %d %v", c.BackupEvery, c.BackupKeep, err)
			}
		})
	}
}

// TestScheduledBackups runs the server's backup loop on a real embedded
// cluster: each round writes a backup, only the newest two are kept, and
// admin stats reports them.
func TestScheduledBackups(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := dataRoot(t)
	t.Setenv("DATABASE_URL", "")
	t.Setenv("NATTER_DATA", filepath.Join(root, "s"))
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	st, target, release, err := openTarget(ctx, cfg, quietLog(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cfg.BackupEvery, cfg.BackupKeep = 10*time.Millisecond, 2
	rounds, exited := make(chan error, 100), make(chan struct{})
	go func() {
		defer close(exited)
		runBackups(ctx, cfg, st, target, quietLog(), func(_ string, err error) { rounds <- err })
	}()
	for i := range 3 {
		select {
		case err := <-rounds:
			if err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
		case <-time.After(guard):
			t.Fatal("no backup round")
		}
	}
	cancel()
	<-exited // a round under way finishes (pruned) or fails (no file)
	if files := backupFiles(backupDir(cfg)); len(files) != 2 {
		t.Fatalf("kept %d backups, want 2: %v", len(files), files)
	}
	var s stats
	e := &adminEnv{t: t, st: st}
	mustUnmarshal(t, e.mustRun("stats", "--json"), &s)
	if s.Backups == nil || s.Backups.Count != 2 || s.Backups.At == nil {
		b, _ := json.Marshal(s.Backups)
		t.Fatalf("stats backups = %s", b)
	}
}
