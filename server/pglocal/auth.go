package pglocal

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// AppRole is the role the application connects as (DSN). It owns the
// databases CreateDatabase makes, so migrations, which the application runs
// itself, can create and alter tables; it is not a superuser and can create
// neither roles nor databases, so an SQL injection or a stolen connection
// cannot read server files, run programs (COPY ... TO PROGRAM) or reach
// other roles' data.
const AppRole = "natter"

// Files in the cluster directory holding the generated passwords, mode
// 0600. The superuser's is only used by this package, for setup (CREATE
// DATABASE, roles, ownership); the application gets the app role's.
const (
	superSecretFile = "natter-superuser.password"
	appSecretFile   = "natter-app.password"
)

// hbaConf is the client authentication file of every cluster: password
// (SCRAM) authentication on the private socket only. The socket directory
// is mode 0700 as well, but a password stops a process that shares the
// server's OS account (Debian's postgres user, say) from connecting as
// the superuser without it.
const hbaConf = "# Written by natter: only the private unix socket, and only with a password.\n" +
	"local all all scram-sha-256\n"

// newSecret returns a fresh random password: 32 bytes, hex-encoded, so it
// never needs quoting.
func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("pglocal: generate password: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// readSecret returns the password stored in file name of dir, or "" when
// the file does not exist.
func readSecret(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("pglocal: read %s: %w", name, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("pglocal: %s is empty", filepath.Join(dir, name))
	}
	return s, nil
}

// secretFor returns the password in file name of dir, generating and
// storing one first when there is none.
func secretFor(dir, name string, a *account) (string, error) {
	s, err := readSecret(dir, name)
	if err != nil || s != "" {
		return s, err
	}
	if s, err = newSecret(); err != nil {
		return "", err
	}
	if err := writeOwned(filepath.Join(dir, name), []byte(s+"\n"), a); err != nil {
		return "", err
	}
	return s, nil
}

// writePwfile writes the superuser password for initdb --pwfile next to
// dir (initdb wants an empty directory), readable only by a, and returns
// its path; the caller removes it.
func writePwfile(dir, password string, a *account) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".pwfile-*")
	if err != nil {
		return "", fmt.Errorf("pglocal: initdb password file: %w", err)
	}
	_, err = f.WriteString(password + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = a.chown(f.Name())
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("pglocal: initdb password file: %w", err)
	}
	return f.Name(), nil
}

// hbaTrusts reports whether the cluster's pg_hba.conf still lets clients in
// without a password, as the builds before AppRole wrote it. Such a cluster
// is upgraded in place at start (see Start).
func hbaTrusts(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, hbaFile))
	if err != nil {
		return false
	}
	for line := range bytes.Lines(b) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' && bytes.Contains(line, []byte("trust")) {
			return true
		}
	}
	return false
}

// requirePasswords replaces a trusting pg_hba.conf with hbaConf and makes
// the running server read it; sessions already open stay open.
func (c *Cluster) requirePasswords(ctx context.Context) error {
	if err := writeOwned(filepath.Join(c.dir, hbaFile), []byte(hbaConf), c.acct); err != nil {
		return err
	}
	if _, err := c.adminDB().ExecContext(ctx, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("pglocal: reload config: %w", err)
	}
	return nil
}

// ensureRoles sets the superuser's password (a no-op after initdb set it,
// needed once on a cluster made by an older build) and creates or fixes the
// application role. ALTER ROLE runs every time, so a natter role found with
// more rights than it should have loses them.
func (c *Cluster) ensureRoles(ctx context.Context) error {
	stmts := []string{
		"ALTER ROLE " + quoteIdent(serverUser) + " PASSWORD " + quoteLiteral(c.superPW),
		// CREATE ROLE has no IF NOT EXISTS; two starts at once must both pass.
		"DO $$ BEGIN CREATE ROLE " + quoteIdent(AppRole) + "; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
		"ALTER ROLE " + quoteIdent(AppRole) + " WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD " + quoteLiteral(c.appPW),
	}
	for _, q := range stmts {
		if _, err := c.adminDB().ExecContext(ctx, q); err != nil {
			return fmt.Errorf("pglocal: set up roles: %s: %w", strings.SplitN(q, " PASSWORD", 2)[0], err)
		}
	}
	return nil
}

// giveToApp makes AppRole the owner of the existing database name and of
// everything in its public schema, so a database made by an older build
// (owned by the superuser) keeps working when the application connects as
// AppRole. REASSIGN OWNED BY postgres is refused for the bootstrap
// superuser, whose objects include the system catalogs, so each object is
// altered instead. Tables go first: that carries their indexes and the
// sequences of their serial and identity columns, which cannot be altered
// on their own. It is idempotent and cheap when there is nothing to move.
func (c *Cluster) giveToApp(ctx context.Context, name string) error {
	if _, err := c.adminDB().ExecContext(ctx, "ALTER DATABASE "+quoteIdent(name)+" OWNER TO "+quoteIdent(AppRole)); err != nil {
		return fmt.Errorf("pglocal: give database %s to %s: %w", name, AppRole, err)
	}
	db := sql.OpenDB(newConnector(c.superDSN(name)))
	defer db.Close()
	if _, err := db.ExecContext(ctx, fmt.Sprintf(giveObjects, quoteLiteral(AppRole))); err != nil {
		return fmt.Errorf("pglocal: give objects of %s to %s: %w", name, AppRole, err)
	}
	return nil
}

// giveObjects moves the public schema's objects to the role %[1]s (an SQL
// literal). The schema itself belongs to pg_database_owner since
// PostgreSQL 15, which follows the database; older clusters' public schema
// belongs to the superuser and moves too.
const giveObjects = `DO $$
DECLARE
	app regrole := to_regrole(%[1]s);
	r record;
BEGIN
	IF (SELECT nspowner FROM pg_namespace WHERE nspname = 'public') NOT IN (app, coalesce(to_regrole('pg_database_owner'), app)) THEN
		EXECUTE format('ALTER SCHEMA public OWNER TO %%I', app);
	END IF;
	FOR r IN SELECT c.oid::regclass AS obj, c.relkind FROM pg_class c
		WHERE c.relnamespace = 'public'::regnamespace AND c.relowner <> app AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
	LOOP
		EXECUTE format('ALTER %%s %%s OWNER TO %%I',
			CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
			r.obj, app);
	END LOOP;
	FOR r IN SELECT c.oid::regclass AS obj FROM pg_class c
		WHERE c.relnamespace = 'public'::regnamespace AND c.relowner <> app AND c.relkind = 'S'
	LOOP
		EXECUTE format('ALTER SEQUENCE %%s OWNER TO %%I', r.obj, app);
	END LOOP;
	FOR r IN SELECT t.oid::regtype AS obj, t.typtype FROM pg_type t
		LEFT JOIN pg_class c ON c.oid = t.typrelid
		WHERE t.typnamespace = 'public'::regnamespace AND t.typowner <> app
			AND (t.typtype IN ('e', 'r', 'd') OR (t.typtype = 'c' AND c.relkind = 'c'))
	LOOP
		EXECUTE format('ALTER %%s %%s OWNER TO %%I', CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, r.obj, app);
	END LOOP;
	FOR r IN SELECT p.oid::regprocedure AS obj FROM pg_proc p
		WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> app AND p.prokind <> 'a'
	LOOP
		EXECUTE format('ALTER ROUTINE %%s OWNER TO %%I', r.obj, app);
	END LOOP;
END $$`

// quoteLiteral quotes an SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
