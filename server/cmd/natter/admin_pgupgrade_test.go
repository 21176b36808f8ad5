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
	want := int64(5) // messages; each round sends one more afterwards
	for _, method := range []string{"pg_upgrade", "dump and restore"} {
		t.Run(method, func(t *testing.T) {
			rep, err := upgradeCluster(ctx, dir, bin, bin, quietLog(), method == "pg_upgrade")
			if err != nil {
				t.Fatalf("upgrade: %v", err)
			}
			t.Cleanup(func() { _ = pglocal.Discard(rep.OldDir) })
			if rep.Method != method || rep.Rows["messages"] != want || rep.Rows["users"] != 2 {
				t.Fatalf("report = %+v", rep)
			}
			if _, err := os.Stat(filepath.Join(rep.OldDir, "PG_VERSION")); err != nil {
				t.Fatalf("the old cluster was not kept: %v", err)
			}
			if _, err := os.Stat(dir + ".new"); !os.IsNotExist(err) {
				t.Fatalf("the work directory is left: %v", err)
			}
			st, _, release, err := openTarget(ctx, cfg, quietLog(), true)
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := st.MessagesAfter(ctx, conv.ID, 0, 10)
			var m shared.Message
			if err == nil {
				m, err = st.SendMessage(ctx, bob.ID, shared.NewUUIDv7(), conv.ID, "after the upgrade")
			}
			release()
			if err != nil || int64(len(msgs)) != want || m.Seq != want+1 {
				t.Fatalf("after the upgrade: %d messages, sent seq %d, %v", len(msgs), m.Seq, err)
			}
			want++
		})
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
