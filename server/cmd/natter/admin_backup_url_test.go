package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uptrace/bun/migrate"

	"natter/migrations"
	"natter/server/backup"
	"natter/server/pgtest"
	"natter/server/store"
	"natter/shared"
)

// TestBackupRestoreDatabaseURL runs backup and restore against DATABASE_URL
// (two databases of the test cluster, reached through pgdriver's socket
// URL, which the programs get in libpq's form), including the refusal of a
// non-empty target and --force.
func TestBackupRestoreDatabaseURL(t *testing.T) {
	ctx := context.Background()
	src, dst := pgtest.MustDSN(t), pgtest.MustEmptyDSN(t)
	t.Setenv("NATTER_DATA", t.TempDir())
	st := store.New(pgtest.Open(t, src))
	ann, err := st.CreateUser(ctx, "ann@example.org", "ann", "x")
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := st.CreateUser(ctx, "bob@example.org", "bob", "x")
	conv, err := st.CreateConversation(ctx, ann.ID, shared.NewUUIDv7(), shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID}})
	if err != nil {
		t.Fatal(err)
	}
	var want []sent
	for i := range 20 {
		m, err := st.SendMessage(ctx, ann.ID, shared.NewUUIDv7(), conv.ID, fmt.Sprint("m", i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, sent{conv.ID, m.Body, m.Seq})
	}
	t.Setenv("DATABASE_URL", src)
	file := filepath.Join(t.TempDir(), "url.tar")
	if _, err := runAdmin("backup", "--out", file); err != nil {
		t.Fatalf("backup: %v", err)
	}
	t.Setenv("DATABASE_URL", dst)
	if _, err := runAdmin("restore", file); err != nil {
		t.Fatalf("restore: %v", err)
	}
	checkRestored(t, store.New(pgtest.Open(t, dst)), conv.ID, want)
	if _, err := runAdmin("restore", file); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("restore into a full database: %v", err)
	}
	if _, err := runAdmin("restore", "--force", file); err != nil {
		t.Fatalf("restore --force: %v", err)
	}
	checkRestored(t, store.New(pgtest.Open(t, dst)), conv.ID, want)
}

// TestRestoreOlderSchema restores a backup made at the first migration:
// the restore migrates it up to this build's schema.
func TestRestoreOlderSchema(t *testing.T) {
	ctx := context.Background()
	src, dst := pgtest.MustEmptyDSN(t), pgtest.MustEmptyDSN(t)
	t.Setenv("NATTER_DATA", t.TempDir())
	first := migrations.Migrations.Sorted()[0]
	old := migrate.NewMigrations()
	old.Add(first)
	db := pgtest.Open(t, src)
	m := migrate.NewMigrator(db, old, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO users (email, nickname, password_hash) VALUES ('old@example.org', 'old', 'x')`); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", src)
	file := filepath.Join(t.TempDir(), "old.tar")
	if _, err := runAdmin("backup", "--out", file); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if meta, err := backup.ReadMeta(file); err != nil || meta.Schema != first.Name {
		t.Fatalf("backup schema = %q, %v; want %q", meta.Schema, err, first.Name)
	}
	t.Setenv("DATABASE_URL", dst)
	if _, err := runAdmin("restore", file); err != nil {
		t.Fatalf("restore: %v", err)
	}
	st := store.New(pgtest.Open(t, dst))
	if v, err := st.SchemaVersion(ctx); err != nil || v != store.LatestSchema() {
		t.Fatalf("schema after restore = %q, %v; want %q", v, err, store.LatestSchema())
	}
	if _, err := st.UserByLogin(ctx, "old"); err != nil {
		t.Fatalf("the old backup's user: %v", err)
	}
}
