package pglocal

import (
	"errors"
	"os"
	"path/filepath"
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

// FindBinaries returns the directory holding initdb, pg_ctl and postgres of
// the highest PostgreSQL major version installed (in PATH, following
// symlinks, or in /usr/lib/postgresql/*/bin). Debian's /usr/bin wrappers
// are skipped because their directory has no postgres binary. It is right
// for a new cluster only: an existing one must run with its own version's
// programs (Start sees to it). When nothing fits it returns ErrNoBinaries.
func FindBinaries() (string, error) {
	all := Installations()
	if len(all) == 0 {
		return "", ErrNoBinaries
	}
	return all[0].BinDir, nil
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
