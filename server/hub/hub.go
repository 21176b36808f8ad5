// Package hub holds the live WebSocket connections of one server node and
// fans events out to them. It knows nothing of the database or of HTTP: the
// web layer upgrades and authenticates a socket, adapts it to Conn, attaches
// it here and feeds the hub already-encoded envelopes.
//
// Every connection gets a byte-bounded queue and, while it has traffic, one
// writer goroutine (invariant 6: a slow client never slows others). An idle
// connection has no writer: one sweep for the whole hub retires writers
// that found nothing to write for Linger, and cuts off writes that hang,
// so neither an idle spell nor a write costs a timer. Publishing appends to
// queues under short locks and never waits on a socket; to an idle
// connection whose Conn allows it (DirectConn) it writes the frame itself,
// without blocking, over the machine's cores for a large conversation. Writers batch queued
// envelopes into newline-separated frames, which is what lifts fan-out from
// about 150k to over 500k deliveries per second. Ephemeral traffic (presence,
// typing) is dropped first under pressure (invariant 5); durable traffic is
// either delivered in order or the client is disconnected and resumes from its
// cursors.
//
// The web layer's part, per connection:
//
//	c := h.Attach(userID, sessionID, conn) // the hub now owns conn's writes and its Close
//	defer func() { h.Detach(c); <-c.Done() }()
//	// replay with c.SendWait, answer actions with c.Send, publish effects
//	// with h.Publish after commit; stop reading when c.Done() is closed.
//
// Presence crosses nodes: each hub announces its viewers through the broker
// and merges the other nodes' announcements (see cluster.go).
package hub

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is what a client's writer writes to; the web layer adapts a
// *websocket.Conn to it. Only the client's own writer goroutine calls Write
// and Close, so it needs no locking of its own.
type Conn interface {
	// Write sends frame as one WebSocket text frame. ctx is the client's
	// own, the same for every write, done when the hub gives up on the
	// client: Write must return soon after it is done, unless the Conn is an
	// Aborter. It must not keep frame after returning: the buffer is reused.
	Write(ctx context.Context, frame []byte) error
	// Close closes the underlying connection. It is called exactly once, from
	// the writer goroutine, after the last write; it may block (a close
	// handshake) without holding up anyone else. The reason is for logs and
	// the close frame, so keep it under 123 bytes.
	Close(reason string)
}

// Aborter is a Conn whose Write does not watch its context, which saves a
// timer or context registration per write (coder/websocket's Write makes
// one each time). The hub calls Abort, from any goroutine and possibly more
// than once, as soon as it gives up on the client: Abort must make a
// blocked Write return at once (closing the socket does) and must not
// block. Close still follows from the writer.
type Aborter interface {
	Abort()
}

// Options configures a Hub. Zero values take the defaults.
type Options struct {
	// QueueBytes bounds the envelope bytes waiting for one client (default
	// 1 MiB). A durable envelope that does not fit disconnects the client,
	// which later resumes from its cursors; ephemeral ones are dropped once the
	// queue is half full.
	QueueBytes int
	// MaxFrameBytes caps a batched frame (default 64 KiB). A single envelope
	// larger than this still goes out, alone in its frame.
	MaxFrameBytes int
	// WriteTimeout disconnects a client whose socket write takes longer
	// (default 10s). It is checked by a sweep every quarter of it (or more
	// often, see Linger), so the actual cut-off lies between 1 and 1.25
	// times the value.
	WriteTimeout time.Duration
	// PresenceInterval is the least time between two presence broadcasts for
	// one conversation (default 250ms); updates in between are coalesced.
	PresenceInterval time.Duration
	// PresenceRefresh is how often the hub re-announces its viewers to the
	// other nodes (default 10s); a node silent for three of them is
	// forgotten, which bounds how long a crashed node's viewers linger.
	PresenceRefresh time.Duration
	// Broker carries events between nodes; nil means in-process only. The hub
	// subscribes to it in New and closes it in Close.
	Broker Broker
	// Logger receives disconnects and broker failures (default slog.Default).
	Logger *slog.Logger
	// NodeID names this node in logs.
	NodeID string
}

// Defaults for Options.
const (
	DefaultQueueBytes       = 1 << 20
	DefaultMaxFrameBytes    = 64 << 10
	DefaultWriteTimeout     = 10 * time.Second
	DefaultPresenceInterval = 250 * time.Millisecond
)

// Errors a Client's Err reports: why it was disconnected.
var (
	ErrSlow         = errors.New("hub: client too slow: queue over its bound")
	ErrWriteTimeout = errors.New("hub: write timed out")
	ErrDetached     = errors.New("hub: client detached")
	ErrKicked       = errors.New("hub: disconnected by the server")
	ErrClosed       = errors.New("hub: closed")
)

