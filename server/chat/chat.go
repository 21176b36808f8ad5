// Package chat applies every client action, whatever the transport:
// validation, authorization, budgets and quotas, the group commit of
// messages, and the fan-out of what changed. It is the one place where an
// action becomes an effect; server/web only frames HTTP and WebSocket
// traffic and hands each envelope to a Conn.
//
// The path of an action:
//
//	web reads a frame ─▶ Conn.Receive: decode, charge the budgets on arrival
//	  ─▶ the connection's queue (bounded) ─▶ Service.Apply: authorize, store
//	  ─▶ ack to the sender ─▶ publish: one fan-out path for every event kind
//
// Budgets are charged when a frame arrives, not when it is processed, so a
// flood is refused at once instead of being worked through slowly while
// other people wait.
package chat

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"natter/server/hub"
	"natter/server/push"
	"natter/server/resume"
	"natter/server/store"
	"natter/shared"
)

// Config holds what the operator can tune. Zero values mean the defaults.
type Config struct {
	// BodyMax is the longest message body in characters.
	BodyMax int
	// BatchSize caps how many messages one group commit carries.
	BatchSize int
	// Heartbeat is how often each side of a connection pings the other; the
	// client learns it in welcome.
	Heartbeat time.Duration
	// TokenKeys seals resume tokens; nil disables them.
	TokenKeys *resume.KeyRing
	// Limits are the budgets and quotas of every user and connection.
	Limits Limits
	// Pusher, when set, sends Web Push for committed messages to members
	// with no live connection (server/push); the caller closes it.
	Pusher *push.Pusher
}

func (c *Config) defaults() {
	if c.BodyMax == 0 {
		c.BodyMax = shared.DefaultBodyMax
	}
	if c.BatchSize == 0 {
		c.BatchSize = 512
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 15 * time.Second
	}
	c.Limits.defaults()
}

// Service applies actions and publishes their effects. It holds no state a
// restart would lose except budgets, which start full again.
type Service struct {
	cfg     Config
	store   *store.Store
	hub     *hub.Hub
	log     *slog.Logger
	sends   *batcher
	metrics *Metrics
	users   *users

	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup
}

// New starts a Service: its committers and its budget sweeper. Close stops
// them.
func New(cfg Config, st *store.Store, h *hub.Hub, log *slog.Logger) *Service {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	st.BodyMax = cfg.BodyMax
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		cfg:     cfg,
		store:   st,
		hub:     h,
		log:     log,
		metrics: &Metrics{},
		users:   newUsers(cfg.Limits),
		ctx:     ctx,
		cancel:  cancel,
	}
	s.sends = newBatcher(ctx, st, s, cfg.BatchSize)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.users.sweep(ctx, time.Minute)
	}()
	return s
}

// Config returns the configuration in force, defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// Metrics returns the service's counters, for /metrics.
func (s *Service) Metrics() *Metrics { return s.metrics }

// Close stops the committers after the messages already queued are
// committed and answered. Connections must be gone first.
func (s *Service) Close() {
	s.cancel()
	s.sends.wait()
	s.bg.Wait()
}

// publish is the one fan-out path: every event of every kind, from actions,
// the group commit and ephemeral signals, reaches the hub (and through its
// broker the other nodes) here, after the commit that made it.
func (s *Service) publish(evs ...hub.Event) {
	if len(evs) == 0 {
		return
	}
	s.hub.PublishBatch(evs)
}

// retry runs fn until it succeeds or ctx ends, backing off from 50 ms to 5 s:
// for reads whose failure would lose a live event (PostgreSQL restarting).
func retry(ctx context.Context, log *slog.Logger, what string, fn func(context.Context) error) {
	wait := 50 * time.Millisecond
	for {
		err := fn(context.WithoutCancel(ctx))
		if err == nil {
			return
		}
		log.Warn(what+": retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			log.Error(what+": gave up at shutdown; members catch up on resume", "err", err)
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}
