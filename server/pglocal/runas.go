package pglocal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// serverUser is PostgreSQL's bootstrap superuser (initdb -U), which only
// this package connects as.
const serverUser = "postgres"

// account is the identity the PostgreSQL programs run under. A nil *account
// means "as ourselves" (we are not root).
type account struct {
	name string
	uid  int
	gid  int
}

// serverAccount returns the account to run the cluster in dir as: nil when
// we are not root. As root, a cluster that exists keeps the account that
// owns it (clusters made before osUser existed belong to Debian's
// postgres), and a new one gets osUser, created on first use (see
// systemUser).
func serverAccount(dir string) (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if dir != "" {
		if st, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Uid != 0 {
				u, err := user.LookupId(strconv.Itoa(int(sys.Uid)))
				if err != nil {
					return nil, fmt.Errorf("pglocal: cluster %s belongs to uid %d, which has no account: %w", dir, sys.Uid, err)
				}
				return accountOf(u)
			}
		}
	}
	u, err := systemUser()
	if err != nil {
		return nil, err
	}
	return accountOf(u)
}

// accountOf converts a user entry.
func accountOf(u *user.User) (*account, error) {
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("pglocal: user %s: bad uid %q", u.Username, u.Uid)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("pglocal: user %s: bad gid %q", u.Username, u.Gid)
	}
	return &account{name: u.Username, uid: uid, gid: gid}, nil
}

// sysProcAttr makes a child process run as a (only the primary group, which
// is what checkReachable assumes). It returns nil for a nil account.
func (a *account) sysProcAttr() *syscall.SysProcAttr {
	if a == nil {
		return nil
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{
		Uid:    uint32(a.uid),
		Gid:    uint32(a.gid),
		Groups: []uint32{uint32(a.gid)},
	}}
}

// chown gives path to a; a no-op for a nil account.
func (a *account) chown(path string) error {
	if a == nil {
		return nil
	}
	if err := os.Lchown(path, a.uid, a.gid); err != nil {
		return fmt.Errorf("pglocal: give %s to user %s: %w", path, a.name, err)
	}
	return nil
}

// checkReachable fails with a readable error when a cannot search (traverse)
// one of the existing parent directories of dir, which would otherwise show up
// later as a cryptic initdb or pg_ctl failure. dir must be absolute. A nil
// account always passes: we created or own the path ourselves.
func (a *account) checkReachable(dir string) error {
	if a == nil {
		return nil
	}
	var parents []string
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		parents = append(parents, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	// Outermost first, so the error names the first closed door on the way.
	for i := len(parents) - 1; i >= 0; i-- {
		p := parents[i]
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // created by us later, with mode 0755
		}
		if err != nil {
			return fmt.Errorf("pglocal: check %s: %w", p, err)
		}
		if !a.canSearch(st) {
			return fmt.Errorf("pglocal: %s is not searchable by user %s, which runs PostgreSQL; "+
				"set NATTER_DATA to a directory under /var/lib or /tmp (or `chmod o+x %s`)", p, a.name, p)
		}
	}
	return nil
}

// canSearch applies the classic owner/group/other execute-bit rule for a.
func (a *account) canSearch(st fs.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return true // cannot tell; let PostgreSQL report it
	}
	perm := st.Mode().Perm()
	switch {
	case int(sys.Uid) == a.uid:
		return perm&0o100 != 0
	case int(sys.Gid) == a.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
