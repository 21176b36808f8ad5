package pglocal_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/uptrace/bun/driver/pgdriver"

	"natter/server/pglocal"
)

// helperEnv makes the test binary act as a `natter serve` stand-in: start a
// cluster in the named directory, say "ready", and wait to be killed.
const helperEnv = "PGLOCAL_TEST_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		if _, err := pglocal.Start(context.Background(), pglocal.Options{Dir: dir, Ephemeral: true}); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		select {} // until SIGKILL
	}
	os.Exit(m.Run())
}

// mustRoot makes a directory under /tmp the postgres user can traverse and
// removes it, and any cluster in <root>/pg, when the test ends.
func mustRoot(t *testing.T) string {
	t.Helper()
	root, err := os.MkdirTemp("/tmp", "pglocal-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o711); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pglocal.Discard(filepath.Join(root, "pg")); err != nil {
			t.Errorf("discard: %v", err)
		}
		_ = os.RemoveAll(root)
	})
	return root
}

// mustStart starts a cluster in dir or fails the test.
func mustStart(t *testing.T, opt pglocal.Options) *pglocal.Cluster {
	t.Helper()
	c, err := pglocal.Start(context.Background(), opt)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return c
}

// mustOpen opens a pool on dsn, closed when the test ends.
func mustOpen(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// postmasterPID reads the running server's pid from postmaster.pid.
func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(line)
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

// countNotes counts the rows of table notes with body in db.
func countNotes(t *testing.T, db *sql.DB, body string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM notes WHERE body = $1", body).Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

func TestDataSurvivesStopAndCrash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(mustRoot(t), "pg")

	c := mustStart(t, pglocal.Options{Dir: dir})
	if err := c.CreateDatabase(ctx, "app", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, "app", ""); err != nil {
		t.Fatalf("second CreateDatabase without template: %v (want no error)", err)
	}
	db := mustOpen(t, c.DSN("app"))
	if _, err := db.Exec("CREATE TABLE notes (body text); INSERT INTO notes VALUES ('before stop')"); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if err := c.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second stop: %v (want idempotent)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("postmaster.pid after stop: %v (want gone)", err)
	}

	c = mustStart(t, pglocal.Options{Dir: dir})
	db = mustOpen(t, c.DSN("app"))
	if n := countNotes(t, db, "before stop"); n != 1 {
		t.Fatalf("rows after restart = %d, want 1", n)
	}
	if _, err := db.Exec("INSERT INTO notes VALUES ('before crash')"); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	// A crash: the postmaster dies without shutting down and leaves its
	// postmaster.pid behind.
	if err := syscall.Kill(postmasterPID(t, dir), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c = mustStart(t, pglocal.Options{Dir: dir})
	t.Cleanup(func() { _ = c.Stop() })
	db = mustOpen(t, c.DSN("app"))
	if n := countNotes(t, db, "before crash"); n != 1 {
		t.Fatalf("committed rows after crash = %d, want 1", n)
	}
}

func TestStartReusesServerOfKilledProcess(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(mustRoot(t), "pg")

	// Another process (standing in for `natter serve`) starts the cluster
	// and is killed without a chance to stop it.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper: %q", line)
	}
	before := postmasterPID(t, dir)

	var logs strings.Builder
	c := mustStart(t, pglocal.Options{Dir: dir, Ephemeral: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	t.Cleanup(func() { _ = c.Stop() })
	if after := postmasterPID(t, dir); after != before {
		t.Errorf("postmaster pid %d -> %d; want the running server reused (log: %s)", before, after, logs.String())
	}
	if err := mustOpen(t, c.DSN("postgres")).Ping(); err != nil {
		t.Fatalf("ping reused server: %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("stop reused server: %v", err)
	}
}

func TestLongDirPutsSocketUnderTmp(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(mustRoot(t), strings.Repeat("d", 90), "pg")
	// mustRoot's cleanup discards <root>/pg; this cluster is deeper.
	t.Cleanup(func() { _ = pglocal.Discard(dir) })
	c := mustStart(t, pglocal.Options{Dir: dir, Ephemeral: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(func() { _ = c.Stop() })
	if sock := c.SocketPath(); !strings.HasPrefix(sock, "/tmp/natter-pg-") || len(sock) >= 100 {
		t.Fatalf("socket path %q: want a short path under /tmp", sock)
	}
	if err := mustOpen(t, c.DSN("postgres")).Ping(); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func TestCreateDatabaseErrors(t *testing.T) {
	t.Parallel()
	c := mustStart(t, pglocal.Options{Dir: filepath.Join(mustRoot(t), "pg"), Ephemeral: true})
	t.Cleanup(func() { _ = c.Stop() })
	ctx := context.Background()
	if err := c.CreateDatabase(ctx, "base", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, "copy", "base"); err != nil {
		t.Fatalf("clone: %v", err)
	}
	tests := []struct {
		name, db, template, want string
	}{
		{"existing clone", "copy", "base", "already exists"},
		{"missing template", "other", "nope", "does not exist"},
		{"empty name", "", "", "bad database name"},
		{"too long", strings.Repeat("x", 64), "", "bad database name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.CreateDatabase(ctx, tt.db, tt.template)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if err := c.DropDatabase(ctx, "copy"); err != nil {
		t.Fatal(err)
	}
	if err := c.DropDatabase(ctx, "copy"); err != nil {
		t.Fatalf("drop of a missing database: %v (want no error)", err)
	}
}

func TestStartFailureShowsServerLog(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(mustRoot(t), "pg")
	_, err := pglocal.Start(context.Background(), pglocal.Options{
		Dir:       dir,
		Ephemeral: true,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Settings:  map[string]string{"shared_buffers": "lots"},
	})
	if err == nil {
		t.Fatal("Start succeeded with an invalid setting")
	}
	// PostgreSQL's own complaint comes from the log tail, not from pg_ctl.
	for _, want := range []string{"last lines of " + filepath.Join(dir, "postgres.log"), `"shared_buffers"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q\nwant it to contain %q", err, want)
		}
	}
}

func TestFindBinaries(t *testing.T) {
	dir, err := pglocal.FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s in %s: %v", name, dir, err)
		}
	}
}

func TestNoBinariesSaysHowToInstall(t *testing.T) {
	msg := pglocal.ErrNoBinaries.Error()
	for _, want := range []string{"apt-get install -y postgresql", "build.sh"} {
		if !strings.Contains(msg, want) {
			t.Errorf("ErrNoBinaries %q does not mention %q", msg, want)
		}
	}
}
