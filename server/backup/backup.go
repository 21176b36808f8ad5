// Package backup writes and reads Natter's backup files: a consistent
// pg_dump of the database, taken while servers keep serving, with what a
// restore must check before it touches anything.
//
// A backup file is an uncompressed tar with two entries, in this order:
//
//	natter-backup.json  Meta: format, time, schema version, size and SHA-256 of the dump
//	natter.dump         pg_dump --format=custom (compressed by pg_dump itself)
//
// The metadata comes first so a restore learns the schema version without
// reading the dump, and the checksum is verified over the whole dump before
// pg_restore sees a byte of it. Any tar tool can unpack a backup, and
// pg_restore reads the dump on its own.
package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Names of the entries in a backup file, and its format version.
const (
	MetaName = "natter-backup.json"
	DumpName = "natter.dump"
	Format   = 1
)

// Meta describes a backup. Schema is the name of the newest migration
// applied to the database when it was dumped: a Natter that does not know
// it must not restore the dump (its schema would not match the code).
type Meta struct {
	Format     int       `json:"format"`
	CreatedAt  time.Time `json:"created_at"`
	Schema     string    `json:"schema"`
	DumpSHA256 string    `json:"dump_sha256"`
	DumpSize   int64     `json:"dump_size"`
	PgDump     string    `json:"pg_dump"` // `pg_dump --version` of the program that made it
}

// Target is a database PostgreSQL's own programs can reach.
type Target struct {
	// Conninfo is a libpq connection string or postgres:// URL.
	Conninfo string
	// Password, when set, is handed over in PGPASSWORD (never on the
	// command line, where ps would show it).
	Password string
	// BinDir holds pg_dump and pg_restore; empty means PATH.
	BinDir string
}

// command builds a PostgreSQL client program run against t, with no PG*
// variables of ours that could point it elsewhere.
func (t Target) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := name
	if t.BinDir != "" {
		path = filepath.Join(t.BinDir, name)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = "/"
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if t.Password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+t.Password)
	}
	return cmd
}

