package webtest

import (
	"net"
	"strings"
	"testing"
	"time"

	"natter/server/chat"
	"natter/server/hub"
	"natter/server/pgtest"
	"natter/server/resume"
	"natter/server/store"
	"natter/server/web"
	"natter/shared"
)

// BrokerFunc makes one node's broker on that node's store. The hub closes
// it when the node stops; a restarted node gets a new one.
type BrokerFunc func(tb testing.TB, st *store.Store) hub.Broker

// MustCluster starts n servers on one fresh database, each with its own
// store pool, hub, chat service and broker from newBroker, on its own
// loopback port: several nodes of one cluster, in one process. They share
// the resume key ring, as nodes sharing a database do. Stop and Start one
// to take it down and bring it back; its clients reconnect to another.
func MustCluster(tb testing.TB, n int, newBroker BrokerFunc, opts ...Option) []*Server {
	tb.Helper()
	keys := resume.NewKeyRing(time.Hour)
	if _, _, err := keys.Rotate(); err != nil {
		tb.Fatalf("webtest: key ring: %v", err)
	}
	cfg := web.Config{WebDir: WebDir(), Heartbeat: 2 * time.Second, Chat: chat.Config{TokenKeys: keys}, RegisterLimit: -1}
	for _, o := range opts {
		o(&cfg)
	}
	dsn := pgtest.MustDSN(tb)
	nodes := make([]*Server, n)
	for i := range nodes {
		s := &Server{cfg: cfg, dsn: dsn, Keys: keys, newBroker: newBroker}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("webtest: listen: %v", err)
		}
		s.addr = ln.Addr().String()
		s.URL = "http://" + s.addr
		s.WSURL = "ws://" + s.addr + shared.PathWebSocket
		s.start(tb, ln)
		tb.Cleanup(func() { s.Stop(tb) })
		nodes[i] = s
	}
	return nodes
}

// Remote returns a Server for a node running elsewhere (a `natter serve`
// subprocess) at url, e.g. http://127.0.0.1:8080: the HTTP and WebSocket
// helpers work on it; Store, Hub, Web, Stop and Start do not.
func Remote(url string) *Server {
	return &Server{URL: url, WSURL: "ws" + strings.TrimPrefix(url, "http") + shared.PathWebSocket}
}
