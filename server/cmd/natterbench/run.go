package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"natter/server/pglocal"
)

// run sets everything up, runs the chosen scenarios (each bounded in time,
// each against a fresh server process) and prints the report. A scenario
// that fails is reported as failed; the others still run.
func run(ctx context.Context, o *options) error {
	repo := o.repo
	if repo == "" {
		var err error
		if repo, err = findRepo(); err != nil {
			return err
		}
	}
	nofile, err := raiseFileLimit(uint64(o.idleConns + o.ingestConns + o.members + 4096))
	if err != nil {
		logf("raise RLIMIT_NOFILE: %v (now %d)", err, nofile)
	}
	pgBin, _ := pglocal.FindBinaries()
	rep := &report{
		opts:    o,
		started: time.Now().UTC(),
		machine: machineInfo(pgBin),
		command: "go run ./server/cmd/natterbench" + argString(os.Args[1:]),
		nofile:  nofile,
	}
	logf("machine: %s", rep.machine)
	root, err := workDir()
	if err != nil {
		return err
	}
	if o.keep {
		logf("work directory (kept): %s", root)
	} else {
		defer os.RemoveAll(root)
	}

	var db *database
	var seeds seeded
	if o.want("fanout") || o.want("cluster") || o.want("ingest") || o.want("memory") {
		logf("starting PostgreSQL in %s", root)
		if db, err = startDatabase(ctx, root); err != nil {
			return err
		}
		defer db.stop()
		bin := o.natterBin
		if bin == "" {
			bin = filepath.Join(root, "natter")
			logf("building the server")
			if err := buildNatter(ctx, repo, bin); err != nil {
				return err
			}
		}
		t := time.Now()
		if seeds, err = seed(ctx, o, db); err != nil {
			return err
		}
		logf("seeded in %s", time.Since(t).Round(time.Millisecond))
		rep.natterBin = bin
	}

	if o.against != "" {
		return runPaired(ctx, o, rep, func(bin string) *report {
			r := *rep
			r.natterBin = bin
			runScenarios(ctx, o, &r, db, seeds, root, repo)
			return &r
		})
	}
	runScenarios(ctx, o, rep, db, seeds, root, repo)
	rep.print(os.Stdout)
	return ctx.Err()
}

// runScenarios runs the chosen scenarios against rep.natterBin, each with a
// fresh server process, and fills rep with their results.
func runScenarios(ctx context.Context, o *options, rep *report, db *database, seeds seeded, root, repo string) {
	startNatter := func(ctx context.Context, name string, extra ...string) (*server, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		// natter serves /metrics only on its own listener.
		metricsAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		env := append(natterEnv(o, db.dsn, addr, root, repo), "NATTER_METRICS_ADDR="+metricsAddr, "NATTER_NODE="+name)
		env = append(env, extra...)
		srv, err := startServer(ctx, name, root, rep.natterBin, addr, []string{"serve"}, env)
		if err != nil {
			return nil, err
		}
		srv.metricsAddr = metricsAddr
		return srv, nil
	}
	phases, _ := o.fanPhases()
	perPhase := o.duration + 2*o.drainTimeout + 5*time.Second
	if o.want("fanout") {
		rep.fanErr = scenario(ctx, 5*time.Minute+time.Duration(len(phases))*perPhase, func(ctx context.Context) error {
			srv, err := startNatter(ctx, "natter-fanout")
			if err != nil {
				return err
			}
			defer srv.stop()
			rep.fan, err = runFanout(ctx, o, fanTarget{name: "natter", srv: srv, hello: true,
				tokens: tokens(seeds.fan), conv: seeds.fanConv, db: db, pgDir: db.cluster.Dir()}, len(seeds.fan), phases)
			return err
		})
	}
	if o.want("cluster") {
		for _, broker := range []string{"postgres", "nats"} {
			err := scenario(ctx, 5*time.Minute+time.Duration(len(phases))*perPhase, func(ctx context.Context) error {
				var extra []string
				if broker == "nats" {
					url, stop, err := startNATS()
					if err != nil {
						return err
					}
					defer stop()
					extra = append(extra, "NATTER_NATS_URL="+url)
				}
				var nodes []*server
				defer func() {
					for _, n := range nodes {
						n.stop()
					}
				}()
				for k := range max(o.nodes, 1) {
					srv, err := startNatter(ctx, fmt.Sprintf("natter-%s-%d", broker, k+1), extra...)
					if err != nil {
						return err
					}
					nodes = append(nodes, srv)
				}
				res, err := runFanout(ctx, o, fanTarget{name: fmt.Sprintf("%d nodes, %s", len(nodes), broker), srv: nodes[0], nodes: nodes[1:],
					hello: true, tokens: tokens(seeds.fan), conv: seeds.fanConv, db: db, pgDir: db.cluster.Dir()}, len(seeds.fan), phases)
				if res != nil {
					rep.cluster = append(rep.cluster, res)
				}
				return err
			})
			if err != nil {
				rep.clusterErrs = append(rep.clusterErrs, fmt.Errorf("%s: %w", broker, err))
			}
		}
	}
	if o.want("limit") {
		rep.limitErr = scenario(ctx, 3*time.Minute+perPhase, func(ctx context.Context) error {
			self, err := os.Executable()
			if err != nil {
				return err
			}
			addr, err := freeAddr()
			if err != nil {
				return err
			}
			srv, err := startServer(ctx, "baseline-hub", root, self, addr, []string{baselineFlag, addr}, os.Environ())
			if err != nil {
				return err
			}
			defer srv.stop()
			rep.limit, err = runFanout(ctx, o, fanTarget{name: "baseline", srv: srv},
				o.members, []fanPhase{{name: "max", senders: min(o.maxSenders, o.members)}})
			return err
		})
	}
	if o.want("ingest") {
		rep.ingestErr = scenario(ctx, 5*time.Minute+perPhase, func(ctx context.Context) error {
			srv, err := startNatter(ctx, "natter-ingest")
			if err != nil {
				return err
			}
			defer srv.stop()
			senders := make([]account, len(seeds.ingestConvs))
			for i := range senders {
				senders[i] = seeds.ingest[2*i]
			}
			rep.ingest, err = runIngest(ctx, o, srv, db, senders, seeds.ingestConvs)
			return err
		})
	}
	if o.want("memory") {
		rep.memErr = scenario(ctx, 10*time.Minute, func(ctx context.Context) error {
			srv, err := startNatter(ctx, "natter-memory")
			if err != nil {
				return err
			}
			defer srv.stop()
			rep.mem, err = runMemory(ctx, o, srv, seeds.idle)
			return err
		})
	}
}

