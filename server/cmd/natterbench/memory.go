package main

import (
	"context"
	"fmt"
	"time"
)

// memResult is the idle-connection memory of the server process.
type memResult struct {
	conns    int
	connect  time.Duration
	rss0     int64 // KiB, server idle before any connection
	rss1     int64 // KiB, with every connection idle after caught_up
	alive    int
	gc0, gc1 gcLine
	gcOK     bool
	settle   time.Duration
}

// perConn is the RSS growth per connection in KiB.
func (r *memResult) perConn() float64 {
	if r.conns == 0 {
		return 0
	}
	return float64(r.rss1-r.rss0) / float64(r.conns)
}

// runMemory opens one authenticated connection per account, waits until
// each has caught up, lets the server settle, and reads its RSS.
func runMemory(ctx context.Context, o *options, srv *server, accts []account) (*memResult, error) {
	r := &memResult{conns: len(accts), settle: o.settle}
	pause(ctx, 2*time.Second)
	var err error
	if r.rss0, err = srv.rssKiB(); err != nil {
		return nil, err
	}
	r.gc0, _ = srv.lastGC()
	track := &tracker{}
	start := time.Now()
	logf("memory: connecting %d idle sessions", len(accts))
	clients, err := connectAll(ctx, o, one(srv), len(accts), track, true, func(i int) string { return accts[i].token }, nil)
	defer closeAll(clients)
	if err != nil {
		return nil, fmt.Errorf("natterbench: memory: connect: %w", err)
	}
	r.connect = time.Since(start)
	logf("memory: %d connections caught up in %s; settling %s", len(accts), r.connect.Round(time.Millisecond), o.settle)
	pause(ctx, o.settle)
	if r.rss1, err = srv.rssKiB(); err != nil {
		return nil, err
	}
	r.gc1, r.gcOK = srv.lastGC()
	r.alive = countAlive(clients)
	logf("memory: RSS %d → %d KiB = %.1f KiB per connection (%d alive)", r.rss0, r.rss1, r.perConn(), r.alive)
	return r, nil
}
