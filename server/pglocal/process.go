package pglocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pidFile is where a running postmaster records its pid (first line) and
// data directory (second line).
const pidFile = "postmaster.pid"

// maxLogSize is the size above which postgres.log is moved aside to
// postgres.log.old at the next start, so a long-lived cluster's log stays
// bounded without a log collector.
const maxLogSize = 16 << 20

// orphanTimeout bounds the wait for a crashed server's backends to exit.
const orphanTimeout = 30 * time.Second

// runTool runs one PostgreSQL program from bin as a (when set), in "/" so a
// cwd the server user cannot read (like /root) does not break it, and without
// inherited PG* variables that could point it elsewhere. It returns the
// combined output inside the error.
func runTool(ctx context.Context, bin string, a *account, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
	cmd.Dir = "/"
	cmd.Env = toolEnv()
	cmd.SysProcAttr = a.sysProcAttr()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// toolEnv is our environment minus PG* variables (PGDATA, PGPORT, PGHOST...),
// which would otherwise change what initdb, pg_ctl and postgres do.
func toolEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

// serverState says whether a postmaster from an earlier run serves dir.
type serverState int

const (
	stateStopped serverState = iota // no postmaster.pid
	stateRunning                    // postmaster.pid names a live postgres working in dir
	stateStale                      // postmaster.pid left by a crash; its pid is gone or reused
)

// inspect reports the state of the server for dir and the pid it found.
func inspect(dir string) (serverState, int) {
	b, err := os.ReadFile(filepath.Join(dir, pidFile))
	if err != nil {
		return stateStopped, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return stateStale, 0
	}
	if isOurPostgres(pid, dir) {
		return stateRunning, pid
	}
	return stateStale, pid
}

// isOurPostgres reports whether pid is alive, is a postgres process, and
// works in dir (a postmaster chdirs to its data directory). After a reboot or
// in a container, the pid in a stale postmaster.pid often belongs to some
// other process; PostgreSQL itself would then refuse to start.
func isOurPostgres(pid int, dir string) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return true // no /proc: trust the live pid as PostgreSQL does
	}
	if strings.TrimSpace(string(comm)) != "postgres" || isZombie(pid) {
		return false
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return true
	}
	return sameDir(cwd, dir)
}

// isZombie reports whether pid has exited but is not yet reaped: a killed
// postmaster stays a zombie until init gets to it, and kill(pid, 0) still
// succeeds on it.
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesized command name: "pid (comm) S ...".
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}

// orphansIn returns the live postgres processes working in dir. After the
// postmaster is killed its backends exit on their own within moments, but
// while any is alive the shared memory is in use and a new postmaster
// refuses to start.
func orphansIn(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if isOurPostgres(pid, dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitOrphans waits until no postgres process works in dir any more.
func waitOrphans(ctx context.Context, dir string) error {
	ctx, cancel := context.WithTimeout(ctx, orphanTimeout)
	defer cancel()
	tick := time.NewTicker(pingInterval)
	defer tick.Stop()
	for {
		pids := orphansIn(dir)
		if len(pids) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pglocal: postgres processes %v of a crashed server still run in %s", pids, dir)
		case <-tick.C:
		}
	}
}

// sameDir compares two directory paths after resolving symlinks.
func sameDir(a, b string) bool {
	if ra, err := filepath.EvalSymlinks(a); err == nil {
		a = ra
	}
	if rb, err := filepath.EvalSymlinks(b); err == nil {
		b = rb
	}
	return filepath.Clean(a) == filepath.Clean(b)
}

// clearStale removes the lock files a crashed server left in dir and in the
// socket directory.
func clearStale(dir, sock string) error {
	for _, p := range []string{
		filepath.Join(dir, pidFile),
		filepath.Join(sock, ".s.PGSQL."+port),
		filepath.Join(sock, ".s.PGSQL."+port+".lock"),
	} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("pglocal: remove stale %s: %w", p, err)
		}
	}
	return nil
}

// rotateLog moves a large postgres.log aside before a start.
func rotateLog(dir string) {
	p := filepath.Join(dir, logFile)
	if st, err := os.Stat(p); err == nil && st.Size() > maxLogSize {
		_ = os.Rename(p, p+".old")
	}
}

// logTail returns the last lines of the server log, for error messages: the
// reason a start failed is almost always there, not in pg_ctl's output.
func logTail(dir string, lines int) string {
	f, err := os.Open(filepath.Join(dir, logFile))
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	defer f.Close()
	const window = 8 << 10
	if st, err := f.Stat(); err == nil && st.Size() > window {
		_, _ = f.Seek(st.Size()-window, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// pgCtlStop stops the server on dir with the given shutdown mode ("fast" or
// "immediate") and waits until it is gone.
func pgCtlStop(ctx context.Context, bin string, a *account, dir, mode string) error {
	return runTool(ctx, bin, a, "pg_ctl", "stop", "-D", dir, "-m", mode, "-w", "-t", "120", "-s")
}

// Discard stops at once (immediate mode: no checkpoint, crash recovery at a
// later start) whatever server of ours runs on dir, then deletes dir. It is
// for throwaway clusters, such as those of test binaries that were killed
// before they could stop theirs.
func Discard(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("pglocal: discard: %w", err)
	}
	if state, _ := inspect(dir); state == stateRunning {
		bin, err := binariesFor(dir)
		if err != nil {
			return err
		}
		a, err := serverAccount(dir)
		if err != nil {
			return err
		}
		if err := pgCtlStop(context.Background(), bin, a, dir, "immediate"); err != nil {
			return fmt.Errorf("pglocal: discard %s: %w", dir, err)
		}
	}
	if sock := socketDirFor(dir); filepath.Dir(sock) != dir {
		_ = os.RemoveAll(sock)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("pglocal: discard: %w", err)
	}
	return nil
}
