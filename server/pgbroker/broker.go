// Package pgbroker carries hub events between Natter servers that share one
// PostgreSQL database, with LISTEN/NOTIFY, and carries the operator's
// commands (disconnect a disabled user, publish an announcement) from the
// admin CLI to every running server.
//
// Each Publish call is one NOTIFY transaction: a committed batch of events
// costs one round trip however many messages it holds. A batch larger than
// a NOTIFY payload (under 8000 bytes) is cut into several payloads sent in
// that one transaction, which PostgreSQL delivers together and in order; a
// single event larger than a payload is stored in the UNLOGGED table
// pgbroker_spill and only its key is notified.
//
// A node delivers its own events to its hub at once, in Publish, and skips
// them when they come back from PostgreSQL (by their origin, without
// checking or decoding them); other nodes deliver them when the
// notification arrives. So a node's own clients never wait for the
// database round trip, and every event reaches every node exactly once. A
// node alone sends no NOTIFY at all; peers.go says how nodes know of each
// other without missing one that starts.
//
// Hubs' presence announcements (hub.NodePresence) travel the same way, as
// events without recipients; the hub coalesces them so they cost at most
// one NOTIFY per 50 ms per node.
//
// Every payload is signed (see sign.go): a node drops, counts (Forged) and
// logs what anyone else NOTIFYs on the channel.
//
// Delivery is live only. When the listening connection drops, the broker
// reconnects (and logs both), but notifications sent in the gap are lost
// for that node: its clients get those events when they next resume from
// their cursors (DESIGN.md invariant 4), or at once if the server uses
// Options.OnReconnect to make them resume.
package pgbroker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"natter/server/hub"
)

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("pgbroker: broker closed")

// Options configures a Broker. Zero values take the defaults.
type Options struct {
	// Logger receives reconnects and undeliverable notifications (default
	// slog.Default).
	Logger *slog.Logger
	// PingInterval is how long the listener may hear nothing before it
	// checks its connection with a ping of its own (default 30s). A ping
	// unanswered for another interval means the connection is dead (a
	// half-open TCP connection, say), and it is replaced.
	PingInterval time.Duration
	// OnReconnect, when set, is called on the listener goroutine after the
	// listening connection was lost and made again. Notifications sent in
	// between are lost to this node, so a server that wants its clients to
	// converge at once (rather than on their next resume) can disconnect
	// them here; they reconnect and resume from their cursors.
	OnReconnect func()
}

// DefaultPingInterval is Options.PingInterval's default.
const DefaultPingInterval = 30 * time.Second

// Broker is a hub.Broker over PostgreSQL LISTEN/NOTIFY. Every node of a
// cluster makes one on the shared database and hands it to hub.New. Its
// methods are safe for concurrent use.
type Broker struct {
	db        *bun.DB
	opt       Options
	log       *slog.Logger
	origin    string        // random id of this broker, to recognise its own frames
	ownPrefix string        // how every payload of ours begins, after the signature
	signer    signer        // signs what we send, checks what we hear
	forged    atomic.Int64  // payloads dropped for a missing or wrong signature
	warned    time.Time     // when a forged payload was last logged; listener goroutine only
	batch     atomic.Uint64 // numbers this broker's batches
	ctx       context.Context
	cancel    context.CancelFunc // stops spill reads, heartbeats and reconnect waits

	mu       sync.RWMutex // guards the fields below; held while delivering locally
	subs     []func([]hub.Event)
	controls []func(Control)
	ln       *pgdriver.Listener
	closed   bool

	wg sync.WaitGroup // the listener and heartbeat goroutines

	pending map[string]*partial // batches with parts still to come; listener goroutine only

	peers    peers        // the other nodes; see peers.go
	key      atomic.Int64 // this node's advisory lock key
	lockMu   sync.Mutex   // guards lockConn
	lockConn *bun.Conn    // holds the advisory lock
}

// partial is a batch whose later parts have not arrived yet.
type partial struct {
	next   int
	events []hub.Event
}

var _ hub.Broker = (*Broker)(nil)

