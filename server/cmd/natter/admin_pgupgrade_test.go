package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"natter/server/pglocal"
	"natter/shared"
)

// TestPgUpgrade moves a real embedded cluster through the dump-and-restore
// upgrade (from and to the one installed version: the mechanics are the
// same), then checks the refusals around it.
func TestPgUpgrade(t *testing.T) {
	ctx := context.Background()
	root := dataRoot(t)
	t.Setenv("DATABASE_URL", "")
	t.Setenv("NATTER_DATA", filepath.Join(root, "a"))
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	st, _, release, err := openTarget(ctx, cfg, quietLog(), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ann, _ := st.CreateUser(ctx, "ann@example.org", "ann", "x")
	bob, _ := st.CreateUser(ctx, "bob@example.org", "bob", "x")
	conv, err := st.CreateConversation(ctx, ann.ID, shared.NewUUIDv7(), shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID}})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := st.SendMessage(ctx, ann.ID, shared.NewUUIDv7(), conv.ID, "kept"); err != nil {
			t.Fatal(err)
		}
	}
	release()

	out, err := runAdmin("pg-upgrade")
	if err != nil || !strings.Contains(out, "nothing to do") {
		t.Fatalf("pg-upgrade on a current cluster: %q, %v", out, err)
	}

	dir := filepath.Join(cfg.DataDir, "postgres")
	bin, err := pglocal.BinariesFor(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := upgradeCluster(ctx, dir, bin, bin, quietLog())
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if rep.Rows["messages"] != 5 || rep.Rows["users"] != 2 {
		t.Fatalf("rows = %v", rep.Rows)
	}
	t.Cleanup(func() { _ = pglocal.Discard(rep.OldDir) })
	if _, err := os.Stat(filepath.Join(rep.OldDir, "PG_VERSION")); err != nil {
		t.Fatalf("the old cluster was not kept: %v", err)
	}
	st, _, release, err = openTarget(ctx, cfg, quietLog(), true)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.MessagesAfter(ctx, conv.ID, 0, 10)
	release()
	if err != nil || len(msgs) != 5 {
		t.Fatalf("messages after the upgrade: %d, %v", len(msgs), err)
	}

	// A cluster of a version whose programs are gone: serve refuses and
	// names pg-upgrade; pg-upgrade says what it needs.
	old := filepath.Join(root, "b", "postgres")
	if err := os.MkdirAll(filepath.Dir(old), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", dir, old).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	orig, err := os.ReadFile(filepath.Join(old, "PG_VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, "PG_VERSION"), []byte("14\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NATTER_DATA", filepath.Join(root, "b"))
	cfg, _ = loadConfig()
	if _, _, _, err := openTarget(ctx, cfg, quietLog(), true); err == nil || !strings.Contains(err.Error(), "natter admin pg-upgrade") {
		t.Fatalf("serve on a PostgreSQL 14 cluster: err = %v", err)
	}
	if _, err := runAdmin("pg-upgrade"); err == nil || !strings.Contains(err.Error(), "apt-get install postgresql-14") {
		t.Fatalf("pg-upgrade without the old programs: err = %v", err)
	}
	_ = os.WriteFile(filepath.Join(old, "PG_VERSION"), orig, 0o600) // so the cleanup finds its programs
}