// Create dumps t into a new backup file at path: the dump goes to a
// temporary file next to it (mode 0600) while its checksum is computed,
// then the tar is written to path+".tmp", synced and renamed, so path
// never holds half a backup. pg_dump reads everything in one snapshot, so
// the backup is consistent while servers keep writing.
func Create(ctx context.Context, t Target, schema, path string) (Meta, error) {
	meta := Meta{Format: Format, CreatedAt: time.Now().UTC(), Schema: schema}
	if out, err := t.command(ctx, "pg_dump", "--version").Output(); err == nil {
		meta.PgDump = strings.TrimSpace(string(out))
	}
	dump, err := os.CreateTemp(filepath.Dir(path), ".natter-dump-*")
	if err != nil {
		return meta, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(dump.Name())
	defer dump.Close()
	h := sha256.New()
	var stderr bytes.Buffer
	cmd := t.command(ctx, "pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--dbname="+t.Conninfo)
	cmd.Stdout = io.MultiWriter(dump, h)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return meta, fmt.Errorf("backup: pg_dump: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	st, err := dump.Stat()
	if err != nil {
		return meta, fmt.Errorf("backup: %w", err)
	}
	meta.DumpSize = st.Size()
	meta.DumpSHA256 = hex.EncodeToString(h.Sum(nil))
	if _, err := dump.Seek(0, io.SeekStart); err != nil {
		return meta, fmt.Errorf("backup: %w", err)
	}
	if err := writeArchive(path, meta, dump); err != nil {
		return meta, err
	}
	return meta, nil
}

// writeArchive writes the tar of meta and dump to path, atomically.
func writeArchive(path string, meta Meta, dump io.Reader) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp)
	defer f.Close()
	mb, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tw := tar.NewWriter(f)
	hdr := &tar.Header{Name: MetaName, Mode: 0o600, Size: int64(len(mb)), ModTime: meta.CreatedAt, Format: tar.FormatPAX}
	err = tw.WriteHeader(hdr)
	if err == nil {
		_, err = tw.Write(mb)
	}
	if err != nil {
		return fmt.Errorf("backup: write %s: %w", tmp, err)
	}
	hdr = &tar.Header{Name: DumpName, Mode: 0o600, Size: meta.DumpSize, ModTime: meta.CreatedAt, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("backup: write %s: %w", tmp, err)
	}
	if _, err := io.Copy(tw, dump); err != nil {
		return fmt.Errorf("backup: write %s: %w", tmp, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("backup: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// ErrDamaged reports a backup file whose dump does not match its checksum
// or size, or that is not a backup file at all.
var ErrDamaged = errors.New("backup: the file is damaged or not a Natter backup")

// ReadMeta returns a backup's metadata without checking the dump.
func ReadMeta(path string) (Meta, error) {
	f, err := os.Open(path)
	if err != nil {
		return Meta{}, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	return readMeta(tar.NewReader(f))
}

func readMeta(tr *tar.Reader) (Meta, error) {
	var meta Meta
	hdr, err := tr.Next()
	if err != nil || hdr.Name != MetaName || hdr.Size > 1<<20 {
		return meta, fmt.Errorf("%w (no %s first)", ErrDamaged, MetaName)
	}
	if err := json.NewDecoder(tr).Decode(&meta); err != nil {
		return meta, fmt.Errorf("%w: %s: %v", ErrDamaged, MetaName, err)
	}
	if meta.Format != Format {
		return meta, fmt.Errorf("backup: format %d is not one this Natter reads (%d)", meta.Format, Format)
	}
	return meta, nil
}

// Extract verifies a backup and copies its dump to a new file in dir
// (mode 0600): the caller restores from it and removes it. The checksum
// and size are checked over the whole dump first; a mismatch returns
// ErrDamaged and no file.
func Extract(path, dir string) (Meta, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return Meta{}, "", fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	meta, err := readMeta(tr)
	if err != nil {
		return meta, "", err
	}
	hdr, err := tr.Next()
	if err != nil || hdr.Name != DumpName {
		return meta, "", fmt.Errorf("%w (no %s)", ErrDamaged, DumpName)
	}
	out, err := os.CreateTemp(dir, ".natter-restore-*")
	if err != nil {
		return meta, "", fmt.Errorf("backup: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), tr)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && (n != meta.DumpSize || hex.EncodeToString(h.Sum(nil)) != meta.DumpSHA256) {
		err = fmt.Errorf("%w: the dump's checksum or size does not match (%d bytes, expected %d)", ErrDamaged, n, meta.DumpSize)
	}
	if err != nil {
		_ = os.Remove(out.Name())
		if !errors.Is(err, ErrDamaged) {
			err = fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		return meta, "", err
	}
	return meta, out.Name(), nil
}

// CheckSchema refuses a backup made by a Natter with migrations this one
// does not have (latest is the newest migration this build knows): its
// tables would not match the code. An older backup is fine: the restore
// migrates it forward. Migration names start with a timestamp, so they
// compare as strings.
func CheckSchema(meta Meta, latest string) error {
	if meta.Schema > latest {
		return fmt.Errorf("backup: the backup's schema (%s) is newer than this Natter's (%s); restore it with the Natter that made it, or a newer one",
			meta.Schema, latest)
	}
	return nil
}

// Restore loads the dump file into t with pg_restore, in one transaction
// that stops at the first error, so a failed restore leaves the target as
// it was. Objects belong to the role t connects as.
func Restore(ctx context.Context, t Target, dumpPath string) error {
	var out bytes.Buffer
	cmd := t.command(ctx, "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
		"--dbname="+t.Conninfo, dumpPath)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("backup: pg_restore: %w: %s", err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// FromURL makes a database URL as Natter takes it (DATABASE_URL, read by
// pgdriver) into what PostgreSQL's programs (libpq) read: pgdriver wants a
// unix socket's file in host (…/.s.PGSQL.5432), libpq its directory and
// the port. The password is taken out and returned apart, for PGPASSWORD,
// so ps never shows it on pg_dump's command line.
func FromURL(dsn string) (conninfo, password string) {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn, ""
	}
	if u.User != nil {
		password, _ = u.User.Password()
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if h := q.Get("host"); strings.HasPrefix(h, "/") && strings.HasPrefix(filepath.Base(h), ".s.PGSQL.") {
		q.Set("host", filepath.Dir(h))
		q.Set("port", strings.TrimPrefix(filepath.Base(h), ".s.PGSQL."))
		u.RawQuery = q.Encode()
	}
	return u.String(), password
}
