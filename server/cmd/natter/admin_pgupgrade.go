package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"

	"natter/server/backup"
	"natter/server/pglocal"
	"natter/server/store"
)

// pgUpgradeReport is what `admin pg-upgrade` prints.
type pgUpgradeReport struct {
	From   int              `json:"from"`
	To     int              `json:"to"`
	Dir    string           `json:"dir"`
	OldDir string           `json:"old_dir,omitempty"`
	Method string           `json:"method,omitempty"` // "pg_upgrade" or "dump and restore"
	Rows   map[string]int64 `json:"rows,omitempty"`
	// PgUpgradeError says why pg_upgrade was not used, when it failed.
	PgUpgradeError string `json:"pg_upgrade_error,omitempty"`
}

// pgUpgradeCmd moves the embedded cluster to the newest installed
// PostgreSQL.
func (a *admin) pgUpgradeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "pg-upgrade",
		Short: "Move the embedded database to the newest installed PostgreSQL (stop natter serve first)",
		Long: `Move the embedded cluster under NATTER_DATA/postgres to the newest installed
PostgreSQL major version: with pg_upgrade (copy mode, so the old cluster is only read),
or, when that is missing or fails, by dumping the old cluster (run with its own
version's programs) with the new pg_dump into a new cluster. Every table's row count
is compared with the old cluster's.
Only then does the new cluster take the old one's place; the old directory is kept
as postgres.old-<version>-<time> until you remove it. The old version's programs
must still be installed (apt-get install postgresql-<version>); without them, restore
your latest natter admin backup into a new NATTER_DATA instead.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			if cfg.DatabaseURL != "" {
				return errors.New("pg-upgrade: DATABASE_URL is set: upgrade that PostgreSQL server with its own tools (pg_upgrade, or natter admin backup and restore)")
			}
			unlock, err := lockDataDir(cfg.DataDir)
			if err != nil {
				return fmt.Errorf("pg-upgrade: %w", err)
			}
			defer unlock()
			dir := filepath.Join(cfg.DataDir, "postgres")
			from, err := pglocal.ClusterVersion(dir)
			if err != nil {
				return err
			}
			if from == 0 {
				return fmt.Errorf("pg-upgrade: no embedded cluster in %s", dir)
			}
			all := pglocal.Installations()
			if len(all) == 0 {
				return pglocal.ErrNoBinaries
			}
			to := all[0]
			if from >= to.Major {
				return a.print(c, pgUpgradeReport{From: from, To: from, Dir: dir}, func(w io.Writer) {
					fmt.Fprintf(w, "the cluster in %s runs PostgreSQL %d, the newest installed: nothing to do\n", dir, from)
				})
			}
			var oldBin string
			for _, in := range all {
				if in.Major == from {
					oldBin = in.BinDir
				}
			}
			if oldBin == "" {
				return fmt.Errorf("pg-upgrade: the cluster was made by PostgreSQL %d, whose programs are needed to read it: "+
					"install them (apt-get install postgresql-%d) and run this again, or restore your latest "+
					"natter admin backup into a new NATTER_DATA", from, from)
			}
			rep, err := upgradeCluster(c.Context(), dir, oldBin, to.BinDir, quietLog(), true)
			if err != nil {
				return err
			}
			rep.From, rep.To = from, to.Major
			return a.print(c, rep, func(w io.Writer) {
				fmt.Fprintf(w, "upgraded %s from PostgreSQL %d to %d (%s); every table's rows match. The old cluster is kept in %s: remove it when you are satisfied\n",
					dir, from, to.Major, rep.Method, rep.OldDir)
			})
		},
	}
}

// upgradeCluster moves the cluster in dir (run with oldBin) to a new
// cluster made with newBin: with pg_upgrade when usePgUpgrade and the new
// version has it, else (or when pg_upgrade fails) by dumping the natter
// database with the new pg_dump and restoring it. Either way each table's
// row count is compared with the old cluster's before the directories are
// swapped; the old one is kept. Until the swap the old cluster is only
// read, and a failure removes the half-made new directory.
func upgradeCluster(ctx context.Context, dir, oldBin, newBin string, log *slog.Logger, usePgUpgrade bool) (rep pgUpgradeReport, err error) {
	rep.Dir = dir
	next := dir + ".new"
	if err := pglocal.Discard(next); err != nil {
		return rep, err
	}
	defer func() {
		if err != nil {
			_ = pglocal.Discard(next)
		}
	}()
	oldC, err := pglocal.Start(ctx, pglocal.Options{Dir: dir, BinDir: oldBin, Logger: log})
	if err != nil {
		return rep, fmt.Errorf("pg-upgrade: start the old cluster: %w", err)
	}
	defer oldC.Stop()
	before, err := tableRows(ctx, oldC.DSN("natter"))
	if err != nil {
		return rep, err
	}
	rep.Method = "dump and restore"
	if usePgUpgrade {
		if err := oldC.Stop(); err != nil {
			return rep, fmt.Errorf("pg-upgrade: stop the old cluster: %w", err)
		}
		err := pglocal.PgUpgrade(ctx, dir, next, oldBin, newBin)
		if err == nil {
			rep.Method = "pg_upgrade"
		} else {
			rep.PgUpgradeError = err.Error()
			log.Warn("pg_upgrade did not work; dumping and restoring instead", "err", err)
			if oldC, err = pglocal.Start(ctx, pglocal.Options{Dir: dir, BinDir: oldBin, Logger: log}); err != nil {
				return rep, fmt.Errorf("pg-upgrade: start the old cluster: %w", err)
			}
			defer oldC.Stop()
		}
	}
	newC, err := pglocal.Start(ctx, pglocal.Options{Dir: next, BinDir: newBin, Logger: log})
	if err != nil {
		return rep, fmt.Errorf("pg-upgrade: start the new cluster: %w", err)
	}
	defer newC.Stop()
	if rep.Method != "pg_upgrade" {
		if err := dumpInto(ctx, oldC, newC, dir, newBin); err != nil {
			return rep, err
		}
	}
	after, err := tableRows(ctx, newC.DSN("natter"))
	if err != nil {
		return rep, err
	}
	for t, n := range before {
		if after[t] != n {
			return rep, fmt.Errorf("pg-upgrade: table %s has %d rows in the new cluster and %d in the old; nothing was changed", t, after[t], n)
		}
	}
	rep.Rows = after
	if err := oldC.Stop(); err != nil {
		return rep, fmt.Errorf("pg-upgrade: stop the old cluster: %w", err)
	}
	if err := newC.Stop(); err != nil {
		return rep, fmt.Errorf("pg-upgrade: stop the new cluster: %w", err)
	}
	v, _ := pglocal.ClusterVersion(dir)
	rep.OldDir = fmt.Sprintf("%s.old-%d-%s", dir, v, time.Now().UTC().Format("20060102T150405Z"))
	if err := os.Rename(dir, rep.OldDir); err != nil {
		return rep, fmt.Errorf("pg-upgrade: %w", err)
	}
	if err := os.Rename(next, dir); err != nil {
		_ = os.Rename(rep.OldDir, dir)
		return rep, fmt.Errorf("pg-upgrade: %w", err)
	}
	return rep, nil
}

// dumpInto copies the natter database of the running cluster from into
// the running cluster to with to's version of pg_dump, which reads older
// servers (never newer ones).
func dumpInto(ctx context.Context, from, to *pglocal.Cluster, dir, newBin string) error {
	if err := to.CreateDatabase(ctx, "natter", ""); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dir), ".natter-upgrade-*")
	if err != nil {
		return fmt.Errorf("pg-upgrade: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	fc, fpw := from.Conninfo("natter")
	tc, tpw := to.Conninfo("natter")
	if _, err := backup.Create(ctx, backup.Target{Conninfo: fc, Password: fpw, BinDir: newBin}, "", tmp.Name()); err != nil {
		return fmt.Errorf("pg-upgrade: %w", err)
	}
	_, dump, err := backup.Extract(tmp.Name(), filepath.Dir(dir))
	if err != nil {
		return fmt.Errorf("pg-upgrade: %w", err)
	}
	defer os.Remove(dump)
	if err := backup.Restore(ctx, backup.Target{Conninfo: tc, Password: tpw, BinDir: newBin}, dump); err != nil {
		return fmt.Errorf("pg-upgrade: %w", err)
	}
	return nil
}

// tableRows counts the rows of every table of the database at dsn.
func tableRows(ctx context.Context, dsn string) (map[string]int64, error) {
	st, err := store.Open(dsn)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var names []string
	if err := st.DB.NewRaw(`SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1`).Scan(ctx, &names); err != nil {
		return nil, fmt.Errorf("pg-upgrade: list tables: %w", err)
	}
	out := make(map[string]int64, len(names))
	for _, n := range names {
		var c int64
		if err := st.DB.NewRaw(`SELECT count(*) FROM ?`, bun.Ident(n)).Scan(ctx, &c); err != nil {
			return nil, fmt.Errorf("pg-upgrade: count %s: %w", n, err)
		}
		out[n] = c
	}
	return out, nil
}
