package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"natter/server/pglocal"
)

// Test clusters live in /tmp/natter-pgtest-*/pg, whatever TMPDIR says: the
// postgres user must be able to reach them, and the sweep must find them.
const (
	tmpBase   = "/tmp"
	dirPrefix = "natter-pgtest-"
	ownerFile = "owner.pid" // the pid of the test binary that owns the directory
	// orphanAge is how old a directory without owner.pid must be before the
	// sweep takes it for the leftover of a binary that died while creating it.
	orphanAge = time.Hour
)

// startCluster removes clusters left by dead test binaries, then starts this
// binary's cluster in a new directory. It returns the directory even on
// failure, so Main can remove it.
func startCluster() (string, *pglocal.Cluster, error) {
	sweep()
	root, err := newRoot()
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	c, err := pglocal.Start(ctx, pglocal.Options{
		Dir:       filepath.Join(root, "pg"),
		Logger:    quietLogger(),
		Ephemeral: true, // a PostgreSQL crash still loses nothing; only an OS crash could
	})
	return root, c, err
}

// newRoot creates a private directory for one cluster, searchable (not
// listable) by the postgres user, and records our pid in it for the sweep.
func newRoot() (string, error) {
	root, err := os.MkdirTemp(tmpBase, dirPrefix)
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	if err := os.Chmod(root, 0o711); err != nil {
		return root, fmt.Errorf("pgtest: %w", err)
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := os.WriteFile(filepath.Join(root, ownerFile), pid, 0o644); err != nil {
		return root, fmt.Errorf("pgtest: %w", err)
	}
	return root, nil
}

// sweep stops and removes the clusters of test binaries that are gone (killed
// by a test timeout or ^C before Main could clean up), so they do not pile up
// on a machine that runs tests all day. Live owners' clusters are left alone.
func sweep() {
	dirs, _ := filepath.Glob(filepath.Join(tmpBase, dirPrefix+"*"))
	for _, root := range dirs {
		if !abandoned(root) {
			continue
		}
		if err := pglocal.Discard(filepath.Join(root, "pg")); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: remove abandoned cluster: %v\n", err)
			continue
		}
		_ = os.RemoveAll(root)
	}
}

// abandoned reports whether root's owner process no longer exists.
func abandoned(root string) bool {
	b, err := os.ReadFile(filepath.Join(root, ownerFile))
	if errors.Is(err, os.ErrNotExist) {
		st, err := os.Stat(root)
		return err == nil && time.Since(st.ModTime()) > orphanAge
	}
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	err = syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}

// MustOwnCluster starts a cluster for this test alone, with a migrated
// database, and returns the cluster and that database's DSN. It is for fault
// tests that stop or crash PostgreSQL (Cluster.Restart), which must not
// disturb the other tests sharing the binary's cluster. Startup costs about
// two seconds. The cluster is discarded when the test ends.
func MustOwnCluster(tb testing.TB) (*pglocal.Cluster, string) {
	tb.Helper()
	root, err := newRoot()
	if root != "" {
		tb.Cleanup(func() {
			if err := pglocal.Discard(filepath.Join(root, "pg")); err != nil {
				tb.Errorf("pgtest: %v", err)
			}
			_ = os.RemoveAll(root)
		})
	}
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	c, err := pglocal.Start(ctx, pglocal.Options{Dir: filepath.Join(root, "pg"), Logger: quietLogger(), Ephemeral: true})
	if err != nil {
		tb.Fatalf("pgtest: PostgreSQL for this test is unavailable: %v", err)
	}
	const name = "natter"
	if err := c.CreateDatabase(ctx, name, ""); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	db := openDB(c.DSN(name))
	err = Migrate(ctx, db)
	_ = db.Close()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return c, c.DSN(name)
}
