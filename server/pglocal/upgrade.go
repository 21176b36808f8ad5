package pglocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ErrNoPgUpgrade reports that the new version's pg_upgrade is not
// installed; the caller can dump and restore instead.
var ErrNoPgUpgrade = errors.New("pglocal: pg_upgrade is not installed with the new PostgreSQL")

// PgUpgrade runs pg_upgrade in copy mode from the stopped cluster in dir,
// whose version's programs are in oldBin, into a new cluster at next made
// with newBin (next must not exist yet). The old cluster is only read, so
// it stays usable whatever happens; on failure next is removed and the
// error carries the end of pg_upgrade's report. The new cluster belongs to
// the old one's OS user, has the same passwords (pg_upgrade carries the
// roles over) and gets natter's settings at its first Start.
func PgUpgrade(ctx context.Context, dir, next, oldBin, newBin string) (err error) {
	if dir, err = filepath.Abs(dir); err == nil {
		next, err = filepath.Abs(next)
	}
	if err != nil {
		return fmt.Errorf("pglocal: pg_upgrade: %w", err)
	}
	tool := filepath.Join(newBin, "pg_upgrade")
	if st, err := os.Stat(tool); err != nil || st.Mode().Perm()&0o111 == 0 {
		return ErrNoPgUpgrade
	}
	if state, _ := inspect(dir); state == stateRunning {
		return fmt.Errorf("pglocal: pg_upgrade: PostgreSQL is running on %s; stop it first", dir)
	}
	if _, err := os.Stat(next); err == nil {
		return fmt.Errorf("pglocal: pg_upgrade: %s exists already", next)
	}
	acct, err := serverAccount(dir)
	if err != nil {
		return err
	}
	pw, err := readSecret(dir, superSecretFile)
	if err != nil {
		return err
	}
	if pw == "" {
		return fmt.Errorf("pglocal: pg_upgrade: %s has no %s; start it once with this Natter first", dir, superSecretFile)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(next)
		}
	}()
	if err := prepareDir(next, acct); err != nil {
		return err
	}
	if err := initClusterWith(ctx, newBin, acct, next, false, pw); err != nil {
		return err
	}
	// pg_upgrade writes its logs and scripts in its working directory and
	// puts both servers' sockets there (-s): a private directory of the
	// server's OS user next to the cluster.
	work, err := os.MkdirTemp(filepath.Dir(dir), ".pg-upgrade-")
	if err != nil {
		return fmt.Errorf("pglocal: pg_upgrade: %w", err)
	}
	defer os.RemoveAll(work)
	if err := acct.chown(work); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, tool, "--old-bindir", oldBin, "--new-bindir", newBin,
		"--old-datadir", dir, "--new-datadir", next, "--socketdir", work, "--username", serverUser,
		"--old-port", "50432", "--new-port", "50433")
	cmd.Dir = work
	cmd.Env = append(toolEnv(), "PGPASSWORD="+pw) // both clusters ask for it (SCRAM)
	cmd.SysProcAttr = acct.sysProcAttr()
	out, err := cmd.CombinedOutput()
	if err != nil {
		if len(out) > 4000 {
			out = out[len(out)-4000:]
		}
		return fmt.Errorf("pglocal: pg_upgrade: %w:\n%s", err, bytes.TrimSpace(out))
	}
	app, err := readSecret(dir, appSecretFile)
	if err != nil {
		return err
	}
	if app != "" {
		if err := writeOwned(filepath.Join(next, appSecretFile), []byte(app+"\n"), acct); err != nil {
			return err
		}
	}
	return nil
}
