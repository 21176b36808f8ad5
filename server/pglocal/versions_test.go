package pglocal_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"natter/server/pglocal"
)

// TestOlderClusterRefused copies a real, stopped cluster and claims in the
// copy's PG_VERSION that PostgreSQL 14 made it. Only newer programs are
// installed, so Start must refuse before touching it, naming
// `natter admin pg-upgrade`, and leave the copy as it was.
func TestOlderClusterRefused(t *testing.T) {
	root := mustRoot(t)
	dir := filepath.Join(root, "pg")
	c := mustStart(t, pglocal.Options{Dir: dir, Ephemeral: true})
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	installed := pglocal.Installations()
	if len(installed) == 0 || installed[0].Major <= 14 {
		t.Fatalf("installations = %+v; the test needs PostgreSQL newer than 14", installed)
	}
	old := filepath.Join(root, "old")
	if out, err := exec.Command("cp", "-a", dir, old).CombinedOutput(); err != nil {
		t.Fatalf("copy cluster: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = os.RemoveAll(old) })
	if err := os.WriteFile(filepath.Join(old, "PG_VERSION"), []byte("14\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(old)

	_, err := pglocal.Start(context.Background(), pglocal.Options{Dir: old, Ephemeral: true})
	var ue *pglocal.UpgradeError
	if !errors.Is(err, pglocal.ErrNeedsUpgrade) || !errors.As(err, &ue) || ue.Cluster != 14 || ue.Installed != installed[0].Major {
		t.Fatalf("start of a PostgreSQL 14 cluster: err = %v, want an upgrade error", err)
	}
	for _, want := range []string{"PostgreSQL 14", "natter admin pg-upgrade", old} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if after, _ := os.ReadDir(old); len(after) != len(before) {
		t.Fatalf("the refused cluster was changed: %d entries, had %d", len(after), len(before))
	}
	if v, err := pglocal.ClusterVersion(dir); err != nil || v != installed[0].Major {
		t.Fatalf("ClusterVersion = %d, %v", v, err)
	}
}
