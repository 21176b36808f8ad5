package pglocal

import (
	"context"
	"fmt"
	"strings"
)

// initCluster runs initdb in the empty directory dir: superuser "postgres",
// UTF-8, data checksums (durability is the point of the product), trust
// authentication (pg_hba.conf is replaced by a socket-only one before the
// first start). The C.UTF-8 locale gives lower() Unicode case folding for the
// case-insensitive email and nickname indexes; systems without it fall back
// to C. initdb removes what it wrote when it fails, so a retry starts clean.
func initCluster(ctx context.Context, bin string, a *account, dir string, ephemeral bool) error {
	var err error
	for _, locale := range []string{"C.UTF-8", "C"} {
		args := []string{"-D", dir, "-U", serverUser, "-A", "trust", "-E", "UTF8",
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
	return nil
}
