package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"natter/server/backup"
	"natter/server/store"
)

// backupReport is what `admin backup` prints.
type backupReport struct {
	File string `json:"file"`
	backup.Meta
}

// backupCmd makes a backup now, while servers keep serving.
func (a *admin) backupCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup [--out FILE]",
		Short: "Back the database up into one file (consistent, while servers keep running)",
		Long: `Back the database up with pg_dump into one file: a tar holding natter-backup.json
(schema version, size and SHA-256 of the dump) and natter.dump (pg_dump's custom
format). Without --out it goes to NATTER_DATA/backups. Servers keep serving:
pg_dump reads one consistent snapshot.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			ctx := c.Context()
			st, t, release, err := openTarget(ctx, cfg, quietLog(), false)
			if err != nil {
				return err
			}
			defer release()
			path := out
			if path == "" {
				path = newBackupPath(backupDir(cfg), time.Now())
			}
			meta, err := makeBackup(ctx, st, t, path)
			if err != nil {
				return err
			}
			return a.print(c, backupReport{File: path, Meta: meta}, func(w io.Writer) {
				fmt.Fprintf(w, "backed up to %s (%d bytes, schema %s, sha256 %s)\n", path, meta.DumpSize, meta.Schema, meta.DumpSHA256)
			})
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the backup to FILE")
	return cmd
}

// restoreReport is what `admin restore` prints.
type restoreReport struct {
	File          string `json:"file"`
	Schema        string `json:"schema"`
	Users         int64  `json:"users" bun:"users"`
	Conversations int64  `json:"conversations" bun:"conversations"`
	Messages      int64  `json:"messages" bun:"messages"`
}

// restoreCmd loads a backup into an empty database: the embedded cluster
// of NATTER_DATA (created when missing; no server may be running on it),
// or DATABASE_URL.
func (a *admin) restoreCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "restore FILE [--force]",
		Short: "Restore a backup into an empty data directory or database",
		Long: `Restore a backup made by natter admin backup. The dump's checksum is verified
and its schema checked first: a backup from a newer Natter is refused. The target
(the embedded PostgreSQL under NATTER_DATA, created when missing, or DATABASE_URL)
must hold no tables, unless --force, which deletes what is there first. Stop
natter serve on NATTER_DATA before restoring into it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			return a.restore(c, cfg, args[0], force)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace whatever the target database holds")
	return cmd
}

func (a *admin) restore(c *cobra.Command, cfg config, file string, force bool) error {
	ctx := c.Context()
	tmp := os.TempDir()
	if cfg.DatabaseURL == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		tmp = cfg.DataDir
	}
	meta, dump, err := backup.Extract(file, tmp)
	if err != nil {
		return fmt.Errorf("restore %s: %w", file, err)
	}
	defer os.Remove(dump)
	if err := backup.CheckSchema(meta, store.LatestSchema()); err != nil {
		return fmt.Errorf("restore %s: %w", file, err)
	}
	if cfg.DatabaseURL == "" {
		unlock, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		defer unlock()
	}
	st, t, release, err := openTarget(ctx, cfg, quietLog(), false)
	if err != nil {
		return err
	}
	defer release()
	empty, err := st.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if !empty && !force {
		return fmt.Errorf("restore: the target database already holds Natter's tables; restore into a new NATTER_DATA " +
			"(or an empty database), or add --force to delete what it holds first")
	}
	if !empty {
		if _, err := st.DB.ExecContext(ctx, dropPublic); err != nil {
			return fmt.Errorf("restore: empty the target: %w", err)
		}
	}
	if err := backup.Restore(ctx, t, dump); err != nil {
		return err
	}
	// A backup from an older Natter is brought up to this one's schema.
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("restore: migrate: %w", err)
	}
	rep := restoreReport{File: file, Schema: meta.Schema}
	if err := st.DB.NewRaw(`SELECT (SELECT count(*) FROM users) AS users,
		(SELECT count(*) FROM conversations) AS conversations, (SELECT count(*) FROM messages) AS messages`).Scan(ctx, &rep); err != nil {
		return fmt.Errorf("restore: count: %w", err)
	}
	return a.print(c, rep, func(w io.Writer) {
		fmt.Fprintf(w, "restored %s (made %s, schema %s): %d users, %d conversations, %d messages\n",
			filepath.Base(file), when(meta.CreatedAt), meta.Schema, rep.Users, rep.Conversations, rep.Messages)
	})
}

// dropPublic empties the public schema of the target for restore --force:
// every table (with its indexes and serial sequences), view, sequence,
// routine and type in it. Natter's role owns them all and can drop them
// without being a superuser. Unlike DROP OWNED, it leaves the role's
// privileges on the database itself alone, and unlike dropping the schema
// it needs no right on the schema beyond using it.
const dropPublic = `DO $$
DECLARE
	stmt text;
	-- Every statement is worded before the first runs: a CASCADE drops
	-- sequences and types later rows name.
	stmts text[] := ARRAY(
		SELECT format('DROP %s IF EXISTS %s CASCADE',
			CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
				WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, c.oid::regclass)
		FROM pg_class c
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
		ORDER BY c.relkind IN ('r', 'p') DESC
	) || ARRAY(
		SELECT format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure)
		FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
			-- An extension's own routines (btree_gin's, for the search
			-- index) go only with it; the dump recreates it IF NOT EXISTS.
			AND NOT EXISTS (SELECT 1 FROM pg_depend d
				WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
	) || ARRAY(
		SELECT format('DROP %s IF EXISTS %s CASCADE', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype)
		FROM pg_type t LEFT JOIN pg_class c ON c.oid = t.typrelid
		WHERE t.typnamespace = 'public'::regnamespace AND (t.typtype IN ('e', 'r', 'd') OR (t.typtype = 'c' AND c.relkind = 'c'))
			AND NOT EXISTS (SELECT 1 FROM pg_depend d
				WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
	);
BEGIN
	FOREACH stmt IN ARRAY stmts LOOP
		EXECUTE stmt;
	END LOOP;
END $$`

// quietLog is the logger of admin commands: warnings and errors only, on
// standard error.
func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// lastBackup describes the newest backup file in dir for `admin stats`.
type lastBackup struct {
	Dir    string     `json:"dir"`
	Count  int        `json:"count"`
	Newest string     `json:"newest,omitempty"`
	At     *time.Time `json:"at,omitempty"`
}

// backupsIn summarises the backup files in dir.
func backupsIn(dir string) lastBackup {
	files := backupFiles(dir)
	lb := lastBackup{Dir: dir, Count: len(files)}
	if len(files) > 0 {
		lb.Newest = files[len(files)-1]
		if m, err := backup.ReadMeta(lb.Newest); err == nil {
			at := m.CreatedAt
			lb.At = &at
		}
	}
	return lb
}
