package pglocal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeInstall lays out /usr/lib/postgresql/N/bin for each N under a temp
// root, with executable stand-ins for the programs, and points binGlob
// there for the test.
func fakeInstall(t *testing.T, majors ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, m := range majors {
		bin := filepath.Join(root, m, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range binaryNames {
			if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	old := binGlob
	binGlob = filepath.Join(root, "*", "bin")
	t.Cleanup(func() { binGlob = old })
	t.Setenv("PATH", "/nonexistent")
	return root
}

// TestBinariesFor: a cluster runs with its own major version's programs
// even when newer ones are installed; a missing version with a newer one
// installed asks for `natter admin pg-upgrade`.
func TestBinariesFor(t *testing.T) {
	root := fakeInstall(t, "13", "15", "17")
	tests := []struct {
		name    string
		version string // PG_VERSION; "" for no cluster
		want    string // the chosen major's directory, or a part of the error
		upgrade bool
	}{
		{"new cluster gets the highest", "", "17", false},
		{"old cluster keeps its version", "13", "13", false},
		{"middle version", "15", "15", false},
		{"missing, newer installed", "16", "natter admin pg-upgrade", true},
		{"missing, only older installed", "18", "install PostgreSQL 18", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.version != "" {
				if err := os.WriteFile(filepath.Join(dir, "PG_VERSION"), []byte(tt.version+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			bin, err := binariesFor(dir)
			switch {
			case tt.upgrade:
				var ue *UpgradeError
				if !errors.Is(err, ErrNeedsUpgrade) || !errors.As(err, &ue) || ue.Cluster != 16 || ue.Installed != 17 ||
					!strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want an upgrade error naming %q", err, tt.want)
				}
			case strings.HasPrefix(tt.want, "install"):
				if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, ErrNeedsUpgrade) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
			default:
				if err != nil || bin != filepath.Join(root, tt.want, "bin") {
					t.Fatalf("bin = %q, %v; want version %s", bin, err, tt.want)
				}
			}
		})
	}
	if d, err := FindBinaries(); err != nil || d != filepath.Join(root, "17", "bin") {
		t.Fatalf("FindBinaries = %q, %v; want the highest", d, err)
	}
}
