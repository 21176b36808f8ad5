// Command natterbench is Natter's load generator. It boots a private
// PostgreSQL, seeds users, sessions and conversations straight through the
// store, runs `natter serve` as a separate process on loopback, and drives
// it over real WebSockets:
//
//   - fanout: one conversation of 1,000 connected members; messages at
//     10/s, at 100/s and as fast as the windows allow; latency from send to
//     every receiver, deliveries per second, and checks that every acked
//     message was committed and reached every receiver exactly once, in order;
//   - limit: the same saturated fan-out against a minimal broadcast hub
//     (natterbench re-executed as one), for scale;
//   - ingest: 1,000 connections each sending into its own conversation;
//     rows committed per second, counted in the database;
//   - memory: 10,000 idle authenticated connections; the server's RSS
//     growth per connection.
//
// It prints a markdown report on stdout (progress goes to stderr). It is run
// by `./build.sh bench` and documented in docs/BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	scenarios       string
	duration        time.Duration
	members         int
	rates           string
	maxSenders      int
	pacedSenders    int
	window          int
	deliveryWindow  int
	ingestConns     int
	ingestWindow    int
	idleConns       int
	bodyBytes       int
	actionRate      float64
	actionBurst     int
	dialConcurrency int
	drainTimeout    time.Duration
	settle          time.Duration
	repo            string
	natterBin       string
	nodes           int    // cluster scenario: servers
	against         string // paired mode: the older binary
	rounds          int
	perfDir         string
	keep            bool
}

func parseFlags() *options {
	o := &options{}
	flag.StringVar(&o.scenarios, "scenarios", "fanout,limit,cluster,ingest,memory", "comma-separated scenarios to run: fanout, limit, cluster, ingest, memory")
	flag.IntVar(&o.nodes, "nodes", 3, "cluster: natter processes; senders on the first, receivers spread over all, once over PostgreSQL NOTIFY and once over NATS")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of every timed phase")
	flag.IntVar(&o.members, "members", 1000, "members (all connected) of the fan-out conversation, at most 1000")
	flag.StringVar(&o.rates, "rates", "10,100,max", "fan-out phases: messages per second, or max for as fast as the windows allow")
	flag.IntVar(&o.maxSenders, "senders", 64, "sending connections in the saturated fan-out phase")
	flag.IntVar(&o.pacedSenders, "paced-senders", 0, "sending connections in the paced fan-out phases (0: as few as the action rate allows)")
	flag.IntVar(&o.window, "window", 64, "unacked sends allowed per sending connection")
	flag.IntVar(&o.deliveryWindow, "delivery-window", 1024, "saturated fan-out: messages allowed in flight until every receiver has them (0: only the per-sender ack window)")
	flag.IntVar(&o.ingestConns, "ingest-conns", 1000, "sending connections in the ingest scenario, each in its own conversation")
	flag.IntVar(&o.ingestWindow, "ingest-window", 4, "unacked sends per ingest connection")
	flag.IntVar(&o.idleConns, "idle-conns", 10000, "idle connections in the memory scenario")
	flag.IntVar(&o.bodyBytes, "body-bytes", 64, "length of every message body")
	flag.Float64Var(&o.actionRate, "action-rate", 50, "the server's per-connection action rate (also passed to it as NATTER_ACTION_RATE); paced phases use enough senders to stay under it")
	flag.IntVar(&o.actionBurst, "action-burst", 300, "the server's per-connection action burst (also passed as NATTER_ACTION_BURST)")
	flag.IntVar(&o.dialConcurrency, "dial-concurrency", 64, "connections opened at once")
	flag.DurationVar(&o.drainTimeout, "drain-timeout", 30*time.Second, "how long to wait for outstanding acks and deliveries after a phase")
	flag.DurationVar(&o.settle, "settle", 5*time.Second, "memory: wait after the last connection caught up before reading RSS")
	flag.StringVar(&o.repo, "repo", "", "the Natter repository (default: found from the working directory)")
	flag.StringVar(&o.natterBin, "natter", "", "a prebuilt natter binary to run (default: go build ./server/cmd/natter)")
	flag.StringVar(&o.against, "against", "", "paired mode: an older natter binary; every round runs the scenarios on it and on the new one, alternating, and a table of ratios follows")
	flag.IntVar(&o.rounds, "rounds", 2, "paired mode: how many old/new rounds")
	flag.StringVar(&o.perfDir, "perf", "", "directory for Linux perf CPU profiles of the server in the saturated phases (needs perf)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (cluster, server logs) in /tmp")
	flag.Parse()
	return o
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == baselineFlag {
		if err := serveBaseline(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	o := parseFlags()
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "natterbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "natterbench:", err)
		os.Exit(1)
	}
}

func (o *options) check() error {
	if o.against != "" {
		if st, err := os.Stat(o.against); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return fmt.Errorf("-against must name an executable natter binary: %q", o.against)
		}
		if o.rounds < 1 {
			return fmt.Errorf("-rounds must be at least 1, not %d", o.rounds)
		}
	}
	if o.members < 2 || o.members > 1000 {
		return fmt.Errorf("-members must be 2 to 1000 (a conversation's limit), not %d", o.members)
	}
	if o.duration < time.Second {
		return fmt.Errorf("-duration must be at least 1s")
	}
	if o.bodyBytes < 33 || o.bodyBytes > 4000 {
		return fmt.Errorf("-body-bytes must be 33 to 4000")
	}
	if o.window < 1 || o.ingestWindow < 1 || o.maxSenders < 1 || o.dialConcurrency < 1 {
		return fmt.Errorf("-window, -ingest-window, -senders and -dial-concurrency must be positive")
	}
	if o.perfDir != "" {
		abs, err := filepath.Abs(o.perfDir)
		if err != nil {
			return err
		}
		o.perfDir = abs
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return err
		}
	}
	_, err := o.fanPhases()
	return err
}

func (o *options) want(s string) bool {
	for _, x := range strings.Split(o.scenarios, ",") {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}

// fanPhases turns -rates into phases. A paced phase uses enough senders
// that none goes over 80% of the server's per-connection action rate.
func (o *options) fanPhases() ([]fanPhase, error) {
	var out []fanPhase
	for _, f := range strings.Split(o.rates, ",") {
		f = strings.TrimSpace(f)
		if f == "max" {
			out = append(out, fanPhase{name: "max", senders: min(o.maxSenders, o.members)})
			continue
		}
		r, err := strconv.ParseFloat(f, 64)
		if err != nil || r <= 0 {
			return nil, fmt.Errorf("-rates: %q is neither a positive rate nor max", f)
		}
		s := max(1, int(math.Ceil(r/(0.8*o.actionRate))))
		if o.pacedSenders > 0 {
			s = o.pacedSenders
		}
		out = append(out, fanPhase{name: f + "/s", rate: r, senders: min(s, o.members)})
	}
	if len(out) == 0 || len(out) > maxPhases {
		return nil, fmt.Errorf("-rates: 1 to %d phases", maxPhases)
	}
	return out, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s natterbench: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}
