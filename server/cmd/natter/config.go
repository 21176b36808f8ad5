package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"natter/server/pglocal"
	"natter/server/store"
	"natter/server/web"
	"natter/shared"
)

// config is what the environment sets; see README.md.
type config struct {
	Addr        string  // NATTER_ADDR
	DatabaseURL string  // DATABASE_URL
	DataDir     string  // NATTER_DATA
	WebDir      string  // NATTER_WEB
	BodyMax     int     // NATTER_BODY_MAX
	Secure      bool    // NATTER_SECURE_COOKIES
	NodeID      string  // NATTER_NODE
	ActionRate  float64 // NATTER_ACTION_RATE: actions per second per connection
	ActionBurst int     // NATTER_ACTION_BURST
	PprofAddr   string  // NATTER_PPROF: serve net/http/pprof here (e.g. 127.0.0.1:6060)

	// Housekeeping (see cleanup.go). Cleanup holds the retention periods:
	// NATTER_SESSION_RETENTION, NATTER_ACTION_RETENTION (at least 15 days,
	// as store.MinActionRetention explains) and NATTER_SEEN_RETENTION.
	Cleanup      store.CleanupPolicy
	CleanupEvery time.Duration // NATTER_CLEANUP_EVERY; 0 turns the scheduled job off

	Signup            string         // NATTER_SIGNUP: open, invite or closed
	TrustedProxies    []netip.Prefix // NATTER_TRUSTED_PROXIES: CIDRs allowed to set X-Forwarded-For
	Argon2Concurrency int            // NATTER_ARGON2_CONCURRENCY: password hashes at once (0: default)
	RegisterLimit     int            // NATTER_REGISTER_LIMIT "N/window": registrations per address; -1 off
	RegisterWindow    time.Duration
	MetricsAddr       string // NATTER_METRICS_ADDR: serve /metrics here (e.g. 127.0.0.1:9090)
	NATSURL           string // NATTER_NATS_URL: carry events between nodes over NATS instead of NOTIFY
	PushContact       string // NATTER_PUSH_CONTACT: the VAPID subject (mailto: or https: URL); "off" disables Web Push

	BackupEvery time.Duration // NATTER_BACKUP_EVERY: scheduled backups (see backups.go); 0 off
	BackupKeep  int           // NATTER_BACKUP_KEEP: scheduled backups kept
}

func loadConfig() (config, error) {
	c := config{
		Addr:        env("NATTER_ADDR", "localhost:8080"),
		DatabaseURL: os.Getenv("DATABASE_URL"),
		DataDir:     env("NATTER_DATA", ".data"),
		WebDir:      env("NATTER_WEB", "web"),
		NodeID:      env("NATTER_NODE", hostname()),
		PprofAddr:   os.Getenv("NATTER_PPROF"),
		NATSURL:     os.Getenv("NATTER_NATS_URL"),
	}
	if v := os.Getenv("NATTER_BODY_MAX"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100_000 {
			return c, fmt.Errorf("NATTER_BODY_MAX must be a number of characters from 1 to 100000, not %q", v)
		}
		c.BodyMax = n
	}
	if v := os.Getenv("NATTER_ACTION_RATE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return c, fmt.Errorf("NATTER_ACTION_RATE must be a positive number of actions per second, not %q", v)
		}
		c.ActionRate = f
	}
	if v := os.Getenv("NATTER_ACTION_BURST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, fmt.Errorf("NATTER_ACTION_BURST must be a positive whole number, not %q", v)
		}
		c.ActionBurst = n
	}
	c.Secure = os.Getenv("NATTER_SECURE_COOKIES") == "1" || os.Getenv("NATTER_SECURE_COOKIES") == "true"
	if err := loadCleanupConfig(&c); err != nil {
		return c, err
	}
	if err := c.loadAccounts(); err != nil {
		return c, err
	}
	if err := loadBackupConfig(&c); err != nil {
		return c, err
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return c, fmt.Errorf("NATTER_DATA: %w", err)
	}
	c.DataDir = abs
	return c, nil
}

// loadAccounts reads the settings of sign-up, sign-in and the HTTP edge.
func (c *config) loadAccounts() error {
	c.Signup = env("NATTER_SIGNUP", shared.SignupOpen)
	switch c.Signup {
	case shared.SignupOpen, shared.SignupInvite, shared.SignupClosed:
	default:
		return fmt.Errorf("NATTER_SIGNUP must be open, invite or closed, not %q", c.Signup)
	}
	var err error
	if c.TrustedProxies, err = web.ParseTrustedProxies(os.Getenv("NATTER_TRUSTED_PROXIES")); err != nil {
		return fmt.Errorf("NATTER_TRUSTED_PROXIES: %w", err)
	}
	if v := os.Getenv("NATTER_ARGON2_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("NATTER_ARGON2_CONCURRENCY must be a whole number from 1 to 1024 (each run holds 19 MiB), not %q", v)
		}
		c.Argon2Concurrency = n
	}
	if c.RegisterLimit, c.RegisterWindow, err = parseRegisterLimit(os.Getenv("NATTER_REGISTER_LIMIT")); err != nil {
		return err
	}
	c.MetricsAddr = os.Getenv("NATTER_METRICS_ADDR")
	c.PushContact = env("NATTER_PUSH_CONTACT", "mailto:natter@localhost")
	if c.PushContact != "off" && !strings.HasPrefix(c.PushContact, "mailto:") && !strings.HasPrefix(c.PushContact, "https://") {
		return fmt.Errorf("NATTER_PUSH_CONTACT must be a mailto: or https:// URL (push services use it to reach you), or off, not %q", c.PushContact)
	}
	return nil
}

