// Package pglocal boots a private PostgreSQL cluster from the system's
// PostgreSQL programs, so `natter serve` works without a database server to
// set up, and every test binary gets a real database of its own.
//
// The cluster listens only on a unix socket in a mode 0700 directory and
// asks for a password (SCRAM) all the same. The application connects as
// AppRole, which owns its databases but is no superuser; the superuser's
// password is only used here, for setup. Both passwords are generated at
// initdb and kept in mode 0600 files in the cluster directory. When we run
// as root, PostgreSQL runs as the system user natter-pg (created on first
// use; a cluster made before keeps its owner, Debian's postgres), because it
// refuses to run as root.
package pglocal

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/uptrace/bun/driver/pgdriver"
)

// Options say where the cluster lives and how it behaves.
type Options struct {
	// Dir is the cluster's data directory; it is created (and initdb run in
	// it) when it holds no cluster yet. Every parent must be searchable by
	// the postgres user when we run as root.
	Dir string
	// Logger receives start, reuse and recovery notes; nil means
	// slog.Default().
	Logger *slog.Logger
	// BinDir holds initdb, pg_ctl and postgres; empty means those of the
	// cluster's major version (see binariesFor).
	BinDir string
	// Ephemeral says the data need not survive an operating-system crash:
	// initdb skips its final sync and the server runs with fsync off. A crash
	// of PostgreSQL or of our process still loses nothing. For tests only;
	// the product promises durability.
	Ephemeral bool
	// Settings override or extend the postgresql.conf settings this package
	// writes (for example {"shared_buffers": "32MB"}).
	Settings map[string]string
}

// Cluster is a running private PostgreSQL server. Its methods are safe for
// concurrent use.
type Cluster struct {
	dir     string
	sock    string
	bin     string
	acct    *account
	logger  *slog.Logger
	superPW string // the superuser's password, for adminDB
	appPW   string // AppRole's password, for DSN

	mu      sync.Mutex // serializes Stop and Restart
	stopped bool
	stopErr error

	adminMu sync.Mutex
	admin   *sql.DB // on database "postgres", for CREATE/DROP DATABASE
}

// Start makes sure a server runs on opt.Dir and accepts connections: it runs
// initdb once (when the directory has no PG_VERSION), clears the lock files a
// crash left behind, reuses a server that an earlier, killed run of ours left
// running on the directory, or starts one with pg_ctl. When the server cannot
// start, the error includes the tail of its log.
func Start(ctx context.Context, opt Options) (*Cluster, error) {
	if opt.Dir == "" {
		return nil, errors.New("pglocal: start: Options.Dir is empty")
	}
	dir, err := filepath.Abs(opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("pglocal: start: %w", err)
	}
	logger := opt.Logger
	if logger == nil {
		logger = slog.Default()
	}
	bin := opt.BinDir
	if bin == "" {
		// An existing cluster runs only with its own major version's
		// programs; a new one gets the highest installed.
		if bin, err = binariesFor(dir); err != nil {
			return nil, err
		}
	}
	acct, err := serverAccount(dir)
	if err != nil {
		return nil, err
	}
	if err := acct.checkReachable(dir); err != nil {
		return nil, err
	}
	if err := prepareDir(dir, acct); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		logger.Info("pglocal: creating PostgreSQL cluster", "dir", dir, "bin", bin)
		if err := initCluster(ctx, bin, acct, dir, opt.Ephemeral); err != nil {
			return nil, err
		}
	}
	// A cluster made by an older build has no passwords and trusts every
	// local connection: it boots with that pg_hba.conf once, gets its
	// passwords and AppRole, and only then is switched to SCRAM.
	legacy := hbaTrusts(dir)
	superPW, err := readSecret(dir, superSecretFile)
	if err == nil && superPW == "" && !legacy {
		err = fmt.Errorf("pglocal: %s is missing and the cluster asks for passwords; "+
			"restore it, or move the cluster away and start again", filepath.Join(dir, superSecretFile))
	}
	if err == nil {
		superPW, err = secretFor(dir, superSecretFile, acct)
	}
	if err != nil {
		return nil, err
	}
	appPW, err := secretFor(dir, appSecretFile, acct)
	if err != nil {
		return nil, err
	}
	sock, err := prepareSocketDir(dir, acct, logger)
	if err != nil {
		return nil, err
	}
	settings := map[string]string{}
	if opt.Ephemeral {
		settings["fsync"] = "off"
		settings["full_page_writes"] = "off"
	}
	maps.Copy(settings, opt.Settings)
	if err := writeConfig(dir, sock, settings, acct, !legacy); err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, sock: sock, bin: bin, acct: acct, logger: logger, superPW: superPW, appPW: appPW}
	if err := c.boot(ctx); err != nil {
		c.closeAdmin()
		return nil, err
	}
	if err := c.ensureRoles(ctx); err != nil {
		c.closeAdmin()
		return nil, err
	}
	if legacy {
		if err := c.requirePasswords(ctx); err != nil {
			c.closeAdmin()
			return nil, err
		}
		logger.Info("pglocal: upgraded cluster from trust to password authentication", "dir", dir, "app_role", AppRole)
	}
	return c, nil
}

