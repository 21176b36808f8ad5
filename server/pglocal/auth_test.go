package pglocal

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// quiet drops pglocal's start notes from test output.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newTestCluster starts a throwaway cluster in a directory the postgres
// user can reach, removed when the test ends.
func newTestCluster(t *testing.T) *Cluster {
	t.Helper()
	root, err := os.MkdirTemp("/tmp", "pglocal-auth-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o711); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "pg")
	t.Cleanup(func() {
		if err := Discard(dir); err != nil {
			t.Errorf("discard: %v", err)
		}
		_ = os.RemoveAll(root)
	})
	c, err := Start(context.Background(), Options{Dir: dir, Ephemeral: true, Logger: quiet})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	return c
}

// openDSN opens a pool on dsn, closed when the test ends.
func openDSN(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db := sql.OpenDB(newConnector(dsn))
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// withPassword returns dsn with its password replaced (or removed when pw
// is empty).
func withPassword(t *testing.T, dsn, pw string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if pw == "" {
		u.User = url.User(u.User.Username())
	} else {
		u.User = url.UserPassword(u.User.Username(), pw)
	}
	return u.String()
}

// roleOf returns the user name in dsn, for messages that must not show the
// password.
func roleOf(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return u.User.Username()
}

// TestAppRoleIsNotSuperuser: what an attacker holding the application's
// connection could otherwise do to the machine or the cluster is refused.
func TestAppRoleIsNotSuperuser(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t)
	ctx := context.Background()
	if err := c.CreateDatabase(ctx, "app", ""); err != nil {
		t.Fatal(err)
	}
	db := openDSN(t, c.DSN("app"))
	var user string
	var super bool
	if err := db.QueryRowContext(ctx, "SELECT current_user, usesuper FROM pg_user WHERE usename = current_user").Scan(&user, &super); err != nil {
		t.Fatal(err)
	}
	if user != AppRole || super {
		t.Fatalf("connected as %q (superuser %v), want %q without superuser", user, super, AppRole)
	}
	// It owns its database, so migrations work.
	if _, err := db.ExecContext(ctx, "CREATE TABLE notes (id bigserial PRIMARY KEY, body text); ALTER TABLE notes ADD COLUMN at timestamptz; DROP TABLE notes"); err != nil {
		t.Fatalf("app role cannot run DDL in its database: %v", err)
	}
	refused := []struct{ name, query string }{
		{"create role", "CREATE ROLE x"},
		{"copy to program", "COPY (SELECT 1) TO PROGRAM 'true'"},
		{"create database", "CREATE DATABASE x"},
		{"read server file", "SELECT pg_read_file('postgresql.conf')"},
		{"alter system", "ALTER SYSTEM SET fsync = off"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.ExecContext(ctx, tt.query)
			if got := sqlState(err); got != "42501" { // insufficient_privilege
				t.Fatalf("%s: err = %v (SQLSTATE %q), want a permission error", tt.query, err, got)
			}
		})
	}
}

// TestPasswordRequired: trust authentication is gone for every role.
func TestPasswordRequired(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t)
	ctx := context.Background()
	for _, dsn := range []string{c.DSN("postgres"), c.superDSN("postgres")} {
		for _, pw := range []string{"", "wrong"} {
			if err := openDSN(t, withPassword(t, dsn, pw)).PingContext(ctx); err == nil {
				t.Errorf("connected with password %q as %s", pw, roleOf(t, dsn))
			}
		}
		if err := openDSN(t, dsn).PingContext(ctx); err != nil {
			t.Errorf("right password refused: %v", err)
		}
	}
	for _, name := range []string{superSecretFile, appSecretFile} {
		st, err := os.Stat(filepath.Join(c.Dir(), name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, st.Mode().Perm())
		}
	}
}

// TestUpgradeTrustCluster: a cluster an older build made (trust, no
// passwords, no app role, a database full of the superuser's objects) is
// upgraded in place by the next Start and CreateDatabase.
func TestUpgradeTrustCluster(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t)
	ctx := context.Background()
	if err := c.Exec(ctx, "CREATE DATABASE legacy"); err != nil {
		t.Fatal(err)
	}
	old := openDSN(t, c.superDSN("legacy"))
	if _, err := old.ExecContext(ctx, `
		CREATE TABLE notes (id bigserial PRIMARY KEY, body text);
		CREATE TABLE counted (id int GENERATED ALWAYS AS IDENTITY, n int);
		CREATE UNLOGGED TABLE scratch (k text PRIMARY KEY);
		CREATE SEQUENCE loose;
		CREATE TYPE mood AS ENUM ('ok', 'meh');
		CREATE VIEW note_bodies AS SELECT body FROM notes;
		CREATE FUNCTION two() RETURNS int LANGUAGE sql AS 'SELECT 2';
		INSERT INTO notes (body) VALUES ('kept')`); err != nil {
		t.Fatal(err)
	}
	_ = old.Close()
	if err := c.Exec(ctx, "DROP ROLE "+AppRole); err != nil {
		t.Fatal(err)
	}
	if err := c.Exec(ctx, "ALTER ROLE postgres PASSWORD NULL"); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	// What the older build left on disk.
	if err := os.WriteFile(filepath.Join(c.Dir(), hbaFile), []byte("local all all trust\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{superSecretFile, appSecretFile} {
		if err := os.Remove(filepath.Join(c.Dir(), name)); err != nil {
			t.Fatal(err)
		}
	}

	c, err := Start(ctx, Options{Dir: c.Dir(), Ephemeral: true, Logger: quiet})
	if err != nil {
		t.Fatalf("start on an old cluster: %v", err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	if hbaTrusts(c.Dir()) {
		t.Fatal("pg_hba.conf still trusts")
	}
	if err := c.CreateDatabase(ctx, "legacy", ""); err != nil {
		t.Fatalf("ensure the old database: %v", err)
	}
	app := openDSN(t, c.DSN("legacy"))
	for _, q := range []string{
		"INSERT INTO notes (body) VALUES ('new')",
		"ALTER TABLE notes ADD COLUMN at timestamptz",
		"INSERT INTO counted (n) VALUES (1)",
		"INSERT INTO scratch VALUES ('k')",
		"SELECT nextval('loose')",
		"ALTER TYPE mood ADD VALUE 'great'",
		"SELECT count(*) FROM note_bodies",
		"CREATE OR REPLACE FUNCTION two() RETURNS int LANGUAGE sql AS 'SELECT 2'",
		"CREATE TABLE later (x int)",
	} {
		if _, err := app.ExecContext(ctx, q); err != nil {
			t.Errorf("as %s after the upgrade: %s: %v", AppRole, q, err)
		}
	}
	var n int
	if err := app.QueryRowContext(ctx, "SELECT count(*) FROM notes WHERE body = 'kept'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("old rows: %d, %v", n, err)
	}
	if err := openDSN(t, withPassword(t, c.DSN("legacy"), "")).PingContext(ctx); err == nil {
		t.Fatal("connected without a password after the upgrade")
	}
}
