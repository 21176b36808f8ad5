// Package web is Natter's HTTP face: the account endpoints, the WebSocket
// endpoint that carries every action and event, and the PWA shell served by
// go-app's Handler with precompressed wasm and security headers.
package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"natter/server/chat"
	"natter/server/hub"
	"natter/server/push"
	"natter/server/store"
	"natter/shared"
)

// Config holds what the operator can tune. Zero values mean the defaults.
type Config struct {
	// WebDir holds the static assets and the built app.wasm (with .br/.gz).
	WebDir string
	// SessionTTL is how long a session lives without being used.
	SessionTTL time.Duration
	// Heartbeat is how often each side of a WebSocket pings the other.
	Heartbeat time.Duration
	// SecureCookies marks the session cookie Secure; set it when serving TLS
	// directly or behind a TLS-terminating proxy.
	SecureCookies bool
	// OriginPatterns lists extra hosts allowed to open the WebSocket (the
	// page's own host always is), for deployments behind another name.
	OriginPatterns []string
	// Chat configures the service that applies actions: body size, group
	// commit, resume tokens, budgets and quotas.
	Chat chat.Config
	// ExtraMetrics, when set, writes more figures (Prometheus text format)
	// after the server's own, e.g. the broker's forged-notification count.
	ExtraMetrics func(w io.Writer)
	// Revoked, when set, tells every node to disconnect revoked sessions
	// (through the broker); without it only this node's are disconnected.
	Revoked func(ctx context.Context, sessionIDs []int64, reason string) error

	// SignIn tunes the sign-in throttle (see signInThrottle).
	SignIn SignInLimits
	// RegisterLimit is how many registrations one client address may make
	// per RegisterWindow (default 10 per hour); negative means no limit.
	RegisterLimit  int
	RegisterWindow time.Duration
	// TrustedProxies are the proxies allowed to name the client in
	// X-Forwarded-For; see clientAddr.
	TrustedProxies []netip.Prefix
	// Signup is who may register: shared.SignupOpen (default),
	// SignupInvite or SignupClosed.
	Signup string
	// PasswordWait is how long a request waits for a free argon2 slot
	// before it is answered 503 (default 5 seconds).
	PasswordWait time.Duration
	// PageLimit is how many conversation pages drawn with their messages
	// one user may get per PageWindow (default 60 per 2 minutes; see
	// conversationPage); past it the static page goes out. Negative means
	// no limit.
	PageLimit  int
	PageWindow time.Duration
	// Push, when set, turns Web Push on (server/push); nil leaves only
	// local notifications.
	Push *push.Config
}

func (c *Config) defaults() {
	if c.WebDir == "" {
		c.WebDir = "web"
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = 30 * 24 * time.Hour
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 15 * time.Second
	}
	c.Chat.Heartbeat = c.Heartbeat
	if c.PageLimit == 0 {
		c.PageLimit = defaultPageLimit
	}
	if c.PageWindow == 0 {
		c.PageWindow = defaultPageWindow
	}
	c.accountDefaults()
}

// Server wires the store and the hub to HTTP. It holds no per-user state that
// a restart would lose: sessions live in PostgreSQL, connection state in the
// hub or the client's resume token.
type Server struct {
	cfg   Config
	store *store.Store
	hub   *hub.Hub
	log   *slog.Logger

	chat      *chat.Service
	push      *push.Pusher // nil without Web Push
	signIns   *signInThrottle
	registers *addrLimiter

	emailChanges *addrLimiter // per user: see handleUpdateProfile
	exports      *addrLimiter // per user: see handleExport
	pages        *addrLimiter // per user: see conversationPage

	mux     *http.ServeMux
	pwaOnce sync.Once
	pwa     http.Handler

	ctx    context.Context
	cancel context.CancelFunc
	conns  sync.WaitGroup // live WebSocket handlers
	bg     sync.WaitGroup // background loops
}

