package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"natter/shared"
)

// ingestResult is the ingest scenario: many connections each sending into
// their own conversation, the commit rate counted in the database.
type ingestResult struct {
	conns, window int
	connect       time.Duration
	measured      time.Duration // the counted window (after a warm-up)
	counted       int64         // rows committed inside it
	sent, acks    int64         // over the whole run
	errs          map[string]int64
	unanswered    int
	added         int64 // rows added over the whole run
	ownOnce       int   // senders that got each of their committed messages back exactly once
	ownInOrder    int   // senders that never got one of them after a later one
	reorders      int64 // over all senders
	ack           hist
	cpu           cpuUse
	metrics       map[string]float64
}

// cpuPerMsg is the server's and PostgreSQL's CPU per committed message
// while counting, in microseconds.
func (r *ingestResult) cpuPerMsg() (server, pg float64) {
	if r.counted == 0 {
		return 0, 0
	}
	sec := r.measured.Seconds()
	return r.cpu.server * sec / float64(r.counted) * 1e6, r.cpu.pg * sec / float64(r.counted) * 1e6
}

func (r *ingestResult) perSec() float64 {
	if r.measured <= 0 {
		return 0
	}
	return float64(r.counted) / r.measured.Seconds()
}

// runIngest connects one sender per account (accts[i] sends into convs[i]),
// lets them all send with a window of unacked messages each, and counts the
// rows committed over o.duration after a warm-up second.
func runIngest(ctx context.Context, o *options, srv *server, db *database, accts []account, convs []string) (*ingestResult, error) {
	n := len(convs)
	track := &tracker{}
	senders := make([]*sender, n)
	start := time.Now()
	logf("ingest: connecting %d senders", n)
	clients, err := connectAll(ctx, o, one(srv), n, track, true,
		func(i int) string { return accts[i].token },
		func(i int) (func(*shared.Envelope, int64), func(*client)) {
			s := newSender(convs[i], o.ingestWindow, o.bodyBytes)
			return s.replies, func(c *client) { s.c, senders[i] = c, s }
		})
	defer closeAll(clients)
	if err != nil {
		return nil, fmt.Errorf("natterbench: ingest: connect: %w", err)
	}
	r := &ingestResult{conns: n, window: o.ingestWindow, connect: time.Since(start), errs: map[string]int64{}}
	logf("ingest: %d senders caught up in %s", n, r.connect.Round(time.Millisecond))
	const all = "SELECT count(*) FROM messages"
	before, err := db.count(ctx, all)
	if err != nil {
		return nil, err
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Add(1)
		go func() { defer wg.Done(); s.runMax(0, stop) }()
	}
	pause(ctx, time.Second) // warm-up: every connection has its window out
	stopPerf := perf(o.perfDir, "natter-ingest", srv.pid(), o.duration)
	m0 := srv.metrics(ctx)
	cpu0 := sampleCPU(srv.pid(), db.cluster.Dir())
	t0 := time.Now()
	c0, err0 := db.count(ctx, all)
	pause(ctx, o.duration-time.Since(t0))
	t1 := time.Now()
	c1, err1 := db.count(ctx, all)
	r.cpu = cpu0.to(sampleCPU(srv.pid(), db.cluster.Dir()))
	r.metrics = delta(m0, srv.metrics(ctx))
	close(stop)
	wg.Wait()
	stopPerf()
	if err0 != nil || err1 != nil {
		return nil, fmt.Errorf("natterbench: ingest: count: %v %v", err0, err1)
	}
	r.measured, r.counted = t1.Sub(t0), c1-c0

	deadline := time.Now().Add(o.drainTimeout)
	for _, s := range senders {
		r.unanswered += s.drain(deadline)
		r.sent += s.sent[0].Load()
		r.acks += s.acks[0].Load()
		r.ack.merge(s.ackLatency(0))
		for k, v := range s.errCounts() {
			r.errs[k] += v
		}
	}
	after, err := db.count(ctx, all)
	if err != nil {
		return nil, err
	}
	r.added = after - before
	// Every sender is a member of its conversation, so it gets its own
	// messages back; wait (bounded) for the last of them.
	for time.Now().Before(deadline) && track.delivered[0].Load() < r.acks {
		time.Sleep(5 * time.Millisecond)
	}
	// The other member never sends, so a conversation's last seq is where
	// it stood at caught_up (earlier runs on the same database, as in
	// paired mode) plus its sender's count of acks.
	for i, c := range clients {
		if !c.alive() {
			continue
		}
		k := c.check(c.caughtUpSeq() + senders[i].acks[0].Load())
		r.reorders += k.reorders
		if k.dups == 0 && k.missing == 0 && k.extra == 0 {
			r.ownOnce++
		}
		if k.reorders == 0 {
			r.ownInOrder++
		}
	}
	logf("ingest: %d rows in %s = %.0f/s; %d acks, %d rows added, errors %v",
		r.counted, r.measured.Round(time.Millisecond), r.perSec(), r.acks, r.added, r.errs)
	return r, nil
}