// boot starts the server unless a healthy one of ours already runs on the
// directory, then waits until it answers.
func (c *Cluster) boot(ctx context.Context) error {
	state, pid := inspect(c.dir)
	if state == stateRunning {
		if err := c.ping(ctx); err == nil {
			c.logger.Info("pglocal: reusing PostgreSQL left running by an earlier run", "dir", c.dir, "pid", pid)
			if _, err := c.adminDB().ExecContext(ctx, "SELECT pg_reload_conf()"); err != nil {
				return fmt.Errorf("pglocal: reload config: %w", err)
			}
			return nil
		}
		c.closeAdmin()
		// It may be dying right now (killed a moment ago): look again.
		if state, pid = inspect(c.dir); state == stateRunning {
			c.logger.Warn("pglocal: PostgreSQL from an earlier run does not answer; restarting it", "dir", c.dir, "pid", pid)
			err := pgCtlStop(ctx, c.bin, c.acct, c.dir, "fast")
			if state, pid = inspect(c.dir); state == stateRunning {
				return fmt.Errorf("pglocal: stop unresponsive server: %w", err)
			}
		}
	}
	if state == stateStale {
		c.logger.Warn("pglocal: removing lock files left by a crashed PostgreSQL", "dir", c.dir, "pid", pid)
		if err := waitOrphans(ctx, c.dir); err != nil {
			return err
		}
		if err := clearStale(c.dir, c.sock); err != nil {
			return err
		}
	}
	rotateLog(c.dir)
	err := runTool(ctx, c.bin, c.acct, "pg_ctl", "start", "-w", "-t", "300", "-s",
		"-D", c.dir, "-l", filepath.Join(c.dir, logFile))
	if err == nil {
		err = c.waitReady(ctx)
	}
	if err != nil {
		return fmt.Errorf("pglocal: start PostgreSQL in %s: %w\nlast lines of %s:\n%s",
			c.dir, err, filepath.Join(c.dir, logFile), logTail(c.dir, 30))
	}
	c.logger.Info("pglocal: PostgreSQL running", "dir", c.dir, "socket", c.sock)
	return nil
}

// DSN returns a data source name for database on this cluster as AppRole,
// with its password, in the form github.com/uptrace/bun/driver/pgdriver
// accepts:
//
//	postgres://natter:<password>@/natter?host=%2Fvar%2Flib%2Fnatter%2Fpg%2Frun%2F.s.PGSQL.5432&sslmode=disable
//
// Unlike libpq, pgdriver wants the socket file itself in host, not its
// directory. The DSN holds a secret: do not log it.
func (c *Cluster) DSN(database string) string {
	return c.dsn(AppRole, c.appPW, database)
}

// superDSN is DSN for the superuser, which only this package uses.
func (c *Cluster) superDSN(database string) string {
	return c.dsn(serverUser, c.superPW, database)
}

func (c *Cluster) dsn(role, password, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(role, password),
		Path:     "/" + database,
		RawQuery: url.Values{"host": {c.SocketPath()}, "sslmode": {"disable"}}.Encode(),
	}
	return u.String()
}

// Dir returns the cluster's data directory (absolute).
func (c *Cluster) Dir() string { return c.dir }

// SocketPath returns the unix socket the server listens on.
func (c *Cluster) SocketPath() string { return filepath.Join(c.sock, ".s.PGSQL."+port) }

// LogPath returns the server's log file.
func (c *Cluster) LogPath() string { return filepath.Join(c.dir, logFile) }

