// Package pgtest is the test fixture for real PostgreSQL: one private cluster
// per test binary (package pglocal), started on first use, with a database
// migrated once and cloned for every test, so tests run in parallel without
// seeing each other's rows.
//
// Every test package that uses it declares
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// so the cluster is stopped and its directory removed when the binary ends.
// Clusters of binaries that died before that (a test timeout, ^C) are
// removed by the next binary that starts one.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/migrate"

	"natter/migrations"
	"natter/server/pglocal"
)

// TemplateName is the migrated database every MustDSN clones. Nobody may
// connect to it (ALLOW_CONNECTIONS false), because a single session on it
// makes CREATE DATABASE ... TEMPLATE fail.
const TemplateName = "natter_template"

// setupTimeout bounds starting the cluster and migrating the template, and
// each CREATE/DROP DATABASE.
const setupTimeout = 2 * time.Minute

// shared is the binary's cluster, set up once by sharedCluster.
var shared struct {
	once    sync.Once
	root    string // the temp directory holding the cluster and owner.pid
	cluster *pglocal.Cluster
	err     error
}

// dbSeq numbers the databases of this binary: t_1, t_2, ...
var dbSeq atomic.Int64

// Main runs the tests, then stops the cluster (if one was started) and
// removes its directory, and exits with the tests' code. Call it from
// TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if shared.root != "" {
		if err := pglocal.Discard(filepath.Join(shared.root, "pg")); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
		_ = os.RemoveAll(shared.root)
	}
	os.Exit(code)
}

// Cluster returns the binary's cluster, starting it (and migrating the
// template) on first use. It fails the test with PostgreSQL's own words
// (the tail of the server log) when the cluster cannot start; it never skips.
func Cluster(tb testing.TB) *pglocal.Cluster {
	tb.Helper()
	shared.once.Do(func() {
		shared.root, shared.cluster, shared.err = startCluster()
		if shared.err == nil {
			shared.err = migrateTemplate(shared.cluster)
		}
	})
	if shared.err != nil {
		tb.Fatalf("pgtest: PostgreSQL for tests is unavailable: %v", shared.err)
	}
	return shared.cluster
}

// MustDSN creates a fresh database cloned from the migrated template and
// returns its DSN (see pglocal.Cluster.DSN): tests connect as
// pglocal.AppRole, which owns the database and is no superuser, exactly as
// the server does. The database is dropped when the
// test ends, even if connections to it are still open.
func MustDSN(tb testing.TB) string {
	tb.Helper()
	return mustDatabase(tb, Cluster(tb), TemplateName)
}

// MustEmptyDSN creates a fresh database with no migrations applied, for
// tests of the migrations themselves, and returns its DSN. It is dropped when
// the test ends.
func MustEmptyDSN(tb testing.TB) string {
	tb.Helper()
	return mustDatabase(tb, Cluster(tb), "")
}

// MustDB opens a bun.DB (pgdriver + pgdialect) on a fresh migrated database
// from MustDSN. It is closed, then the database dropped, when the test ends.
func MustDB(tb testing.TB) *bun.DB {
	tb.Helper()
	return Open(tb, MustDSN(tb))
}

// Open opens a bun.DB on dsn and closes it when the test ends; for a second
// pool on the same database (two "servers" sharing one store).
func Open(tb testing.TB, dsn string) *bun.DB {
	tb.Helper()
	db := openDB(dsn)
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// openDB is the one way this package connects: pgdriver under bun with the
// PostgreSQL dialect.
func openDB(dsn string) *bun.DB {
	return bun.NewDB(sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn))), pgdialect.New())
}

// mustDatabase creates database t_<n> on c (cloned from template when set)
// and drops it at cleanup.
func mustDatabase(tb testing.TB, c *pglocal.Cluster, template string) string {
	tb.Helper()
	name := fmt.Sprintf("t_%d", dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := c.CreateDatabase(ctx, name, template); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if err := c.DropDatabase(ctx, name); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return c.DSN(name)
}

// migrateTemplate creates the template database, applies every migration,
// closes its pool and forbids further connections, so clones never wait.
func migrateTemplate(c *pglocal.Cluster) error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := c.CreateDatabase(ctx, TemplateName, ""); err != nil {
		return err
	}
	db := openDB(c.DSN(TemplateName))
	err := Migrate(ctx, db)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("pgtest: close template pool: %w", cerr)
	}
	if err != nil {
		return err
	}
	return c.Exec(ctx, "ALTER DATABASE "+TemplateName+" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true")
}

// Migrate applies every migration in natter/migrations to db, as
// `natter migrate` does.
func Migrate(ctx context.Context, db *bun.DB) error {
	m := migrate.NewMigrator(db, migrations.Migrations)
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("pgtest: migrate init: %w", err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("pgtest: migrate: %w", err)
	}
	return nil
}

// quietLogger keeps pglocal's start notes out of test output but shows its
// warnings (stale lock files, restarts).
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
