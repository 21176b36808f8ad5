package pglocal

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

// testAccount is the account PostgreSQL runs as: the real system user
// (natter-pg) when we are root, otherwise a stand-in uid and gid that own nothing here.
func testAccount(t *testing.T) *account {
	t.Helper()
	if os.Geteuid() == 0 {
		a, err := serverAccount("")
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	return &account{name: serverUser, uid: os.Geteuid() + 1, gid: os.Getegid() + 1}
}

func TestCheckReachable(t *testing.T) {
	a := testAccount(t)
	tests := []struct {
		name   string
		mode   os.FileMode
		owned  bool // the middle directory belongs to the server account
		closed bool
	}{
		{"other may search", 0o711, false, false},
		{"closed to others", 0o700, false, true},
		{"readable but not searchable", 0o744, false, true},
		{"owner may search", 0o700, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := os.MkdirTemp("/tmp", "pglocal-reach-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.RemoveAll(root) })
			if err := os.Chmod(root, 0o711); err != nil {
				t.Fatal(err)
			}
			mid := filepath.Join(root, "mid")
			if err := os.Mkdir(mid, tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(mid, tt.mode); err != nil {
				t.Fatal(err)
			}
			if tt.owned {
				if os.Geteuid() != 0 {
					// Without root we cannot give a directory away; check the
					// rule with an account that is us instead.
					a = &account{name: serverUser, uid: os.Geteuid(), gid: os.Getegid()}
				} else if err := a.chown(mid); err != nil {
					t.Fatal(err)
				}
			}
			err = a.checkReachable(filepath.Join(mid, "not", "yet", "pg"))
			if !tt.closed {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("err = nil, want the closed directory named")
			}
			for _, want := range []string{mid + " is not searchable by user " + a.name, "NATTER_DATA"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

// TestStartNamesClosedParent checks the error a root user sees for a cluster
// under a root-only directory such as /root: the check runs before initdb.
func TestStartNamesClosedParent(t *testing.T) {
	root, err := os.MkdirTemp("/tmp", "pglocal-closed-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	if err := os.Chmod(root, 0o700); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "pg")
	c, err := Start(context.Background(), Options{Dir: dir, Ephemeral: true})
	if os.Geteuid() != 0 {
		// Not root: PostgreSQL runs as us, who own root, so it must work.
		if err != nil {
			t.Fatalf("start as non-root: %v", err)
		}
		_ = c.Stop()
		return
	}
	if err == nil {
		_ = c.Stop()
		t.Fatal("Start succeeded under a directory the postgres user cannot search")
	}
	want := root + " is not searchable by user " + testAccount(t).name
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %q, want it to contain %q", err, want)
	}
	if _, statErr := os.Stat(dir); statErr == nil {
		t.Errorf("%s was created although Start refused", dir)
	}
}

// TestClusterKeepsItsOwner: as root, a new cluster runs as osUser, and an
// existing cluster as whoever owns it, so clusters made when Natter ran
// PostgreSQL as Debian's postgres user keep working.
func TestClusterKeepsItsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		a, err := serverAccount("")
		if err != nil || a != nil {
			t.Fatalf("not root: account %+v, %v; want nil (run as ourselves)", a, err)
		}
		return
	}
	a, err := serverAccount(filepath.Join(t.TempDir(), "none"))
	if err != nil {
		t.Fatal(err)
	}
	if a.name != osUser && a.name != legacyOSUser {
		t.Fatalf("new cluster runs as %s, want %s", a.name, osUser)
	}
	old := t.TempDir()
	if err := os.WriteFile(filepath.Join(old, "PG_VERSION"), []byte("15\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Any non-root owner will do; nobody exists everywhere, postgres not.
	owner, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := accountOf(owner)
	if err != nil {
		t.Fatal(err)
	}
	if err := legacy.chown(filepath.Join(old, "PG_VERSION")); err != nil {
		t.Fatal(err)
	}
	if got, err := serverAccount(old); err != nil || got.uid != legacy.uid {
		t.Fatalf("old cluster runs as %+v (%v), want its owner %s", got, err, legacy.name)
	}
}
