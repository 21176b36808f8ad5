package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckSchema(t *testing.T) {
	tests := []struct {
		name, backup, latest string
		ok                   bool
	}{
		{"same", "20261127000005_blocks", "20261127000005_blocks", true},
		{"older backup", "20261121000001_init", "20261127000005_blocks", true},
		{"empty database backup", "", "20261127000005_blocks", true},
		{"newer backup", "20261201000000_future", "20261127000005_blocks", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSchema(Meta{Schema: tt.backup}, tt.latest)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestArchiveRoundTrip writes an archive around a stand-in dump and reads
// it back; a flipped byte, a truncated file and a file that is not a
// backup are all ErrDamaged, and no extracted file is left behind.
func TestArchiveRoundTrip(t *testing.T) {
	dir := t.TempDir()
	dump := []byte(strings.Repeat("PGDMP stand-in ", 1000))
	meta := Meta{Format: Format, CreatedAt: time.Now().UTC().Truncate(time.Second), Schema: "20261127000005_blocks",
		DumpSize: int64(len(dump)), DumpSHA256: sha(dump)}
	good := filepath.Join(dir, "good.tar")
	if err := writeArchive(good, meta, strings.NewReader(string(dump))); err != nil {
		t.Fatal(err)
	}
	got, path, err := Extract(good, dir)
	if err != nil || got.Schema != meta.Schema {
		t.Fatalf("extract: %+v %v", got, err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(dump) {
		t.Fatal("extracted dump differs")
	}
	_ = os.Remove(path)
	if m, err := ReadMeta(good); err != nil || !m.CreatedAt.Equal(meta.CreatedAt) {
		t.Fatalf("read meta: %+v %v", m, err)
	}

	raw, _ := os.ReadFile(good)
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-2048] ^= 0xff // inside the dump
	tests := []struct {
		name string
		data []byte
	}{
		{"flipped byte", flipped},
		{"truncated", raw[:len(raw)/2]},
		{"not a backup", []byte("hello")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.WriteFile(p, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, _, err := Extract(p, dir); !errors.Is(err, ErrDamaged) {
				t.Fatalf("err = %v, want ErrDamaged", err)
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".natter-restore-*")); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestFromURL(t *testing.T) {
	tests := []struct {
		name, in, want, pw string
	}{
		{"tcp", "postgres://natter:s3cret@db:5432/natter?sslmode=disable", "postgres://natter@db:5432/natter?sslmode=disable", "s3cret"},
		{"socket file", "postgres://natter:pw@/natter?host=%2Fvar%2Frun%2Fpg%2F.s.PGSQL.5433&sslmode=disable",
			"postgres://natter@/natter?host=%2Fvar%2Frun%2Fpg&port=5433&sslmode=disable", "pw"},
		{"socket directory", "postgres://natter@/natter?host=%2Fvar%2Frun%2Fpg", "postgres://natter@/natter?host=%2Fvar%2Frun%2Fpg", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, pw := FromURL(tt.in)
			if got != tt.want || pw != tt.pw {
				t.Fatalf("FromURL = %q, %q; want %q, %q", got, pw, tt.want, tt.pw)
			}
		})
	}
}
