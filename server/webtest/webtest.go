// Package webtest runs a real Natter server in-process for tests: a real
// PostgreSQL database from pgtest, the real hub and web layer, a real HTTP
// listener on loopback. Tests of the web layer, the sync engine and the
// browser all use it; only the listener address is chosen for them.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
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

// Server is a running Natter server under test.
type Server struct {
	URL   string // http://127.0.0.1:port
	WSURL string // ws://127.0.0.1:port/ws
	Store *store.Store
	Hub   *hub.Hub
	Web   *web.Server
	Keys  *resume.KeyRing

	cfg       web.Config
	newBroker BrokerFunc // nil: an in-process broker of its own
	dsn       string
	addr      string
	http      *http.Server
	up        bool
}

// Option changes the server's configuration before it starts.
type Option func(*web.Config)

// MustServer starts a server on a fresh database and stops it at cleanup.
func MustServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	keys := resume.NewKeyRing(time.Hour)
	if _, _, err := keys.Rotate(); err != nil {
		tb.Fatalf("webtest: key ring: %v", err)
	}
	// Tests register many users from one loopback address: no registration
	// limit unless a test sets one.
	cfg := web.Config{WebDir: WebDir(), Heartbeat: 2 * time.Second, Chat: chat.Config{TokenKeys: keys}, RegisterLimit: -1}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{cfg: cfg, dsn: pgtest.MustDSN(tb), Keys: keys}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("webtest: listen: %v", err)
	}
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	s.WSURL = "ws://" + s.addr + shared.PathWebSocket
	s.start(tb, ln)
	tb.Cleanup(func() { s.Stop(tb) })
	return s
}

// WebDir is where the built web assets are: NATTER_WEB, or the repository's
// web directory found from the working directory.
func WebDir() string {
	if d := os.Getenv("NATTER_WEB"); d != "" {
		return d
	}
	dir, _ := os.Getwd()
	for range 6 {
		if _, err := os.Stat(dir + "/go.mod"); err == nil {
			return dir + "/web"
		}
		dir = dir[:max(strings.LastIndexByte(dir, '/'), 0)]
	}
	return "web"
}

func (s *Server) start(tb testing.TB, ln net.Listener) {
	tb.Helper()
	st, err := store.Open(s.dsn)
	if err != nil {
		tb.Fatalf("webtest: open store: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("NATTER_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	s.Store = st
	var b hub.Broker
	if s.newBroker != nil {
		b = s.newBroker(tb, st)
	}
	s.Hub = hub.New(hub.Options{Logger: log, Broker: b, NodeID: s.addr})
	s.Web = web.New(s.cfg, st, s.Hub, log)
	s.http = web.NewHTTPServer(s.Web)
	go s.http.Serve(ln)
	s.up = true
}

// Stop shuts the server down as a restart would: connections drop, nothing
// in memory survives. The database stays.
func (s *Server) Stop(tb testing.TB) {
	if !s.up {
		return
	}
	s.up = false
	s.Web.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
	s.Hub.Close()
	s.Store.Close()
}

// Start brings a stopped server back on the same address and database.
func (s *Server) Start(tb testing.TB) {
	tb.Helper()
	if s.up {
		return
	}
	var ln net.Listener
	var err error
	for range 50 { // the old socket may linger for a moment
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("webtest: listen again on %s: %v", s.addr, err)
	}
	s.start(tb, ln)
}

// Restart stops and starts the server.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Stop(tb)
	s.Start(tb)
}

var userSeq atomic.Int64

// MustSignUp registers a user named after nickname (made unique), signs
// it in as the app does after registering, and returns it with the Cookie
// header of its session.
func (s *Server) MustSignUp(tb testing.TB, nickname string) (shared.User, http.Header) {
	tb.Helper()
	n := userSeq.Add(1)
	nick := fmt.Sprintf("%s%d", nickname, n)
	req := shared.RegisterRequest{Email: nick + "@example.com", Nickname: nick, Password: "correct horse battery"}
	if res := s.MustPost(tb, shared.APIRegister, nil, req, nil); res.StatusCode != http.StatusAccepted {
		tb.Fatalf("webtest: register %s: status %d", nick, res.StatusCode)
	}
	var u shared.User
	res := s.MustPost(tb, shared.APISignIn, nil, shared.SignInRequest{Login: req.Email, Password: req.Password}, &u)
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("webtest: sign in %s: status %d", nick, res.StatusCode)
	}
	h := SessionHeader(res)
	if h.Get("Cookie") == "" {
		tb.Fatalf("webtest: sign in %s: no session cookie", nick)
	}
	return u, h
}

// SessionHeader returns a Cookie header carrying the session cookie res
// set, under either of its names, or an empty header.
func SessionHeader(res *http.Response) http.Header {
	h := http.Header{}
	for _, c := range res.Cookies() {
		if (c.Name == shared.SessionCookie || c.Name == shared.SecureSessionCookie) && c.Value != "" {
			h.Set("Cookie", c.Name+"="+c.Value)
		}
	}
	return h
}

// MustPost sends JSON and decodes a 2xx answer into out; it returns the
// response (body consumed) whatever its status.
func (s *Server) MustPost(tb testing.TB, path string, header http.Header, in, out any) *http.Response {
	tb.Helper()
	return s.MustDo(tb, http.MethodPost, path, header, in, out)
}

// MustDo sends a JSON request. Non-2xx bodies are decoded into out only when
// out is a *shared.ErrorResponse.
func (s *Server) MustDo(tb testing.TB, method, path string, header http.Header, in, out any) *http.Response {
	tb.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			tb.Fatalf("webtest: encode: %v", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		tb.Fatalf("webtest: request: %v", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("webtest: %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	_, wantErr := out.(*shared.ErrorResponse)
	if out != nil && len(data) > 0 && (res.StatusCode < 300) != wantErr {
		if err := json.Unmarshal(data, out); err != nil {
			tb.Fatalf("webtest: %s %s: decode %q: %v", method, path, data, err)
		}
	}
	return res
}

// ErrStopped is returned by helpers used after Stop.
var ErrStopped = errors.New("webtest: server stopped")