// New builds a Server. Close stops its background work.
func New(cfg Config, st *store.Store, h *hub.Hub, log *slog.Logger) *Server {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	var pusher *push.Pusher
	if cfg.Push != nil {
		pusher = push.New(*cfg.Push, st, h, log)
		cfg.Chat.Pusher = pusher
	}
	s := &Server{
		push:      pusher,
		cfg:       cfg,
		store:     st,
		hub:       h,
		log:       log,
		chat:      chat.New(cfg.Chat, st, h, log),
		signIns:   newSignInThrottle(st, cfg.SignIn, log),
		registers: newAddrLimiter(st, "register", cfg.RegisterLimit, cfg.RegisterWindow),
		ctx:       ctx,
		cancel:    cancel,
	}
	s.emailChanges = newAddrLimiter(st, "email", emailChangesPerDay, 24*time.Hour)
	s.exports = newAddrLimiter(st, "export", exportsPerDay, 24*time.Hour)
	s.pages = newAddrLimiter(st, "page", cfg.PageLimit, cfg.PageWindow)
	s.routes()
	s.bg.Add(1)
	go s.heartbeat()
	return s
}

// heartbeat pings every connection on one ticker. With the read deadline in
// conn.run it notices half-open connections within a few heartbeats; the
// browser cannot answer WebSocket-level pings, so the ping is an envelope.
func (s *Server) heartbeat() {
	defer s.bg.Done()
	t := time.NewTicker(s.cfg.Heartbeat)
	defer t.Stop()
	ping := mustEnvelope(shared.TypePing, nil)
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.hub.SendAll(ping)
		}
	}
}

// Chat returns the service that applies actions, for tests and tools that
// act without a connection.
func (s *Server) Chat() *chat.Service { return s.chat }

// Close disconnects every WebSocket (telling clients to come back) and stops
// the background work.
func (s *Server) Close() {
	s.cancel()
	s.hub.DisconnectAll(errorEnvelope("", &shared.Error{Code: shared.CodeUnavailable, Message: "The server is restarting; reconnecting.", Fatal: true}))
	s.conns.Wait()
	s.chat.Close()
	if s.push != nil {
		s.push.Close()
	}
	s.bg.Wait()
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST "+shared.APIRegister, s.handleRegister)
	m.HandleFunc("GET "+shared.APISignup, s.handleSignupInfo)
	m.HandleFunc("POST "+shared.APISignIn, s.handleSignIn)
	m.HandleFunc("POST "+shared.APISignOut, s.handleSignOut)
	m.HandleFunc("GET "+shared.APIMe, s.handleMe)
	m.HandleFunc("PATCH "+shared.APIMe, s.handleUpdateProfile)
	m.HandleFunc("GET "+shared.APIUsers, s.handleSearchUsers)
	m.HandleFunc("POST "+shared.APIMeExport, s.handleExport)
	m.HandleFunc("POST "+shared.APIMeDelete, s.handleDeleteAccount)
	blocks := newBlockAPI(s)
	m.HandleFunc("GET "+shared.APIBlocks, blocks.list)
	m.HandleFunc("POST "+shared.APIBlocks, blocks.add)
	m.HandleFunc("DELETE "+shared.APIBlocks+"/{id}", blocks.remove)
	newPushAPI(s, s.push).routes(m)
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, shared.FieldError{Code: "not_found", Message: "No such API endpoint."})
	})
	m.HandleFunc("GET "+shared.PathWebSocket, s.handleWebSocket)
	m.HandleFunc("GET "+shared.PathHealth, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	// /metrics is served on its own listener (MetricsHandler), never here.
	m.HandleFunc(shared.PathMetrics, http.NotFound)
	m.HandleFunc("/web/app.wasm", s.serveWasm)
	m.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.pwaHandler().ServeHTTP(w, r) }))
	s.mux = m
}

// ServeHTTP adds the security headers to every response and refuses
// cross-origin and non-JSON state-changing requests (see guard).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if s.cfg.SecureCookies {
		h.Set("Strict-Transport-Security", hsts)
	}
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if !s.guard(w, r) {
		return
	}
	if r.URL.Path == shared.PathWebSocket {
		LongLived(w)
	}
	s.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy lets the page run only its own scripts and wasm
// ('wasm-unsafe-eval' is what WebAssembly compilation needs), talk only to its
// own origin and never be framed. Inline styles are allowed because go-app
// sets style attributes from wasm; no user text is ever rendered as HTML.
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
	"worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"

// handleMetrics serves the chat service's and the hub's figures in
// Prometheus' text format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	s.chat.Metrics().Write(w, s.hub.Stats())
	if s.push != nil {
		s.push.WriteMetrics(w)
	}
	if s.cfg.ExtraMetrics != nil {
		s.cfg.ExtraMetrics(w)
	}
}
