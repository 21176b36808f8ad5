package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Targets from issue 11 (fan-out and memory; ingest from issue 3).
const (
	targetP99At10         = 20 * time.Millisecond
	targetP99At100        = 50 * time.Millisecond
	targetPerCPUAt100     = 150_000 // deliveries per server CPU-second at 100 msg/s
	targetOverBaseline    = 2.0     // saturated fan-out ÷ the minimal hub's, same run
	targetPerCPUSaturated = 500_000 // deliveries per server CPU-second, saturated
	targetIngest          = 50_000  // committed messages/s (issue 3)
	targetIngestHere      = 20_000  // committed messages/s on this 2-core machine (issue 11)
	targetIngestCPU       = 160.0   // µs of server + PostgreSQL CPU per message: 50,000/s on 8 cores (issue 11)
	targetIdleKiB         = 20.0    // KiB per idle connection
)

// report gathers every scenario's result for the markdown output.
type report struct {
	opts      *options
	started   time.Time
	machine   string
	command   string
	nofile    uint64
	natterBin string

	fan, limit                          *fanResult
	cluster                             []*fanResult // one per broker
	clusterErrs                         []error
	ingest                              *ingestResult
	mem                                 *memResult
	fanErr, limitErr, ingestErr, memErr error
}

func (r *report) print(w io.Writer) {
	line(w, "### natterbench, %s", r.started.Format("2006-01-02 15:04 UTC"))
	line(w, "")
	line(w, "- Command: `%s`", r.command)
	line(w, "- Machine: %s", r.machine)
	line(w, "- PostgreSQL, `natter serve`, the baseline hub and natterbench's clients all share this machine;")
	line(w, "  the CPU columns below say who used the cores (1.00 = one core).")
	line(w, "")
	line(w, "| scenario | figure | target | met? |")
	line(w, "| --- | --- | --- | --- |")
	r.summary(w)
	if r.fan != nil || r.limit != nil || len(r.cluster) > 0 {
		line(w, "")
		line(w, "Fan-out phases (%s each; latency is send → receipt, over every delivery):", r.opts.duration)
		line(w, "")
		line(w, "| server | phase | senders | acked | errors | deliveries/s | per server CPU-s | p50 | p90 | p99 | max | ack p50 / p99 | live receivers | server CPU | PostgreSQL CPU | natterbench CPU | machine busy | msgs/commit | mean commit | envelopes/frame |")
		line(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
		if len(r.cluster) > 0 {
			line(w, "(Cluster rows: senders on the first node, receivers spread over every node; server CPU, per server CPU-s and the commit columns are the first node's.)")
			line(w, "")
		}
		for _, f := range append([]*fanResult{r.fan, r.limit}, r.cluster...) {
			if f == nil {
				continue
			}
			for _, ph := range f.phases {
				line(w, "| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s / %s | %d/%d | %.2f | %.2f | %.2f | %.0f%% | %s | %s | %s |",
					f.target, ph.name, ph.senders, ph.acks, errString(ph.errs, ph.unanswered), num(ph.deliveriesPerSec()), num(ph.perServerCore()),
					ms(ph.lat.quantile(0.5)), ms(ph.lat.quantile(0.9)), ms(ph.lat.quantile(0.99)), ms(ph.lat.maxDur()),
					ms(ph.ack.quantile(0.5)), ms(ph.ack.quantile(0.99)), ph.receivers, f.members,
					ph.cpu.server, ph.cpu.pg, ph.cpu.self, 100*ph.cpu.machine,
					ratio(ph.metrics, "natter_messages_committed_total", "natter_commit_seconds_count"), meanCommit(ph.metrics),
					ratio(ph.metrics, "natter_hub_delivered_total", "natter_hub_frames_total"))
			}
		}
	}
	if g := r.ingest; g != nil {
		srvUS, pgUS := g.cpuPerMsg()
		line(w, "")
		line(w, "Ingest: %d connections, %d unacked sends each; rows counted over %s after a 1 s warm-up.", g.conns, g.window, g.measured.Round(time.Millisecond))
		line(w, "")
		line(w, "| committed/s | CPU per message: server + PostgreSQL | acked (whole run) | rows added | errors | ack p50 / p99 | server CPU | PostgreSQL CPU | natterbench CPU | machine busy | msgs/commit | mean commit |")
		line(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
		line(w, "| %s | %.0f + %.0f µs | %d | %d | %s | %s / %s | %.2f | %.2f | %.2f | %.0f%% | %s | %s |",
			num(g.perSec()), srvUS, pgUS, g.acks, g.added, errString(g.errs, g.unanswered), ms(g.ack.quantile(0.5)), ms(g.ack.quantile(0.99)),
			g.cpu.server, g.cpu.pg, g.cpu.self, 100*g.cpu.machine,
			ratio(g.metrics, "natter_messages_committed_total", "natter_commit_seconds_count"),
			meanCommit(g.metrics))
	}
	if m := r.mem; m != nil {
		line(w, "")
		line(w, "Memory: %d connections caught up in %s; RSS read %s later.", m.conns, m.connect.Round(time.Millisecond), m.settle)
		line(w, "")
		line(w, "| RSS before | RSS after | per connection | live | Go heap after GC (before → after) | goroutine stacks (before → after) |")
		line(w, "| --- | --- | --- | --- | --- | --- |")
		heap, stacks := "n/a", "n/a"
		if m.gcOK {
			heap = fmt.Sprintf("%d → %d MB (gc #%d at %.0fs)", m.gc0.liveMB, m.gc1.liveMB, m.gc1.n, m.gc1.at)
			stacks = fmt.Sprintf("%d → %d MB", m.gc0.stackMB, m.gc1.stackMB)
		}
		line(w, "| %s | %s | %.1f KiB | %d/%d | %s | %s |", mib(m.rss0), mib(m.rss1), m.perConn(), m.alive, m.conns, heap, stacks)
	}
	for _, e := range []struct {
		name string
		err  error
	}{{"fanout", r.fanErr}, {"limit", r.limitErr}, {"ingest", r.ingestErr}, {"memory", r.memErr}} {
		if e.err != nil {
			line(w, "")
			line(w, "**%s failed:** %v", e.name, e.err)
		}
	}
}

func (r *report) summary(w io.Writer) {
	if f := r.fan; f != nil {
		for _, ph := range f.phases {
			switch {
			case ph.rate == 10:
				line(w, "| fan-out 10 msg/s, %d receivers | p99 %s (p50 %s) | p99 ≤ 20 ms | %s |", f.members, ms(ph.lat.quantile(0.99)), ms(ph.lat.quantile(0.5)), met(ph.lat.quantile(0.99) <= targetP99At10 && ph.lat.n > 0))
			case ph.rate == 100:
				line(w, "| fan-out 100 msg/s, %d receivers | p99 %s (p50 %s), %s acked of %s sent, %s deliveries per server CPU-s | p99 ≤ 50 ms, all delivered, ≥ 150,000 per CPU-s | %s |",
					f.members, ms(ph.lat.quantile(0.99)), ms(ph.lat.quantile(0.5)), num(float64(ph.acks)), num(float64(ph.sent)), num(ph.perServerCore()),
					met(ph.lat.quantile(0.99) <= targetP99At100 && ph.lat.n > 0 && ph.acks == ph.sent && ph.mismatched == 0 && ph.perServerCore() >= targetPerCPUAt100))
			case ph.rate == 0:
				over, overOK := "no baseline in this run", false
				if base := r.baselineRate(); base > 0 {
					over = fmt.Sprintf("%.2f× the minimal hub", ph.deliveriesPerSec()/base)
					overOK = ph.deliveriesPerSec() >= targetOverBaseline*base
				}
				line(w, "| fan-out saturated, %d receivers, %d senders | %s deliveries/s (%s msgs/s) = %s; %s per server CPU-s | ≥ 2× the minimal hub, ≥ 500,000 per CPU-s | %s |", f.members, ph.senders,
					num(ph.deliveriesPerSec()), num(ph.deliveriesPerSec()/float64(f.members)), over, num(ph.perServerCore()),
					met(overOK && ph.perServerCore() >= targetPerCPUSaturated))
			default:
				line(w, "| fan-out %s, %d receivers | p99 %s (p50 %s) | — | — |", ph.name, f.members, ms(ph.lat.quantile(0.99)), ms(ph.lat.quantile(0.5)))
			}
		}
		mism := 0
		for _, ph := range f.phases {
			mism += ph.mismatched
		}
		line(w, "| fan-out: every acked message committed | %s acked, %s rows in the conversation | equal | %s |",
			num(float64(f.acks)), num(float64(f.committed)), met(f.acks == f.committed))
		line(w, "| fan-out: every receiver got every message exactly once | %d/%d receivers (%d duplicates, %d missing, %d phase-count mismatches) | all | %s |",
			f.once, f.members, f.dups, f.missing, mism, met(f.once == f.members && mism == 0))
		line(w, "| fan-out: in seq order | %d/%d receivers never saw a seq after a higher one (%s out-of-order receipts) | all | %s |",
			f.inOrder, f.members, num(float64(f.reorders)), met(f.inOrder == f.members))
	} else if r.fanErr != nil {
		line(w, "| fan-out | failed (see below) | | no |")
	}
	for _, f := range r.cluster {
		for _, ph := range f.phases {
			line(w, "| %s: fan-out %s, %d receivers | %s deliveries/s, p99 %s (p50 %s) | as one node | — |", f.target, ph.name, f.members,
				num(ph.deliveriesPerSec()), ms(ph.lat.quantile(0.99)), ms(ph.lat.quantile(0.5)))
		}
		line(w, "| %s: every acked message committed, received once by every receiver, in order | %s acked, %s rows; once %d/%d, in order %d/%d | all | %s |",
			f.target, num(float64(f.acks)), num(float64(f.committed)), f.once, f.members, f.inOrder, f.members,
			met(f.acks == f.committed && f.once == f.members && f.inOrder == f.members))
	}
	for _, err := range r.clusterErrs {
		line(w, "| cluster | failed: %s | | no |", err)
	}
	if g := r.ingest; g != nil {
		line(w, "| ingest, %d connections | %s committed msgs/s | ≥ 50,000/s | %s |", g.conns, num(g.perSec()), met(g.perSec() >= targetIngest))
		srvUS, pgUS := g.cpuPerMsg()
		line(w, "| ingest on this machine (issue 11) | %s committed msgs/s, %.0f µs CPU per message (server + PostgreSQL) | ≥ 20,000/s; ≤ 160 µs (50,000/s on 8 cores) | %s |",
			num(g.perSec()), srvUS+pgUS, met(g.perSec() >= targetIngestHere && srvUS+pgUS <= targetIngestCPU))
		line(w, "| ingest: every ack committed | %s acked, %s rows added | equal | %s |", num(float64(g.acks)), num(float64(g.added)), met(g.acks == g.added))
		line(w, "| ingest: each sender's own messages echoed once, in order | once %d/%d, in order %d/%d (%s out-of-order receipts) | all | %s |",
			g.ownOnce, g.conns, g.ownInOrder, g.conns, num(float64(g.reorders)), met(g.ownOnce == g.conns && g.ownInOrder == g.conns))
	} else if r.ingestErr != nil {
		line(w, "| ingest | failed (see below) | | no |")
	}
	if m := r.mem; m != nil {
		line(w, "| memory, %d idle connections | %.1f KiB RSS per connection (%s → %s) | ≤ 20 KiB | %s |", m.conns, m.perConn(), mib(m.rss0), mib(m.rss1), met(m.perConn() <= targetIdleKiB && m.alive == m.conns))
	} else if r.memErr != nil {
		line(w, "| memory | failed (see below) | | no |")
	}
	if l := r.limit; l != nil && len(l.phases) > 0 {
		base := l.phases[0].deliveriesPerSec()
		rel := "—"
		if f := r.fan; f != nil && base > 0 {
			for _, ph := range f.phases {
				if ph.rate == 0 {
					rel = fmt.Sprintf("Natter %s = %.2f× the baseline", num(ph.deliveriesPerSec()), ph.deliveriesPerSec()/base)
				}
			}
		}
		line(w, "| limit: minimal broadcast hub, same saturated fan-out | %s deliveries/s (p99 %s); %s | for scale | — |", num(base), ms(l.phases[0].lat.quantile(0.99)), rel)
	} else if r.limitErr != nil {
		line(w, "| limit | failed (see below) | | — |")
	}
}

// baselineRate is the minimal hub's saturated deliveries/s in this run, or
// 0 without one.
func (r *report) baselineRate() float64 {
	if l := r.limit; l != nil && len(l.phases) > 0 {
		return l.phases[0].deliveriesPerSec()
	}
	return 0
}

func met(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// num formats a count with thousands separators.
func num(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func ratio(m map[string]float64, a, b string) string {
	if m == nil || m[b] <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f", m[a]/m[b])
}

func meanCommit(m map[string]float64) string {
	if m == nil || m["natter_commit_seconds_count"] <= 0 {
		return "—"
	}
	return ms(time.Duration(m["natter_commit_seconds_sum"] / m["natter_commit_seconds_count"] * float64(time.Second)))
}

func errString(errs map[string]int64, unanswered int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, errs[k]))
	}
	if unanswered > 0 {
		parts = append(parts, fmt.Sprintf("unanswered %d", unanswered))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

// line prints one line of the report.
func line(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, format+"\n", args...)
}
