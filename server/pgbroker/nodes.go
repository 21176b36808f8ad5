package pgbroker

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// HeartbeatInterval is how often a node records its live connections. A
// node whose row is older than three intervals counts as down.
const HeartbeatInterval = 10 * time.Second

// nodeGone is how long a dead node's row stays before a live node deletes it.
const nodeGone = "10 minutes"

// Node is a running server as its last heartbeat described it.
type Node struct {
	Name        string    `json:"name" bun:"node"`
	Connections int       `json:"connections" bun:"connections"`
	StartedAt   time.Time `json:"started_at" bun:"started_at"`
	SeenAt      time.Time `json:"seen_at" bun:"seen_at"`
}

// Heartbeat records this node under name with its live connection count
// now and then every HeartbeatInterval until Close, which deletes the row.
// It returns the first write's error; later failures are logged. The admin
// CLI reads the rows with Nodes, since it cannot reach the servers' /metrics.
func (b *Broker) Heartbeat(ctx context.Context, name string, connections func() int) error {
	beat := func(ctx context.Context) error {
		_, err := b.db.NewRaw(`
			INSERT INTO pgbroker_nodes (id, node, connections) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET connections = excluded.connections, seen_at = now();
			DELETE FROM pgbroker_nodes WHERE seen_at < now() - interval '`+nodeGone+`'`,
			b.origin, name, connections()).Exec(ctx)
		if err != nil {
			return fmt.Errorf("pgbroker: heartbeat: %w", err)
		}
		return nil
	}
	if b.isClosed() {
		return ErrClosed
	}
	if err := beat(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(HeartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-b.ctx.Done():
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if _, err := b.db.NewRaw(`DELETE FROM pgbroker_nodes WHERE id = ?`, b.origin).Exec(ctx); err != nil {
					b.log.Warn("pgbroker: remove heartbeat", "err", err)
				}
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(b.ctx, HeartbeatInterval)
				if err := beat(ctx); err != nil && b.ctx.Err() == nil {
					b.log.Warn("pgbroker: heartbeat", "err", err)
				}
				cancel()
			}
		}
	}()
	return nil
}

// Nodes returns the servers that sent a heartbeat in the last three
// intervals, by name.
func Nodes(ctx context.Context, db bun.IDB) ([]Node, error) {
	var nodes []Node
	err := db.NewRaw(`SELECT node, connections, started_at, seen_at FROM pgbroker_nodes
		WHERE seen_at > now() - ? * interval '1 second' ORDER BY node, started_at`,
		int((3*HeartbeatInterval).Seconds())).Scan(ctx, &nodes)
	if err != nil {
		return nil, fmt.Errorf("pgbroker: nodes: %w", err)
	}
	return nodes, nil
}