// scenario runs fn with a deadline and logs its failure.
func scenario(ctx context.Context, bound time.Duration, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	err := fn(ctx)
	if err != nil {
		logf("scenario failed: %v", err)
	}
	return err
}

// seeded is what the scenarios need from the database.
type seeded struct {
	fan         []account
	fanConv     string
	ingest      []account // pairs: 2i sends, 2i+1 is the other member
	ingestConvs []string
	idle        []account
}

// seed makes every account and conversation the chosen scenarios need, each
// scenario with accounts of its own.
func seed(ctx context.Context, o *options, db *database) (seeded, error) {
	var s seeded
	sd, err := newSeeder(db.st)
	if err != nil {
		return s, err
	}
	if o.want("fanout") {
		logf("seeding %d fan-out members", o.members)
		if s.fan, err = sd.accounts(ctx, o.members); err != nil {
			return s, err
		}
		if s.fanConv, err = sd.group(ctx, "natterbench fan-out", s.fan); err != nil {
			return s, err
		}
	}
	if o.want("ingest") {
		logf("seeding %d ingest pairs", o.ingestConns)
		if s.ingest, err = sd.accounts(ctx, 2*o.ingestConns); err != nil {
			return s, err
		}
		if s.ingestConvs, err = sd.pairs(ctx, s.ingest); err != nil {
			return s, err
		}
	}
	if o.want("memory") {
		logf("seeding %d idle accounts", o.idleConns)
		if s.idle, err = sd.accounts(ctx, o.idleConns); err != nil {
			return s, err
		}
	}
	return s, nil
}

func tokens(as []account) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.token
	}
	return out
}

// natterEnv is the server's environment: ours without any NATTER_ setting,
// plus the cluster, a loopback address, and gctrace for the heap figures
// (after our own GODEBUG settings, so a run can try runtime settings;
// GOGC and GOMEMLIMIT pass through as they are).
func natterEnv(o *options, dsn, addr, root, repo string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if (strings.HasPrefix(k, "NATTER_") && k != "NATTER_PPROF") || k == "DATABASE_URL" || k == "GODEBUG" {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"DATABASE_URL="+dsn,
		"NATTER_ADDR="+addr,
		"NATTER_WEB="+filepath.Join(repo, "web"),
		"NATTER_DATA="+filepath.Join(root, "data"),
		"NATTER_ACTION_RATE="+strconv.FormatFloat(o.actionRate, 'f', -1, 64),
		"NATTER_ACTION_BURST="+strconv.Itoa(o.actionBurst),
		// The load generator shares a few accounts over many connections:
		// per-user budgets and quotas would measure themselves, not the
		// server, so they are lifted far out of the way.
		"NATTER_USER_ACTION_RATE="+strconv.FormatFloat(o.actionRate*10_000, 'f', -1, 64),
		"NATTER_USER_ACTION_BURST="+strconv.Itoa(o.actionBurst*10_000),
		"NATTER_CONNS_PER_USER=100000",
		"NATTER_OPENS_PER_MINUTE=1000000",
		"NATTER_CREATES_PER_HOUR=1000000",
		"NATTER_ADDS_PER_HOUR=100000000",
		"GODEBUG="+strings.TrimPrefix(os.Getenv("GODEBUG")+",gctrace=1", ","),
	)
}

// findRepo walks up from the working directory to natter's go.mod.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module natter\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("natterbench: not inside the natter repository; pass -repo")
		}
		dir = parent
	}
}

func argString(args []string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteByte(' ')
		if strings.ContainsAny(a, " \t'\"$") {
			b.WriteString(strconv.Quote(a))
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}