// Stats is a snapshot for /metrics. Counters only grow; Connections and
// QueuedBytes are gauges.
type Stats struct {
	Connections      int    // live connections on this node
	QueuedBytes      int64  // envelope bytes waiting in client queues
	Delivered        uint64 // envelopes written to sockets
	Frames           uint64 // frames written; Delivered/Frames is the batching factor
	Direct           uint64 // frames the fan-out wrote itself, with no writer goroutine (direct.go)
	DroppedClients   uint64 // clients cut off for being slow (queue over bound or write timeout)
	DroppedEphemeral uint64 // ephemeral envelopes dropped under backpressure
	PublishErrors    uint64 // failed Broker.Publish calls; their events reach clients only on resume
}

// Hub is the set of live connections of one node. All methods are safe for
// concurrent use.
type Hub struct {
	opt    Options
	log    *slog.Logger
	broker Broker
	ctx    context.Context // cancelled by Close; bounds broker calls
	cancel context.CancelFunc
	epoch  time.Time // origin of Client.writeStart
	frames sync.Pool // *[]byte batch buffers, shared by all writers

	mu     sync.RWMutex
	users  map[int64][]*Client // live clients by user; a client is here until removed
	conns  int
	closed bool

	presence      presence
	devices       devices    // sessions live on other nodes, for Web Push (devices.go)
	origin        string     // names this hub in presence announcements
	announcements chan Event // presence news for the other nodes, see announce
	annCtx        context.Context
	annCancel     context.CancelFunc // stops an announcement in flight when closing
	bg            sync.WaitGroup
	procs         int // goroutines one event's fan-out may use (direct.go)

	writers   sync.WaitGroup
	sweeper   chan struct{} // closed by Close to stop the write-timeout sweep
	closeOnce sync.Once

	delivered      atomic.Uint64
	framesOut      atomic.Uint64
	directOut      atomic.Uint64
	droppedClients atomic.Uint64
	droppedEph     atomic.Uint64
	publishErrors  atomic.Uint64
}

// New starts a hub: it subscribes to the broker and starts the write-timeout
// sweep. Close stops both.
func New(opt Options) *Hub {
	if opt.QueueBytes <= 0 {
		opt.QueueBytes = DefaultQueueBytes
	}
	if opt.MaxFrameBytes <= 0 {
		opt.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = DefaultWriteTimeout
	}
	if opt.PresenceInterval <= 0 {
		opt.PresenceInterval = DefaultPresenceInterval
	}
	if opt.PresenceRefresh <= 0 {
		opt.PresenceRefresh = DefaultPresenceRefresh
	}
	if opt.Broker == nil {
		opt.Broker = NewLocalBroker()
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	h := &Hub{
		opt:     opt,
		broker:  opt.Broker,
		log:     opt.Logger.With("component", "hub", "node", opt.NodeID),
		epoch:   time.Now(),
		users:   make(map[int64][]*Client),
		sweeper: make(chan struct{}),
		origin:  newOrigin(),
		procs:   procs(),

		announcements: make(chan Event, announceQueue),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.annCtx, h.annCancel = context.WithCancel(h.ctx)
	h.frames.New = func() any { b := make([]byte, 0, 4096); return &b }
	h.presence.init(opt.PresenceInterval)
	h.devices.init()
	h.broker.Subscribe(h.deliver)
	go h.sweep()
	h.announce(Event{Presence: &NodePresence{Node: h.origin, Sync: true}}) // learn who views what elsewhere
	h.bg.Add(2)
	go h.announcer()
	go h.devicesAnnouncer()
	return h
}

// Close disconnects every client, stops presence timers, closes the broker
// and waits for all writer goroutines to finish. It is idempotent.
func (h *Hub) Close() {
	h.closeOnce.Do(func() {
		h.mu.Lock()
		h.closed = true
		var all []*Client
		for _, cs := range h.users {
			all = append(all, cs...)
		}
		h.users = make(map[int64][]*Client)
		h.conns = 0
		h.mu.Unlock()
		for _, c := range all {
			c.gone.Store(true)
			c.kill(ErrClosed)
		}
		h.presence.close()
		close(h.sweeper)
		h.annCancel()
		h.bg.Wait()
		h.sayGone()
		if err := h.broker.Close(); err != nil {
			h.log.Warn("hub: close broker", "err", err)
		}
		h.cancel()
		h.writers.Wait()
	})
}

// Attach registers a live connection; its writer goroutine runs whenever
// something is queued. The
// caller must call Detach when the connection ends (idempotent) and should
// wait for Done before returning from the HTTP handler, so the final frames
// and the close reach the socket. Attach on a closed hub returns a client that
// is already disconnected.
func (h *Hub) Attach(userID, sessionID int64, conn Conn) *Client {
	return h.attach(userID, sessionID, conn, false)
}

// AttachHeld attaches like Attach, but the client's writer waits until
// Release: events fanned out to it meanwhile are queued, not written, so the
// envelope Release puts first (the protocol's welcome) is the first thing
// the client reads, although it was attached before the welcome was made
// (attaching first is what lets nothing committed meanwhile be missed).
// Kick and every kind of death write regardless.
func (h *Hub) AttachHeld(userID, sessionID int64, conn Conn) *Client {
	return h.attach(userID, sessionID, conn, true)
}

func (h *Hub) attach(userID, sessionID int64, conn Conn, held bool) *Client {
	c := newClient(h, userID, sessionID, conn)
	c.held = held
	h.mu.Lock()
	closed := h.closed
	first := !closed && !hasSession(h.users[userID], sessionID)
	if !closed {
		h.users[userID] = append(h.users[userID], c)
		h.conns++
		h.writers.Add(1) // under mu, so never concurrent with Close's Wait
		c.tracked = true
	}
	h.mu.Unlock()
	if closed {
		c.gone.Store(true)
		c.kill(ErrClosed) // starts the writer that closes the Conn
		return c
	}
	if in, ok := h.broker.(Interest); ok {
		in.Watch(userID)
	}
	if first {
		h.devicesChanged()
	}
	return c
}

// Detach drops a connection: its queue is discarded, its writer stops and
// closes the Conn, and its presence is removed at once (viewers are told
// within PresenceInterval). It is idempotent and safe after Done.
func (h *Hub) Detach(c *Client) {
	c.kill(ErrDetached)
	h.remove(c)
}

// DisconnectSession sends env (an error event telling why) to every
// connection of the session and then closes them; used when a session is
// revoked. Whatever was queued before is discarded: the client resumes later.
// A nil env just closes.
func (h *Hub) DisconnectSession(sessionID int64, env []byte) {
	var victims []*Client
	h.mu.RLock()
	for _, cs := range h.users {
		for _, c := range cs {
			if c.sessionID == sessionID {
				victims = append(victims, c)
			}
		}
	}
	h.mu.RUnlock()
	h.kick(victims, env)
}

// DisconnectUser is DisconnectSession for every connection of a user, e.g.
// when an account is disabled.
func (h *Hub) DisconnectUser(userID int64, env []byte) {
	h.mu.RLock()
	victims := append([]*Client(nil), h.users[userID]...)
	h.mu.RUnlock()
	h.kick(victims, env)
}

func (h *Hub) kick(victims []*Client, env []byte) {
	for _, c := range victims {
		c.closeWith(env, ErrKicked)
		h.remove(c)
	}
}

// Online reports whether the user has a live connection on this node; web
// push goes to users without one.
func (h *Hub) Online(userID int64) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.users[userID]) > 0
}

