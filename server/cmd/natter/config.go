package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"natter/server/pglocal"
	"natter/server/store"
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
}

func loadConfig() (config, error) {
	c := config{
		Addr:        env("NATTER_ADDR", "localhost:8080"),
		DatabaseURL: os.Getenv("DATABASE_URL"),
		DataDir:     env("NATTER_DATA", ".data"),
		WebDir:      env("NATTER_WEB", "web"),
		NodeID:      env("NATTER_NODE", hostname()),
		PprofAddr:   os.Getenv("NATTER_PPROF"),
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
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return c, fmt.Errorf("NATTER_DATA: %w", err)
	}
	c.DataDir = abs
	return c, nil
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
