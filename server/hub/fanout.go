package hub

import (
	"context"
	"errors"
	"sync"
)

// Event is one envelope addressed to users. Payload is shared by every
// recipient and must not be modified after publishing.
type Event struct {
	// UserIDs are the recipients: every live connection of each. List a user
	// once, or they get it twice.
	UserIDs []int64
	// Payload is one encoded shared.Envelope (JSON, no newline inside).
	Payload []byte
	// Ephemeral marks traffic that may be dropped under backpressure.
	Ephemeral bool
	// ExceptSession, when not 0, skips that session's connections (e.g. the
	// sender's own typing).
	ExceptSession int64
	// Presence, when set, is not for clients: it carries one node's
	// presence to the other nodes' hubs (UserIDs and Payload are empty).
	// Brokers carry it like any event; see NodePresence.
	Presence *NodePresence
	// Lead, when set, is an answer for one local connection to queue
	// ahead of this event (see Lead). It stays on this node: brokers do
	// not carry it.
	Lead *Lead
}

// Broker carries events to every node's hub, this one included: a hub only
// delivers what its broker hands back, so all nodes see one order.
type Broker interface {
	// Publish hands events to every subscriber, in order. The in-process
	// broker delivers before returning; a networked one (PostgreSQL NOTIFY)
	// should send one message per call, not one per event.
	Publish(ctx context.Context, evs []Event) error
	// Subscribe registers a delivery function. Deliveries for one Publish
	// call come in one call, in order; calls for different publishes may run
	// concurrently unless the broker serialises them.
	Subscribe(deliver func([]Event))
	// Close stops delivery; later Publish calls fail.
	Close() error
}

// Interest is implemented by brokers that hand a node only the events of
// users connected to it (NATS, with a subject per user), rather than every
// event of the cluster (PostgreSQL NOTIFY). The hub calls Watch on every
// Attach, before Attach returns, and Unwatch when that client goes; the
// broker counts them and stops listening for a user at the last Unwatch.
type Interest interface {
	// Watch starts delivery of userID's events to this node, if it has not
	// started already; once it returns, events published anywhere reach
	// this node (so a replay that follows misses nothing).
	Watch(userID int64)
	// Unwatch undoes one Watch.
	Unwatch(userID int64)
}

// ErrBrokerClosed is returned by the local broker after Close.
var ErrBrokerClosed = errors.New("hub: broker closed")

// NewLocalBroker returns an in-process broker. Several hubs subscribed to
// one local broker behave like nodes of one cluster, which is how tests
// exercise cross-node delivery.
func NewLocalBroker() Broker { return &localBroker{} }

type localBroker struct {
	mu     sync.RWMutex
	subs   []func([]Event)
	closed bool
}

func (b *localBroker) Publish(_ context.Context, evs []Event) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrBrokerClosed
	}
	for _, deliver := range b.subs {
		deliver(evs)
	}
	return nil
}

func (b *localBroker) Subscribe(deliver func([]Event)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, deliver)
}

func (b *localBroker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.subs = nil
	return nil
}

// Publish sends one event to its recipients on every node. It never blocks
// on a socket; with the local broker the envelope is queued for every local
// recipient before it returns. Events published in order by one goroutine
// reach each client in that order.
func (h *Hub) Publish(ev Event) {
	h.PublishBatch([]Event{ev})
}

// PublishBatch is Publish for many events in one broker call: one NOTIFY
// for a committed batch rather than one per message.
func (h *Hub) PublishBatch(evs []Event) {
	if len(evs) == 0 {
		return
	}
	if err := h.broker.Publish(h.ctx, evs); err != nil {
		h.publishErrors.Add(1)
		h.log.Warn("hub: publish", "events", len(evs), "err", err)
	}
}

// deliver is the broker's callback: queue each event for its local
// recipients, then cut off the clients that overflowed.
func (h *Hub) deliver(evs []Event) {
	for _, c := range h.fanout(evs) {
		h.slowed(c)
	}
	for i := range evs {
		if np := evs[i].Presence; np != nil {
			h.remotePresence(np)
		}
	}
}

// fanout queues events for local recipients under the index read lock and
// returns the clients that overflowed, for the caller to cut off outside the
// lock. Ephemeral events never overflow.
func (h *Hub) fanout(evs []Event) (overflowed []*Client) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return nil
	}
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && sameAudience(&evs[i], &evs[j]) {
			j++
		}
		h.fanoutGroup(evs[i:j], &overflowed)
		i = j
	}
	return overflowed
}