// Stats returns current counters. It walks all clients for the queue gauge,
// which is fine at scrape rate and keeps the hot path free of shared counters.
func (h *Hub) Stats() Stats {
	s := Stats{
		Delivered:        h.delivered.Load(),
		Frames:           h.framesOut.Load(),
		Direct:           h.directOut.Load(),
		DroppedClients:   h.droppedClients.Load(),
		DroppedEphemeral: h.droppedEph.Load(),
		PublishErrors:    h.publishErrors.Load(),
	}
	h.mu.RLock()
	s.Connections = h.conns
	for _, cs := range h.users {
		for _, c := range cs {
			s.QueuedBytes += int64(c.queued())
		}
	}
	h.mu.RUnlock()
	return s
}

// remove takes a client out of the index and out of presence. It is
// idempotent; the first call wins.
func (h *Hub) remove(c *Client) {
	if !c.gone.CompareAndSwap(false, true) {
		return
	}
	h.mu.Lock()
	cs := h.users[c.userID]
	for i, x := range cs {
		if x == c {
			cs[i] = cs[len(cs)-1]
			cs[len(cs)-1] = nil
			cs = cs[:len(cs)-1]
			h.conns--
			break
		}
	}
	if len(cs) == 0 {
		delete(h.users, c.userID)
	} else {
		h.users[c.userID] = cs
	}
	last := !hasSession(cs, c.sessionID)
	h.mu.Unlock()
	if last {
		h.devicesChanged()
	}
	h.leave(c)
	if in, ok := h.broker.(Interest); ok && c.tracked {
		in.Unwatch(c.userID)
	}
}

// Kick sends env (an error event saying why) to one connection, dropping
// whatever was queued before it, and then closes it: the browser cannot see
// close codes, so a fatal error must travel as an event first.
func (h *Hub) Kick(c *Client, env []byte) {
	h.kick([]*Client{c}, env)
}

// clients returns a snapshot of every live connection on this node.
func (h *Hub) clients() []*Client {
	h.mu.RLock()
	defer h.mu.RUnlock()
	all := make([]*Client, 0, h.conns)
	for _, cs := range h.users {
		all = append(all, cs...)
	}
	return all
}

// SendAll queues env for every connection on this node: the application
// heartbeat goes out this way, from one ticker for all connections rather
// than a goroutine each. A client over its bound is dropped as with Send.
func (h *Hub) SendAll(env []byte) {
	for _, c := range h.clients() {
		c.Send(env)
	}
}

// DisconnectAll sends env (why) to every connection on this node and closes
// them, e.g. when the server shuts down; clients reconnect and resume.
func (h *Hub) DisconnectAll(env []byte) {
	h.kick(h.clients(), env)
}