// New starts listening on db (the server's pool; the listener opens one
// more connection with the same settings) and returns once LISTEN is in
// effect, so everything any node publishes after New returns reaches it.
func New(ctx context.Context, db *bun.DB, opt Options) (*Broker, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.PingInterval <= 0 {
		opt.PingInterval = DefaultPingInterval
	}
	b := &Broker{
		db:      db,
		opt:     opt,
		log:     opt.Logger.With("component", "pgbroker"),
		origin:  newOrigin(),
		pending: make(map[string]*partial),
	}
	b.ownPrefix = `{"o":"` + b.origin + `"`
	b.ctx, b.cancel = context.WithCancel(context.Background())
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, confirmWait)
		defer cancel()
	}
	s, err := loadSigner(ctx, db)
	if err != nil {
		b.cancel()
		return nil, err
	}
	b.signer = s
	// What arrives before New returns has no subscriber yet to go to.
	ln, _, err := b.listen(ctx)
	if err != nil {
		b.cancel()
		return nil, fmt.Errorf("pgbroker: listen: %w", err)
	}
	jctx, jcancel := context.WithTimeout(b.ctx, joinWait+confirmWait)
	_, err = b.join(jctx, ln)
	jcancel()
	if err != nil {
		_ = ln.Close()
		b.unlock()
		b.cancel()
		return nil, fmt.Errorf("pgbroker: join: %w", err)
	}
	b.ln = ln
	b.wg.Add(2)
	go b.run(ln)
	go b.checkPeers()
	return b, nil
}

// newOrigin returns 16 random hex digits.
func newOrigin() string {
	var r [8]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(r[:])
}

// Publish delivers evs to this node's subscribers at once, then, if other
// nodes are running (see peers.go), sends them to those in one NOTIFY
// transaction; a node alone sends nothing. An error means the other nodes
// did not get them (their clients get them on resume); this node's clients
// did, unless the broker is closed or an event is not valid JSON.
func (b *Broker) Publish(ctx context.Context, evs []hub.Event) error {
	if len(evs) == 0 {
		return nil
	}
	// Read before delivering: a node that joins after this read was told
	// after these events were committed, so its clients replay them.
	alone := b.peers.n.Load() == 0
	var m message
	if !alone {
		var err error
		if m, err = encodeEvents(b.origin, b.batch.Add(1), evs); err != nil {
			return fmt.Errorf("pgbroker: publish: %w", err)
		}
	}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	for _, deliver := range b.subs {
		deliver(evs)
	}
	b.mu.RUnlock()
	if alone {
		return nil
	}
	if err := send(ctx, b.db, b.signer, m); err != nil {
		return fmt.Errorf("pgbroker: publish %d events: %w", len(evs), err)
	}
	return nil
}

// Subscribe registers a delivery function. It is called for this node's own
// batches on the publishing goroutine and for other nodes' batches on the
// listener goroutine, one call per batch with its events in order.
func (b *Broker) Subscribe(deliver func([]hub.Event)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.subs = append(b.subs, deliver)
	}
}

// OnControl registers a function for the operator's controls (see Notify),
// called on the listener goroutine in arrival order; Apply makes one that
// acts on a hub. Controls of kind "publish" never come here: their events
// go to the Subscribe functions like any other batch.
func (b *Broker) OnControl(fn func(Control)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.controls = append(b.controls, fn)
	}
}

// Close stops listening and delivering and waits for the listener and the
// heartbeat to stop; later Publish calls fail. It must not be called from a
// delivery or control function. It is idempotent.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.subs, b.controls = nil, nil
	ln := b.ln
	b.ln = nil
	b.mu.Unlock()
	b.sayBye()
	b.cancel()
	if ln != nil {
		_ = ln.Close()
	}
	b.wg.Wait()
	b.unlock()
	return nil
}

// Forged returns how many notifications this broker dropped because their
// signature was missing or wrong, or a spilled event did not match its
// signed reference. Anything above zero means someone other than Natter
// NOTIFYs on the channel (or a node runs a build without signatures); a
// server exports it as a metric.
func (b *Broker) Forged() int64 { return b.forged.Load() }

// dropForged counts a forged payload and logs it, at most once per
// forgedLogEvery so a flood cannot flood the log too.
func (b *Broker) dropForged(reason string, bytes int) {
	n := b.forged.Add(1)
	if now := time.Now(); now.Sub(b.warned) >= forgedLogEvery {
		b.warned = now
		b.log.Warn("pgbroker: dropped a notification that Natter did not sign; "+
			"some other client of the database NOTIFYs on the channel", "reason", reason, "bytes", bytes, "forged_total", n)
	}
}

// forgedLogEvery is the least time between two warnings about forged
// payloads.
const forgedLogEvery = 10 * time.Second

// isClosed reports whether Close has begun.
func (b *Broker) isClosed() bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.closed
}

// deliver hands a batch from another node to the subscribers.
func (b *Broker) deliver(evs []hub.Event) {
	if len(evs) == 0 {
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return
	}
	for _, d := range b.subs {
		d(evs)
	}
}

// control hands an operator control to the OnControl functions.
func (b *Broker) control(c Control) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return
	}
	for _, fn := range b.controls {
		fn(c)
	}
}
