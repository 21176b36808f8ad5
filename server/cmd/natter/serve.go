package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"natter/server/chat"
	"natter/server/hub"
	"natter/server/password"
	"natter/server/pgbroker"
	"natter/server/push"
	"natter/server/resume"
	"natter/server/web"
	"natter/shared"
)

func serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the Natter server (migrates the database first)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			return serve(cfg)
		},
	}
}

func serve(cfg config) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	applyMemoryLimit(log)
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	if cfg.DatabaseURL == "" {
		release, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return err
		}
		defer release()
	}
	st, target, stop, err := openTarget(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer stop()
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cfg.BackupEvery > 0 {
		go runBackups(ctx, cfg, st, target, log, nil)
	}
	keys, err := resume.LoadKeyRing(ctx, st, time.Now())
	if err != nil {
		return err
	}
	go resume.KeepKeyRingFresh(ctx, st, keys, time.Hour, func(err error) { log.Error("resume keys", "err", err) })
	if cfg.CleanupEvery > 0 {
		go runCleanup(ctx, st, cfg.Cleanup, cleanupDelay, cfg.CleanupEvery, log)
	}
	// Events travel through PostgreSQL LISTEN/NOTIFY (or NATS, with
	// NATTER_NATS_URL), so nodes sharing a database deliver each other's
	// events; the admin CLI always reaches running servers through
	// PostgreSQL. On one node it costs one NOTIFY per committed batch.
	bs, err := newBrokers(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	broker := bs.pg
	h := hub.New(hub.Options{Logger: log, NodeID: cfg.NodeID, Broker: bs.hub})
	defer h.Close() // also closes the brokers and removes this node's heartbeat
	bs.live.Store(h)
	broker.OnControl(pgbroker.Apply(h))
	if err := broker.Heartbeat(ctx, cfg.NodeID, func() int { return h.Stats().Connections }); err != nil {
		return err
	}
	limits, err := loadLimits(cfg)
	if err != nil {
		return err
	}
	password.SetConcurrency(cfg.Argon2Concurrency)
	var pushCfg *push.Config
	if cfg.PushContact != "off" {
		if _, err := push.LoadKeys(ctx, st); err != nil { // made on first start, kept in the database
			return err
		}
		pushCfg = &push.Config{Subject: cfg.PushContact}
	}
	srv := web.New(web.Config{
		Push:          pushCfg,
		WebDir:        cfg.WebDir,
		SecureCookies: cfg.Secure,
		Chat:          chat.Config{BodyMax: cfg.BodyMax, TokenKeys: keys, Limits: limits},
		ExtraMetrics: func(w io.Writer) {
			fmt.Fprintf(w, "# TYPE natter_broker_forged_total counter\nnatter_broker_forged_total %d\n", broker.Forged())
			if nb, ok := bs.hub.(natsWithControls); ok {
				fmt.Fprintf(w, "# TYPE natter_nats_watched_users gauge\nnatter_nats_watched_users %d\n", nb.Watched())
			}
		},
		Revoked: func(ctx context.Context, sessionIDs []int64, reason string) error {
			cs := make([]pgbroker.Control, len(sessionIDs))
			for i, id := range sessionIDs {
				cs[i] = pgbroker.Control{Kind: pgbroker.KindDisconnectSession, SessionID: id, Reason: reason}
			}
			return pgbroker.Notify(ctx, st.DB, cs...)
		},
		Signup:         cfg.Signup,
		TrustedProxies: cfg.TrustedProxies,
		RegisterLimit:  cfg.RegisterLimit,
		RegisterWindow: cfg.RegisterWindow,
	}, st, h, log)

	if cfg.PprofAddr != "" {
		// Profiling stays on its own listener (loopback in practice), never
		// on the public one.
		go func() {
			log.Info("pprof listening", "addr", cfg.PprofAddr)
			if err := http.ListenAndServe(cfg.PprofAddr, pprofMux()); err != nil {
				log.Error("pprof", "err", err)
			}
		}()
	}
	if cfg.MetricsAddr != "" {
		// Metrics, like pprof, stay off the public listener: bind this one
		// to loopback or a private network for the scraper.
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s (NATTER_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		m := http.NewServeMux()
		m.Handle("GET "+shared.PathMetrics, srv.MetricsHandler())
		ms := web.NewHTTPServer(m)
		defer ms.Close()
		log.Info("metrics listening", "addr", mln.Addr().String())
		go func() {
			if err := ms.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics", "err", err)
			}
		}()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (set NATTER_ADDR to change it): %w", cfg.Addr, err)
	}
	httpSrv := web.NewHTTPServer(srv)
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	fmt.Printf("Natter is running at http://%s/  (press Ctrl+C to stop)\n", displayAddr(ln.Addr().String()))

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Close() // ends WebSockets; Shutdown does not wait for hijacked connections
	_ = httpSrv.Shutdown(shutdownCtx)
	return nil
}

func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if host == "127.0.0.1" || host == "::1" || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func pprofMux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return m
}
