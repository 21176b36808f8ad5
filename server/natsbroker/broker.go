// Package natsbroker carries hub events between Natter servers through NATS,
// for clusters where PostgreSQL NOTIFY is the bottleneck: NOTIFY serialises
// every notifying commit on one lock and caps a payload at 8,000 bytes,
// while NATS spreads messages over subjects and takes a megabyte each.
//
// Subjects are per user: an event for three people is published on
// <prefix>.u.<id> of each, and a node subscribes to a user's subject while
// that user has a connection there (hub.Interest), so a node receives only
// what its own connections need. Presence announcements, which every node
// needs, go on <prefix>.nodes.
//
// A node delivers its own events to its hub at once, in Publish, and skips
// them when they come back, as pgbroker does. Delivery is live only (core
// NATS, no JetStream): when the connection drops, nats.go reconnects and
// resubscribes by itself, events published meanwhile are lost for this
// node, and its clients get them when they resume from their cursors, or
// at once if the server uses Options.OnReconnect to make them resume.
//
// Who may publish is NATS's business: give the nodes a NATS user (in the
// URL, nats://user:password@host:4222) that alone may publish on the
// prefix's subjects.
package natsbroker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"natter/server/hub"
)

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("natsbroker: broker closed")

// Options configures a Broker. Zero values take the defaults.
type Options struct {
	// Prefix starts every subject (default "natter"); clusters sharing one
	// NATS need different ones.
	Prefix string
	// Name names this node's NATS connection, for the NATS monitor.
	Name string
	// Logger receives disconnects and undeliverable messages (default
	// slog.Default).
	Logger *slog.Logger
	// OnReconnect, when set, is called after the connection was lost and
	// made again. Events published in between are lost to this node, so a
	// server that wants its clients to converge at once can disconnect them
	// here; they reconnect and resume from their cursors.
	OnReconnect func()
}

// subscribeWait bounds the round trip that confirms a new subscription.
const subscribeWait = 5 * time.Second

// Broker is a hub.Broker and hub.Interest over NATS. Its methods are safe
// for concurrent use.
type Broker struct {
	nc     *nats.Conn
	opt    Options
	log    *slog.Logger
	origin string
	nodes  *nats.Subscription

	mu     sync.RWMutex // guards subs and closed; held (read) while delivering
	subs   []func([]hub.Event)
	closed bool

	wmu     sync.Mutex // guards watched; held across a subscription's confirmation
	watched map[int64]*watch
}

// watch is one user's subscription and how many connections need it.
type watch struct {
	n   int
	sub *nats.Subscription
}

var (
	_ hub.Broker   = (*Broker)(nil)
	_ hub.Interest = (*Broker)(nil)
)

