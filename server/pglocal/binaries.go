package pglocal

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
)

// ErrNoBinaries reports that the PostgreSQL server programs are not installed.
// Its message says how to install them, because the person reading it is
// usually trying `natter serve` or the tests for the first time.
var ErrNoBinaries = errors.New("pglocal: PostgreSQL server programs (initdb, pg_ctl, postgres) " +
	"not found in PATH or /usr/lib/postgresql/*/bin; install them with " +
	"`apt-get install -y postgresql` (./build.sh does this), or set DATABASE_URL to use an existing server")

// binaryNames are the programs a private cluster needs, all in one directory:
// pg_ctl finds postgres next to itself.
var binaryNames = []string{"initdb", "pg_ctl", "postgres"}

// FindBinaries returns the directory holding initdb, pg_ctl and postgres. It
// looks in PATH first (following symlinks, so /usr/local/bin/pg_ctl pointing
// into /usr/lib/postgresql/15/bin counts), then in /usr/lib/postgresql/*/bin,
// highest major version first. Debian's /usr/bin wrappers are skipped because
// their directory has no postgres binary. When nothing fits it returns
// ErrNoBinaries.
func FindBinaries() (string, error) {
	for _, name := range binaryNames[:2] {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if dir := filepath.Dir(p); hasBinaries(dir) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.SliceStable(dirs, func(i, j int) bool {
		return majorVersion(dirs[i]) > majorVersion(dirs[j])
	})
	for _, dir := range dirs {
		if hasBinaries(dir) {
			return dir, nil
		}
	}
	return "", ErrNoBinaries
}

// hasBinaries reports whether dir holds every program in binaryNames as an
// executable file.
func hasBinaries(dir string) bool {
	for _, name := range binaryNames {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// majorVersion extracts N from /usr/lib/postgresql/N/bin; unparsable names
// sort last.
func majorVersion(binDir string) float64 {
	v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	if err != nil {
		return -1
	}
	return v
}