// Stop shuts the server down cleanly (pg_ctl stop -m fast: sessions are
// ended, a checkpoint is written) and keeps the data for the next Start.
// It is idempotent and safe to call from a signal handler goroutine while
// other goroutines use the cluster; later calls return the first result.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return c.stopErr
	}
	c.stopped = true
	c.closeAdmin()
	if state, _ := inspect(c.dir); state != stateRunning {
		return nil
	}
	if err := pgCtlStop(context.Background(), c.bin, c.acct, c.dir, "fast"); err != nil {
		c.stopErr = fmt.Errorf("pglocal: stop: %w", err)
	}
	return c.stopErr
}

// Restart stops the server and starts it again on the same directory, for
// fault tests. With crash set it stops in immediate mode (no checkpoint, as
// if PostgreSQL had been killed), so the start runs crash recovery. Every
// open connection breaks.
func (c *Cluster) Restart(ctx context.Context, crash bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return errors.New("pglocal: restart: cluster is stopped")
	}
	c.closeAdmin()
	mode := "fast"
	if crash {
		mode = "immediate"
	}
	if err := pgCtlStop(ctx, c.bin, c.acct, c.dir, mode); err != nil {
		return fmt.Errorf("pglocal: restart: %w", err)
	}
	return c.boot(ctx)
}

// prepareDir creates dir (mode 0700, missing parents 0755 so the server user
// can reach it) and gives it to the server account. An existing cluster must
// already belong to that account: PostgreSQL refuses anything else.
func prepareDir(dir string, a *account) error {
	if err := mkdirParents(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pglocal: create %s: %w", dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("pglocal: %s is not a directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		want := os.Geteuid()
		if a != nil {
			want = a.uid
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != want {
			return fmt.Errorf("pglocal: cluster %s belongs to uid %d, but PostgreSQL would run as uid %d; "+
				"chown -R it or use another directory", dir, sys.Uid, want)
		}
	} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("pglocal: %s is not empty and holds no PostgreSQL cluster (no PG_VERSION); "+
			"use an empty or new directory", dir)
	}
	if err := a.chown(dir); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	return nil
}

// mkdirParents creates the missing directories of p with mode 0755 whatever
// the umask, so a server running as another user can traverse them.
func mkdirParents(p string) error {
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if parent := filepath.Dir(p); parent != p {
		if err := mkdirParents(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pglocal: create %s: %w", p, err)
	}
	if err := os.Chmod(p, 0o755); err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	return nil
}

// maxSocketPath keeps the socket path well inside the kernel's 108-byte
// sun_path limit.
const maxSocketPath = 100

// socketDirFor returns the socket directory of the cluster in dir:
// <dir>/run, or /tmp/natter-pg-<hash of dir> (stable across starts) when the
// socket path would be too long for the kernel.
func socketDirFor(dir string) string {
	sock := filepath.Join(dir, socketDir)
	if len(sock)+len("/.s.PGSQL."+port) < maxSocketPath {
		return sock
	}
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join("/tmp", "natter-pg-"+hex.EncodeToString(sum[:6]))
}

// prepareSocketDir creates the socket directory (see socketDirFor), mode
// 0700, belonging to the server account.
func prepareSocketDir(dir string, a *account, logger *slog.Logger) (string, error) {
	sock := socketDirFor(dir)
	if filepath.Dir(sock) != dir {
		logger.Info("pglocal: cluster path too long for a unix socket; socket goes under /tmp",
			"dir", dir, "socket_dir", sock)
	}
	if err := os.Mkdir(sock, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("pglocal: create socket directory: %w", err)
	}
	st, err := os.Lstat(sock)
	if err != nil {
		return "", fmt.Errorf("pglocal: socket directory: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("pglocal: socket directory %s is not a directory", sock)
	}
	want := os.Geteuid()
	if a != nil {
		want = a.uid
	}
	// In shared /tmp, someone else may have made the directory first.
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != want && int(sys.Uid) != os.Geteuid() {
		return "", fmt.Errorf("pglocal: socket directory %s belongs to uid %d, not to us", sock, sys.Uid)
	}
	if err := a.chown(sock); err != nil {
		return "", err
	}
	if err := os.Chmod(sock, 0o700); err != nil {
		return "", fmt.Errorf("pglocal: %w", err)
	}
	return sock, nil
}

// newConnector returns a pgdriver connector for dsn; pgdriver.WithDSN panics
// on a malformed DSN, which ours never is.
func newConnector(dsn string) *pgdriver.Connector {
	return pgdriver.NewConnector(pgdriver.WithDSN(dsn))
}
