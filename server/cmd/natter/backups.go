package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"natter/server/backup"
	"natter/server/pglocal"
	"natter/server/store"
)

// backupSuffix ends the name of every backup file natter makes itself, so
// pruning never touches anything else in the directory.
const backupSuffix = ".natter-backup.tar"

// loadBackupConfig reads NATTER_BACKUP_EVERY (0 or unset: no scheduled
// backups) and NATTER_BACKUP_KEEP (how many scheduled backups to keep).
func loadBackupConfig(c *config) error {
	c.BackupKeep = 7
	if v := os.Getenv("NATTER_BACKUP_EVERY"); v != "" {
		d, err := parseDuration(v)
		if err != nil || (d != 0 && d < time.Minute) {
			return fmt.Errorf("NATTER_BACKUP_EVERY must be 0 or a duration of at least 1m such as 24h or 1d, not %q", v)
		}
		c.BackupEvery = d
	}
	if v := os.Getenv("NATTER_BACKUP_KEEP"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("NATTER_BACKUP_KEEP must be a whole number of at least 1, not %q", v)
		}
		c.BackupKeep = n
	}
	return nil
}

// backupDir is where scheduled backups go and `natter admin backup` writes
// by default.
func backupDir(cfg config) string { return filepath.Join(cfg.DataDir, "backups") }

// newBackupPath names a backup made now in dir.
func newBackupPath(dir string, now time.Time) string {
	return filepath.Join(dir, "natter-"+now.UTC().Format("20060102T150405.000Z")+backupSuffix)
}

// openTarget opens the database as openAdminStore does and also says how
// PostgreSQL's own programs reach it: the embedded cluster through its
// socket with its own version's pg_dump, or DATABASE_URL with the highest
// installed version (pg_dump must be at least as new as the server). The
// embedded cluster is started when no server runs it, and then stopped by
// release; with own set (natter serve, which holds the data directory's
// lock) release always stops it, even when an earlier run left it running.
func openTarget(ctx context.Context, cfg config, log *slog.Logger, own bool) (*store.Store, backup.Target, func(), error) {
	if cfg.DatabaseURL != "" {
		st, err := store.Open(cfg.DatabaseURL)
		if err != nil {
			return nil, backup.Target{}, nil, err
		}
		bin, _ := pglocal.FindBinaries() // empty: pg_dump from PATH
		conninfo, pw := backup.FromURL(cfg.DatabaseURL)
		return st, backup.Target{Conninfo: conninfo, Password: pw, BinDir: bin}, func() { _ = st.Close() }, nil
	}
	dir := filepath.Join(cfg.DataDir, "postgres")
	running := !own && clusterRunning(dir)
	cluster, err := pglocal.Start(ctx, pglocal.Options{Dir: dir, Logger: log})
	if err != nil {
		return nil, backup.Target{}, nil, fmt.Errorf("start the embedded PostgreSQL: %w", err)
	}
	stop := func() {
		if !running {
			if err := cluster.Stop(); err != nil {
				log.Error("stop embedded PostgreSQL", "err", err)
			}
		}
	}
	if err := cluster.CreateDatabase(ctx, "natter", ""); err != nil {
		stop()
		return nil, backup.Target{}, nil, fmt.Errorf("create database: %w", err)
	}
	st, err := store.Open(cluster.DSN("natter"))
	if err != nil {
		stop()
		return nil, backup.Target{}, nil, err
	}
	if own {
		log.Info("embedded PostgreSQL running", "dir", cluster.Dir(), "bin", cluster.BinDir())
	}
	conninfo, pw := cluster.Conninfo("natter")
	return st, backup.Target{Conninfo: conninfo, Password: pw, BinDir: cluster.BinDir()},
		func() { _ = st.Close(); stop() }, nil
}

// makeBackup writes a backup of st (reached by PostgreSQL's programs as t)
// to path, creating its directory (mode 0700: a backup holds everything).
func makeBackup(ctx context.Context, st *store.Store, t backup.Target, path string) (backup.Meta, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return backup.Meta{}, fmt.Errorf("backup: %w", err)
	}
	schema, err := st.SchemaVersion(ctx)
	if err != nil {
		return backup.Meta{}, err
	}
	return backup.Create(ctx, t, schema, path)
}

// backupFiles lists natter's backup files in dir, oldest first (their
// names sort by time).
func backupFiles(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), backupSuffix) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	slices.Sort(out)
	return out
}

// pruneBackups removes the oldest backup files in dir beyond keep.
func pruneBackups(dir string, keep int) (removed int) {
	files := backupFiles(dir)
	for len(files) > keep {
		if os.Remove(files[0]) == nil {
			removed++
		}
		files = files[1:]
	}
	return removed
}

// runBackups makes a backup every cfg.BackupEvery into cfg's backup
// directory and keeps the newest cfg.BackupKeep, until ctx ends. With
// several servers on one database each would back it up; schedule backups
// on one of them. done, when not nil, hears of each round (for tests).
func runBackups(ctx context.Context, cfg config, st *store.Store, t backup.Target, log *slog.Logger, done func(path string, err error)) {
	tick := time.NewTicker(cfg.BackupEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		start := time.Now()
		path := newBackupPath(backupDir(cfg), start)
		meta, err := makeBackup(ctx, st, t, path)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("scheduled backup failed", "err", err)
			}
		} else {
			removed := pruneBackups(backupDir(cfg), cfg.BackupKeep)
			log.Info("scheduled backup", "file", path, "bytes", meta.DumpSize, "schema", meta.Schema,
				"took", time.Since(start).Round(time.Millisecond), "pruned", removed)
		}
		if done != nil {
			done(path, err)
		}
	}
}
