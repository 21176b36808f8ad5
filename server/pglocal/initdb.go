package pglocal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// initCluster runs initdb in the empty directory dir: superuser "postgres"
// with a new password, stored afterwards in superSecretFile, UTF-8, data
// checksums (durability is the point of the product), SCRAM password
// authentication (pg_hba.conf is replaced by a socket-only one before the
// first start). The C.UTF-8 locale gives lower() Unicode case folding for the
// case-insensitive email and nickname indexes; systems without it fall back
// to C. initdb removes what it wrote when it fails, so a retry starts clean.
func initCluster(ctx context.Context, bin string, a *account, dir string, ephemeral bool) error {
	password, err := newSecret()
	if err != nil {
		return err
	}
	return initClusterWith(ctx, bin, a, dir, ephemeral, password)
}

// initClusterWith is initCluster with the superuser's password given: an
// upgrade's new cluster takes the old one's, because pg_upgrade signs in
// to both with one.
func initClusterWith(ctx context.Context, bin string, a *account, dir string, ephemeral bool, password string) error {
	pwfile, err := writePwfile(dir, password, a)
	if err != nil {
		return err
	}
	defer os.Remove(pwfile)
	for _, locale := range []string{"C.UTF-8", "C"} {
		args := []string{"-D", dir, "-U", serverUser, "-A", "scram-sha-256", "--pwfile=" + pwfile, "-E", "UTF8",
			"--locale=" + locale, "--data-checksums", "--no-instructions"}
		if ephemeral {
			args = append(args, "--no-sync")
		}
		err = runTool(ctx, bin, a, "initdb", args...)
		if err == nil || !strings.Contains(err.Error(), "locale") {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("pglocal: initdb: %w", err)
	}
	// Were we killed between initdb and here, the next start would find
	// a cluster that wants a password nobody kept, and says so.
	return writeOwned(filepath.Join(dir, superSecretFile), []byte(password+"\n"), a)
}