// parseRegisterLimit reads NATTER_REGISTER_LIMIT: "N/window" such as
// "10/1h" (N registrations per client address per window), or "off".
// Empty means the server's default (0, 0).
func parseRegisterLimit(v string) (int, time.Duration, error) {
	v = strings.TrimSpace(v)
	switch v {
	case "":
		return 0, 0, nil
	case "off":
		return -1, 0, nil
	}
	bad := fmt.Errorf(`NATTER_REGISTER_LIMIT must be "N/window" such as "10/1h", or "off", not %q`, v)
	ns, ws, ok := strings.Cut(v, "/")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 1 {
		return 0, 0, bad
	}
	w, err := time.ParseDuration(ws)
	if err != nil || w <= 0 {
		return 0, 0, bad
	}
	return n, w, nil
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func hostname() string {
	h, _ := os.Hostname()
	if h == "" {
		return "node"
	}
	return h
}

// openStore connects to DATABASE_URL or, without it, boots the private
// cluster under the data directory. stop releases both.
func openStore(ctx context.Context, c config, log *slog.Logger) (st *store.Store, stop func(), err error) {
	dsn := c.DatabaseURL
	var cluster *pglocal.Cluster
	if dsn == "" {
		cluster, err = pglocal.Start(ctx, pglocal.Options{Dir: filepath.Join(c.DataDir, "postgres"), Logger: log})
		if err != nil {
			return nil, nil, fmt.Errorf("start the embedded PostgreSQL: %w", err)
		}
		if err := cluster.CreateDatabase(ctx, "natter", ""); err != nil {
			cluster.Stop()
			return nil, nil, fmt.Errorf("create database: %w", err)
		}
		dsn = cluster.DSN("natter")
		log.Info("embedded PostgreSQL running", "dir", cluster.Dir())
	}
	st, err = store.Open(dsn)
	if err != nil {
		if cluster != nil {
			cluster.Stop()
		}
		return nil, nil, err
	}
	stop = func() {
		st.Close()
		if cluster != nil {
			if err := cluster.Stop(); err != nil {
				log.Error("stop embedded PostgreSQL", "err", err)
			}
		}
	}
	return st, stop, nil
}

// loadCleanupConfig reads the housekeeping settings. The action retention
// is checked here, so a server never starts with a value that would let a
// late replay run twice.
func loadCleanupConfig(c *config) error {
	c.Cleanup = store.CleanupPolicy{
		SessionGrace:    store.DefaultSessionGrace,
		ActionRetention: store.DefaultActionRetention,
		SeenRetention:   store.DefaultSeenRetention,
	}
	c.CleanupEvery = time.Hour
	for _, d := range []struct {
		key  string
		dst  *time.Duration
		min  time.Duration
		zero bool // 0 is allowed
	}{
		{"NATTER_SESSION_RETENTION", &c.Cleanup.SessionGrace, time.Hour, false},
		{"NATTER_ACTION_RETENTION", &c.Cleanup.ActionRetention, store.MinActionRetention, false},
		{"NATTER_SEEN_RETENTION", &c.Cleanup.SeenRetention, 24 * time.Hour, false},
		{"NATTER_CLEANUP_EVERY", &c.CleanupEvery, time.Minute, true},
	} {
		v := os.Getenv(d.key)
		if v == "" {
			continue
		}
		n, err := parseDuration(v)
		switch {
		case err != nil:
			return fmt.Errorf("%s must be a duration such as 30d or 12h, not %q", d.key, v)
		case n == 0 && d.zero:
		case d.key == "NATTER_ACTION_RETENTION" && n < d.min:
			return fmt.Errorf("NATTER_ACTION_RETENTION must be at least 15d, not %q: browsers replay queued actions for up to 14 days, and a replay must still find its first result", v)
		case n < d.min:
			return fmt.Errorf("%s must be at least %v, not %q", d.key, d.min, v)
		}
		*d.dst = n
	}
	return c.Cleanup.Validate()
}

// parseDuration reads a Go duration ("12h", "90m") or a whole number of
// days ("30d"), which is how retention periods are usually said.
func parseDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad number of days %q", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q", v)
	}
	return d, nil
}
