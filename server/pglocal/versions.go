package pglocal

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// binGlob is where Debian installs each PostgreSQL major version's server
// programs. Tests point it at a fake layout.
var binGlob = "/usr/lib/postgresql/*/bin"

// ErrNeedsUpgrade reports a cluster made by an older PostgreSQL whose
// programs are gone while newer ones are installed (typically after a
// distribution upgrade). PostgreSQL cannot open another major version's
// data directory, so the cluster must be upgraded first.
var ErrNeedsUpgrade = errors.New("pglocal: cluster needs a PostgreSQL upgrade")

// UpgradeError says which versions are involved and what to run; it
// matches ErrNeedsUpgrade with errors.Is.
type UpgradeError struct {
	Dir       string
	Cluster   int // the major version in the cluster's PG_VERSION
	Installed int // the highest major version installed
}

// Error names `natter admin pg-upgrade`, because the person reading it is
// an operator whose server just refused to start.
func (e *UpgradeError) Error() string {
	return fmt.Sprintf("pglocal: the database in %[1]s was made by PostgreSQL %[2]d, whose programs are not installed, "+
		"and PostgreSQL %[3]d cannot open it. Install PostgreSQL %[2]d's programs again (apt-get install postgresql-%[2]d), "+
		"then run `natter admin pg-upgrade` to move the data to PostgreSQL %[3]d (the old directory is kept); "+
		"or restore your latest `natter admin backup` into a new NATTER_DATA",
		e.Dir, e.Cluster, e.Installed)
}

// Is makes errors.Is(err, ErrNeedsUpgrade) true.
func (e *UpgradeError) Is(target error) bool { return target == ErrNeedsUpgrade }

// ClusterVersion returns the major version recorded in dir/PG_VERSION, or
// 0 when dir holds no cluster.
func ClusterVersion(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pglocal: %w", err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("pglocal: %s/PG_VERSION holds %q, not a version", dir, strings.TrimSpace(string(b)))
	}
	return v, nil
}

// Installation is one installed PostgreSQL: its major version and the
// directory of its programs.
type Installation struct {
	Major  int
	BinDir string
}

// Installations lists every usable set of server programs, highest major
// version first: the directory of pg_ctl in PATH, then each of binGlob.
func Installations() []Installation {
	var out []Installation
	seen := map[string]bool{}
	add := func(dir string) {
		if seen[dir] || !hasBinaries(dir) {
			return
		}
		seen[dir] = true
		if v := binVersion(dir); v > 0 {
			out = append(out, Installation{Major: v, BinDir: dir})
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		add(filepath.Dir(p))
	}
	dirs, _ := filepath.Glob(binGlob)
	for _, d := range dirs {
		add(d)
	}
	slices.SortStableFunc(out, func(a, b Installation) int { return b.Major - a.Major })
	return out
}

// binVersion is the major version of the programs in dir: from the Debian
// path (/usr/lib/postgresql/N/bin) when it has one, else from
// `pg_ctl --version` ("pg_ctl (PostgreSQL) 15.4").
func binVersion(dir string) int {
	if v, err := strconv.Atoi(filepath.Base(filepath.Dir(dir))); err == nil {
		return v
	}
	out, err := exec.Command(filepath.Join(dir, "pg_ctl"), "--version").Output()
	if err != nil {
		return 0
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return 0
	}
	major, _, _ := strings.Cut(f[len(f)-1], ".")
	v, _ := strconv.Atoi(major)
	return v
}

// binariesFor picks the programs to run the cluster in dir with: for a new
// cluster the highest installed version; for an existing one exactly the
// major version in its PG_VERSION, because PostgreSQL refuses any other.
// When that version is missing it returns an *UpgradeError if a newer one
// is installed, and says what to install otherwise.
func binariesFor(dir string) (string, error) {
	all := Installations()
	if len(all) == 0 {
		return "", ErrNoBinaries
	}
	v, err := ClusterVersion(dir)
	if err != nil {
		return "", err
	}
	if v == 0 {
		return all[0].BinDir, nil
	}
	for _, in := range all {
		if in.Major == v {
			return in.BinDir, nil
		}
	}
	if all[0].Major > v {
		return "", &UpgradeError{Dir: dir, Cluster: v, Installed: all[0].Major}
	}
	return "", fmt.Errorf("pglocal: the database in %s was made by PostgreSQL %d, but only PostgreSQL %d is installed; "+
		"install PostgreSQL %d (apt-get install postgresql-%d)", dir, v, all[0].Major, v, v)
}

// BinariesFor is binariesFor for the admin commands (backup, pg-upgrade),
// which run PostgreSQL's client programs next to the server's.
func BinariesFor(dir string) (string, error) { return binariesFor(dir) }

// BinDir returns the directory of the PostgreSQL programs the cluster runs
// with, where pg_dump and pg_restore of the same version live too.
func (c *Cluster) BinDir() string { return c.bin }

// Conninfo returns a libpq connection string for database on this cluster
// as AppRole, and its password apart, for PostgreSQL's own programs
// (pg_dump, pg_restore), which take the socket's directory, not the file.
func (c *Cluster) Conninfo(database string) (conninfo, password string) {
	return fmt.Sprintf("host='%s' port=%s user=%s dbname='%s'", c.sock, port, AppRole, database), c.appPW
}