// New connects to url (comma-separated for several servers) and subscribes
// to the nodes subject. It returns once the server has confirmed the
// subscription, so presence announced after New returns reaches this node.
func New(ctx context.Context, url string, opt Options) (*Broker, error) {
	if opt.Prefix == "" {
		opt.Prefix = "natter"
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	b := &Broker{opt: opt, log: opt.Logger.With("component", "natsbroker"), origin: newOrigin(), watched: make(map[int64]*watch)}
	nc, err := nats.Connect(url,
		nats.Name(opt.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			b.log.Warn("natsbroker: connection lost; reconnecting", "err", err)
		}),
		nats.ReconnectHandler(func(*nats.Conn) {
			b.log.Warn("natsbroker: reconnected; events published meanwhile reach this node's clients when they resume")
			if opt.OnReconnect != nil {
				opt.OnReconnect()
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			b.log.Warn("natsbroker: asynchronous error", "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("natsbroker: connect: %w", err)
	}
	b.nc = nc
	if b.nodes, err = nc.Subscribe(b.nodesSubject(), b.receive(0)); err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsbroker: subscribe: %w", err)
	}
	if err := b.confirm(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return b, nil
}

// confirm waits for the server to have processed everything sent so far.
func (b *Broker) confirm(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, subscribeWait)
	defer cancel()
	if err := b.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("natsbroker: confirm subscription: %w", err)
	}
	return nil
}

func (b *Broker) nodesSubject() string { return b.opt.Prefix + ".nodes" }

func (b *Broker) userSubject(id int64) string {
	return b.opt.Prefix + ".u." + strconv.FormatInt(id, 10)
}

// newOrigin returns 16 random hex digits.
func newOrigin() string {
	var r [8]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(r[:])
}

// Publish delivers evs to this node's subscribers at once, then publishes
// them to the other nodes: one message per recipient user with that user's
// events in order, and one on the nodes subject for presence. An error
// means some other nodes did not get them (their clients get them on
// resume). While the connection is down, nats.go buffers what is published
// and sends it on reconnect.
func (b *Broker) Publish(_ context.Context, evs []hub.Event) error {
	if len(evs) == 0 {
		return nil
	}
	msgs, err := encode(b.origin, evs, maxMessage)
	if err != nil {
		return fmt.Errorf("natsbroker: publish: %w", err)
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
	var errs []error
	for _, m := range msgs {
		subject := b.nodesSubject()
		if m.user != 0 {
			subject = b.userSubject(m.user)
		}
		if err := b.nc.Publish(subject, m.data); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("natsbroker: publish %d events: %w", len(evs), err)
	}
	return nil
}

// Subscribe registers a delivery function: called for this node's own
// events on the publishing goroutine, and for other nodes' on NATS's
// goroutine of the subject (one per subscription, so one user's events
// come in order).
func (b *Broker) Subscribe(deliver func([]hub.Event)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.subs = append(b.subs, deliver)
	}
}

// Watch subscribes to userID's subject unless this node already does, and
// returns once NATS has confirmed it.
func (b *Broker) Watch(userID int64) {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if b.watched == nil {
		return // closed
	}
	if w := b.watched[userID]; w != nil {
		w.n++
		return
	}
	sub, err := b.nc.Subscribe(b.userSubject(userID), b.receive(userID))
	if err != nil {
		b.log.Warn("natsbroker: subscribe; this user's events from other nodes arrive on resume", "user", userID, "err", err)
		return
	}
	b.watched[userID] = &watch{n: 1, sub: sub}
	// Holding wmu keeps a concurrent Watch of the same user from returning
	// before the subscription is in effect. While NATS is away there is
	// nothing to wait for: nats.go sends the subscription on reconnect, and
	// OnReconnect makes the clients resume; waiting would stall every
	// connection that opens meanwhile.
	if !b.nc.IsConnected() {
		return
	}
	if err := b.confirm(context.Background()); err != nil {
		b.log.Warn("natsbroker: subscription not confirmed", "user", userID, "err", err)
	}
}

// Unwatch undoes one Watch, unsubscribing at the last.
func (b *Broker) Unwatch(userID int64) {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	w := b.watched[userID]
	if w == nil {
		return
	}
	if w.n--; w.n > 0 {
		return
	}
	delete(b.watched, userID)
	if err := w.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		b.log.Warn("natsbroker: unsubscribe", "user", userID, "err", err)
	}
}

// Watched returns how many users this node subscribes to, for metrics and
// tests.
func (b *Broker) Watched() int {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	return len(b.watched)
}

// receive returns the handler of one subject: a user's (userID) or the
// nodes' (0).
func (b *Broker) receive(userID int64) nats.MsgHandler {
	return func(m *nats.Msg) {
		origin, evs, err := decode(m.Data, userID)
		if err != nil {
			b.log.Warn("natsbroker: undecodable message", "subject", m.Subject, "err", err)
			return
		}
		if origin == b.origin || len(evs) == 0 {
			return // delivered locally by Publish
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
}

// Close stops delivery and closes the connection after sending what is
// buffered (the hub's last presence announcement). It is idempotent.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.subs = nil
	b.mu.Unlock()
	b.wmu.Lock()
	b.watched = nil
	b.wmu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = b.nc.FlushWithContext(ctx) // presence "gone" and the last events
	cancel()
	b.nc.Close()
	return nil
}
