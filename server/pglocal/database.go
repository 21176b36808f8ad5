package pglocal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

// Timeouts for waiting until a started server answers.
const (
	readyTimeout = 60 * time.Second
	pingTimeout  = 2 * time.Second
	pingInterval = 50 * time.Millisecond
)

// adminDB returns the pool on database "postgres" used for CREATE and DROP
// DATABASE, opening it on first use. It never connects to a template, so
// cloning one is not blocked by us.
func (c *Cluster) adminDB() *sql.DB {
	c.adminMu.Lock()
	defer c.adminMu.Unlock()
	if c.admin == nil {
		c.admin = sql.OpenDB(newConnector(c.superDSN("postgres")))
		c.admin.SetMaxOpenConns(8)
		c.admin.SetMaxIdleConns(2)
	}
	return c.admin
}

// closeAdmin closes the admin pool, if open; the next adminDB opens a new
// one (after a restart the old connections are dead anyway).
func (c *Cluster) closeAdmin() {
	c.adminMu.Lock()
	defer c.adminMu.Unlock()
	if c.admin != nil {
		_ = c.admin.Close()
		c.admin = nil
	}
}

// ping checks once that the server accepts a connection and a query.
func (c *Cluster) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return c.adminDB().PingContext(ctx)
}

// waitReady pings until the server answers. pg_ctl -w already waited for the
// postmaster to report "ready"; this confirms it through our own driver and
// socket path.
func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(pingInterval)
	defer tick.Stop()
	for {
		err := c.ping(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server does not answer on %s: %w", c.SocketPath(), err)
		case <-tick.C:
		}
	}
}

// CreateDatabase runs CREATE DATABASE name OWNER AppRole, cloning template
// when it is not empty. Without a template an existing database is not an
// error, so callers can ensure their database on every start: it is then
// given to AppRole with everything in it, which upgrades a database an older
// build made as the superuser. Cloning fails while any session is connected
// to the template.
func (c *Cluster) CreateDatabase(ctx context.Context, name, template string) error {
	if err := checkName(name); err != nil {
		return err
	}
	q := "CREATE DATABASE " + quoteIdent(name) + " OWNER " + quoteIdent(AppRole)
	if template != "" {
		if err := checkName(template); err != nil {
			return err
		}
		q += " TEMPLATE " + quoteIdent(template)
	}
	_, err := c.adminDB().ExecContext(ctx, q)
	if err != nil && template == "" && sqlState(err) == "42P04" { // duplicate_database
		return c.giveToApp(ctx, name)
	}
	if err != nil {
		return fmt.Errorf("pglocal: create database %s: %w", name, err)
	}
	return nil
}

// DropDatabase drops name if it exists, ending its sessions first
// (WITH (FORCE)), so a test that leaked a connection still cleans up.
func (c *Cluster) DropDatabase(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if _, err := c.adminDB().ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("pglocal: drop database %s: %w", name, err)
	}
	return nil
}

// Exec runs one statement on the database "postgres" as the superuser, for
// cluster-wide chores such as ALTER DATABASE. It is the only superuser access
// this package gives out; the application's DSN is AppRole's.
func (c *Cluster) Exec(ctx context.Context, query string, args ...any) error {
	if _, err := c.adminDB().ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("pglocal: exec: %w", err)
	}
	return nil
}

// checkName rejects names PostgreSQL would silently truncate (over 63 bytes)
// or that cannot be a database name.
func checkName(name string) error {
	if name == "" || len(name) > 63 || strings.ContainsRune(name, 0) {
		return fmt.Errorf("pglocal: bad database name %q (1 to 63 bytes)", name)
	}
	return nil
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// sqlState returns the SQLSTATE of a PostgreSQL error, or "".
func sqlState(err error) string {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C')
	}
	return ""
}
