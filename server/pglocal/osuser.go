package pglocal

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"os/user"
	"sync"
	"time"
)

// osUser is the system account a new cluster runs as when we are root
// (PostgreSQL refuses to run as root). It is Natter's own rather than
// Debian's shared postgres account, so a system PostgreSQL on the same
// machine, or anything else running as postgres, cannot read the cluster's
// files (its password files included), and the other way round.
const osUser = "natter-pg"

// legacyOSUser is the account used when osUser cannot be created (no
// useradd on the system): Debian's postgresql package makes it.
const legacyOSUser = "postgres"

// useraddTries bounds the attempts while another process holds the lock on
// /etc/passwd (test binaries starting clusters side by side).
const useraddTries = 50

// userMu serializes user creation within the process.
var userMu sync.Mutex

// systemUser returns osUser, creating it (useradd --system, its own group,
// no home, no login shell) when it does not exist, or legacyOSUser when it
// cannot be created.
func systemUser() (*user.User, error) {
	if u, err := user.Lookup(osUser); err == nil {
		return u, nil
	}
	userMu.Lock()
	defer userMu.Unlock()
	err := createUser(osUser)
	if u, lerr := user.Lookup(osUser); lerr == nil {
		return u, nil // made by us, or by another process meanwhile
	}
	u, lerr := user.Lookup(legacyOSUser)
	if lerr != nil {
		return nil, fmt.Errorf("pglocal: running as root, PostgreSQL needs a system user to run as (it refuses root); "+
			"creating %s failed (%v) and there is no %s user (`apt-get install -y postgresql` makes one)", osUser, err, legacyOSUser)
	}
	return u, nil
}

// createUser runs useradd, retrying while /etc/passwd is locked by another
// useradd; a user that exists by then counts as created.
func createUser(name string) error {
	path, err := exec.LookPath("useradd")
	if err != nil {
		path = "/usr/sbin/useradd" // root's PATH may lack sbin
	}
	wait := 20 * time.Millisecond
	for try := 1; ; try++ {
		out, err := exec.Command(path, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
			"--shell", "/usr/sbin/nologin", "--comment", "Natter embedded PostgreSQL", name).CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &exit) && exit.ExitCode() == 9: // "user already exists"
			return nil
		case errors.As(err, &exit) && bytes.Contains(out, []byte("lock")) && try < useraddTries:
			time.Sleep(wait) // nothing to wait on: the lock is another process's
			wait = min(2*wait, 200*time.Millisecond)
		default:
			return fmt.Errorf("useradd %s: %w: %s", name, err, bytes.TrimSpace(out))
		}
	}
}
