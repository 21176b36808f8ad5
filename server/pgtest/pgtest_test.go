package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/uptrace/bun"

	"natter/server/pglocal"
)

func TestMain(m *testing.M) { Main(m) }

// dbName extracts the database name from one of our DSNs.
func dbName(tb testing.TB, dsn string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("parse DSN %q: %v", dsn, err)
	}
	return u.Path[1:]
}

// tableExists reports whether the users table (created by the migrations)
// exists in db.
func tableExists(tb testing.TB, db *bun.DB, table string) bool {
	tb.Helper()
	var ok bool
	if err := db.QueryRowContext(context.Background(), "SELECT to_regclass(?) IS NOT NULL", table).Scan(&ok); err != nil {
		tb.Fatalf("to_regclass(%s): %v", table, err)
	}
	return ok
}

func TestMustDBIsMigratedAndIsolated(t *testing.T) {
	const email = "same@example.com"
	for i := range 4 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			db := MustDB(t)
			if !tableExists(t, db, "users") {
				t.Fatal("users table missing: template not migrated")
			}
			// The same email in every parallel test: only separate databases let all succeed.
			_, err := db.ExecContext(context.Background(),
				"INSERT INTO users (email, nickname, password_hash) VALUES (?, ?, 'x')", email, "nick")
			if err != nil {
				t.Fatalf("insert: %v", err)
			}
			var n int
			if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM users").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Fatalf("users = %d, want 1 (databases shared between tests?)", n)
			}
		})
	}
}

func TestMustEmptyDSNHasNoTables(t *testing.T) {
	db := Open(t, MustEmptyDSN(t))
	if tableExists(t, db, "users") {
		t.Fatal("users table exists in an empty database")
	}
	if tableExists(t, db, "bun_migrations") {
		t.Fatal("bun_migrations exists in an empty database")
	}
}

func TestDatabaseDroppedAtCleanup(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		db := MustDB(t)
		name = dbName(t, MustDSN(t))
		// A connection left open must not stop the drop.
		if err := db.PingContext(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	admin := Open(t, Cluster(t).DSN("postgres"))
	var n int
	err := admin.QueryRowContext(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = ?", name).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database %s still exists after its test ended", name)
	}
}

func TestTemplateRefusesConnections(t *testing.T) {
	db := Open(t, Cluster(t).DSN(TemplateName))
	if err := db.PingContext(context.Background()); err == nil {
		t.Fatal("connected to the template; a session there would block every clone")
	}
}

func TestMustOwnClusterSurvivesCrash(t *testing.T) {
	c, dsn := MustOwnCluster(t)
	ctx := context.Background()
	db := Open(t, dsn)
	if _, err := db.ExecContext(ctx, "INSERT INTO users (email, nickname, password_hash) VALUES ('a@b.c', 'a', 'x')"); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart(ctx, true); err != nil {
		t.Fatalf("restart after crash: %v", err)
	}
	var n int
	// The pool's old connections died with the server; database/sql retries on a fresh one.
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		t.Fatalf("query after restart: %v", err)
	}
	if n != 1 {
		t.Fatalf("users after crash = %d, want 1", n)
	}
}

func TestSweepRemovesAbandonedClusters(t *testing.T) {
	// A pid that certainly existed and is now gone.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid

	abandonedRoot, err := os.MkdirTemp(tmpBase, dirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(abandonedRoot) })
	if err := os.WriteFile(filepath.Join(abandonedRoot, ownerFile), fmt.Appendf(nil, "%d\n", dead), 0o644); err != nil {
		t.Fatal(err)
	}
	liveRoot, err := newRoot() // owned by us, alive
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(liveRoot) })

	sweep()

	if _, err := os.Stat(abandonedRoot); !os.IsNotExist(err) {
		t.Errorf("abandoned %s still there (err %v)", abandonedRoot, err)
	}
	if _, err := os.Stat(liveRoot); err != nil {
		t.Errorf("live %s removed: %v", liveRoot, err)
	}
}

// TestTestsConnectAsAppRole: tests run with the rights the server has in
// production (pglocal.AppRole, owner of its database, no superuser), so a
// query that only works for a superuser fails here first.
func TestTestsConnectAsAppRole(t *testing.T) {
	db := MustDB(t)
	var user, owner string
	var super bool
	err := db.QueryRowContext(context.Background(), `SELECT current_user, u.usesuper, pg_get_userbyid(d.datdba)
		FROM pg_user u, pg_database d WHERE u.usename = current_user AND d.datname = current_database()`).Scan(&user, &super, &owner)
	if err != nil {
		t.Fatal(err)
	}
	if user != pglocal.AppRole || super || owner != pglocal.AppRole {
		t.Fatalf("connected as %s (superuser %v) to a database owned by %s; want %s, no superuser, owning it",
			user, super, owner, pglocal.AppRole)
	}
}
