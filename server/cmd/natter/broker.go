package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"

	"natter/server/hub"
	"natter/server/natsbroker"
	"natter/server/pgbroker"
	"natter/server/store"
	"natter/shared"
)

// brokers are what carries events between nodes: PostgreSQL always (the
// admin CLI's controls and announcements, node heartbeats), and NATS for
// the cluster's own traffic when NATTER_NATS_URL is set.
type brokers struct {
	pg   *pgbroker.Broker
	hub  hub.Broker              // what the hub publishes through
	live atomic.Pointer[hub.Hub] // set once the hub exists; for OnReconnect
}

// newBrokers connects the brokers the configuration asks for.
func newBrokers(ctx context.Context, cfg config, st *store.Store, log *slog.Logger) (*brokers, error) {
	b := &brokers{}
	// PostgreSQL's listener reconnecting (no OnReconnect) usually means the
	// database itself was away, when nobody could commit either: clients
	// keep their connections rather than all replaying at once.
	pg, err := pgbroker.New(ctx, st.DB, pgbroker.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("event broker: %w", err)
	}
	b.pg, b.hub = pg, pg
	if cfg.NATSURL == "" {
		return b, nil
	}
	// NATS being away stops no commit: events published meanwhile are lost
	// to this node, so its clients resume from their cursors at once.
	resume := func() {
		if h := b.live.Load(); h != nil {
			h.DisconnectAll(reconnectEnvelope())
		}
	}
	nb, err := natsbroker.New(ctx, cfg.NATSURL, natsbroker.Options{Name: "natter " + cfg.NodeID, Logger: log, OnReconnect: resume})
	if err != nil {
		_ = pg.Close()
		return nil, fmt.Errorf("event broker (NATTER_NATS_URL): %w", err)
	}
	b.hub = natsWithControls{Broker: nb, pg: pg}
	log.Info("events travel through NATS", "url", redactURL(cfg.NATSURL))
	return b, nil
}

// natsWithControls publishes over NATS and also delivers what arrives
// through PostgreSQL, where only the admin CLI publishes (announcements)
// once every node uses NATS. Watch and Unwatch come from the NATS broker.
type natsWithControls struct {
	*natsbroker.Broker
	pg *pgbroker.Broker
}

// Subscribe registers deliver with both brokers.
func (b natsWithControls) Subscribe(deliver func([]hub.Event)) {
	b.Broker.Subscribe(deliver)
	b.pg.Subscribe(deliver)
}

// Close closes both brokers.
func (b natsWithControls) Close() error {
	return errors.Join(b.Broker.Close(), b.pg.Close())
}

// reconnectEnvelope tells a client to reconnect and resume.
func reconnectEnvelope() []byte {
	env, err := shared.NewEnvelope(shared.TypeError, "", 0, &shared.Error{Code: shared.CodeUnavailable,
		Message: "The server lost touch with the other servers for a moment; reconnecting.", Fatal: true})
	if err != nil {
		return nil
	}
	env.V = shared.ProtocolVersion
	b, _ := json.Marshal(env)
	return b
}

// redactURL hides passwords in a comma-separated list of NATS URLs, for
// logs.
func redactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil {
			parts[i] = u.Redacted()
		} else {
			parts[i] = "(unparsable)"
		}
	}
	return strings.Join(parts, ",")
}
