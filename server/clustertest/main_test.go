// Package clustertest runs Natter as a cluster of three nodes in one
// process (each its own store pool, hub, chat service and broker on one
// database) and checks what a person sees across nodes, once per broker:
// PostgreSQL LISTEN/NOTIFY and NATS (a real nats-server in the process).
package clustertest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"natter/server/hub"
	"natter/server/natsbroker"
	"natter/server/natstest"
	"natter/server/pgbroker"
	"natter/server/pgtest"
	"natter/server/store"
	"natter/server/webtest"
	"natter/shared"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// brokers are the two ways nodes talk; every test runs over each.
var brokers = []struct {
	name string
	make func(tb testing.TB) webtest.BrokerFunc
}{
	{"postgres", func(testing.TB) webtest.BrokerFunc {
		return func(tb testing.TB, st *store.Store) hub.Broker {
			b, err := pgbroker.New(context.Background(), st.DB, pgbroker.Options{Logger: quiet})
			if err != nil {
				tb.Fatalf("pgbroker: %v", err)
			}
			return b
		}
	}},
	{"nats", func(tb testing.TB) webtest.BrokerFunc {
		ns := natstest.Start(tb)
		return func(tb testing.TB, _ *store.Store) hub.Broker {
			b, err := natsbroker.New(context.Background(), ns.URL(), natsbroker.Options{Logger: quiet})
			if err != nil {
				tb.Fatalf("natsbroker: %v", err)
			}
			return b
		}
	}},
}

// eachBroker runs test on a fresh three-node cluster per broker.
func eachBroker(t *testing.T, test func(t *testing.T, nodes []*webtest.Server)) {
	for _, b := range brokers {
		t.Run(b.name, func(t *testing.T) {
			test(t, webtest.MustCluster(t, 3, b.make(t)))
		})
	}
}

func decode[T any](tb testing.TB, env shared.Envelope) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(env.Data, &v); err != nil {
		tb.Fatalf("decode %s: %v", env.Type, err)
	}
	return v
}

func is(typ string) func(shared.Envelope) bool {
	return func(e shared.Envelope) bool { return e.Type == typ }
}
