// Package natstest runs a real NATS server in the test process, so the NATS
// broker is tested against NATS itself rather than a mock.
package natstest

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a NATS server on a loopback port, stopped when the test ends.
type Server struct {
	*server.Server
	port int
}

// Start runs a NATS server on a free loopback port.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{port: server.RANDOM_PORT}
	s.start(tb)
	tb.Cleanup(func() { s.Shutdown() })
	return s
}

func (s *Server) start(tb testing.TB) {
	tb.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: s.port, NoLog: true, NoSigs: true})
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		tb.Fatal("natstest: the NATS server did not start within 10s")
	}
	s.Server = ns
	s.port = ns.Addr().(*net.TCPAddr).Port
}

// URL is what a client connects to.
func (s *Server) URL() string { return s.ClientURL() }

// Down stops the server, as an operator stopping NATS would: connected
// clients lose their connection and everything in flight.
func (s *Server) Down() {
	s.Shutdown()
	s.WaitForShutdown()
}

// Up starts a new server on the port of the one Down stopped.
func (s *Server) Up(tb testing.TB) {
	tb.Helper()
	s.start(tb)
}

// Restart is Down then Up.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Down()
	s.Up(tb)
}
