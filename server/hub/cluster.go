package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"natter/shared"
)

// NodePresence is one node's presence news for the other nodes, carried by
// the broker in Event.Presence. Every node says it is alive every
// PresenceRefresh (a NodePresence with only Node set). While it has heard
// from another node in the last three refreshes, it also announces its own
// viewers of a conversation whenever they change (coalesced per
// conversation, at most one broker call per announceGap), all of them again
// every refresh, and that it is gone when it closes; the other nodes merge
// what they hear with their own viewers. A node that dies without saying so
// is forgotten once it has been silent for three refreshes. A node alone
// thus costs the broker one message per refresh, not one per scroll.
type NodePresence struct {
	// Node is the announcing hub's random origin, unique per process.
	Node string `json:"node"`
	// ConversationID is the conversation the news is about; empty with Sync
	// and Gone.
	ConversationID string `json:"conv,omitempty"`
	// Viewers replace whatever Node announced before for the conversation;
	// none means nobody there views it any more.
	Viewers []NodeViewer `json:"viewers,omitempty"`
	// Members are the conversation's members as Node knows them: whom a
	// node tells about viewers it has none of its own for.
	Members []int64 `json:"members,omitempty"`
	// Forget, when not 0, is a member just removed from the conversation:
	// every node drops their viewers there (see Hub.ForgetViewer).
	Forget int64 `json:"forget,omitempty"`
	// Sync asks every node to announce all its viewers now: Node has just
	// started and knows nothing.
	Sync bool `json:"sync,omitempty"`
	// Gone says Node is closing: drop everything it announced.
	Gone bool `json:"gone,omitempty"`
	// DevicesSet says Devices is the full list of sessions with a live
	// connection on Node (devices.go).
	DevicesSet bool    `json:"devices_set,omitempty"`
	Devices    []int64 `json:"devices,omitempty"`
}

// NodeViewer is one user's position on the announcing node.
type NodeViewer struct {
	shared.ReadPosition
	// At orders positions of one user across nodes (Unix nanoseconds):
	// the newest wins.
	At int64 `json:"at"`
}

// remoteView is what one other node last announced for a conversation.
type remoteView struct {
	viewers []NodeViewer
	seen    time.Time
}

// DefaultPresenceRefresh is Options.PresenceRefresh's default.
const DefaultPresenceRefresh = 10 * time.Second

// announceQueue bounds presence announcements waiting for the announcer.
// They are ephemeral: when it is this far behind, the next refresh repairs
// what was dropped.
const announceQueue = 1024

// announceGap is the least time between two broker calls carrying
// announcements: a NOTIFY transaction takes PostgreSQL's notify lock, so
// presence must not take it at the pace people scroll. What changes in
// between is coalesced, one state per conversation.
const announceGap = 50 * time.Millisecond

// newOrigin returns 16 random hex digits naming this hub among the nodes.
func newOrigin() string {
	var r [8]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(r[:])
}

// localState is this node's newest position per user in cv, for the other
// nodes. Called with presence.mu held.
func (h *Hub) localState(cv *conversation) *NodePresence {
	newest := make(map[int64]viewer, len(cv.viewers))
	for _, v := range cv.viewers {
		if cur, ok := newest[v.pos.UserID]; !ok || v.tick > cur.tick {
			newest[v.pos.UserID] = v
		}
	}
	np := &NodePresence{Node: h.origin, ConversationID: cv.id, Members: append([]int64(nil), cv.members...)}
	for _, v := range newest {
		np.Viewers = append(np.Viewers, NodeViewer{ReadPosition: v.pos, At: v.tick})
	}
	return np
}

// announce queues a presence event for the other nodes without blocking:
// it is called with presence.mu held, and a broker call there could wait on
// the database or, with the in-process broker, on another hub's lock. News
// about conversations is not sent while no other node is known: nobody
// would hear it, and a node that appears is answered with everything.
func (h *Hub) announce(ev Event) {
	if np := ev.Presence; (np.ConversationID != "" || np.Gone) && !h.hasPeers() {
		return
	}
	select {
	case h.announcements <- ev:
	default:
		h.droppedEph.Add(1) // the next refresh repairs it
	}
}

// announcer publishes queued announcements, coalesced per conversation,
// in one broker call at most every announceGap; and every PresenceRefresh
// it says this node is alive, re-announces its viewers and forgets other
// nodes that have gone silent.
func (h *Hub) announcer() {
	defer h.bg.Done()
	t := time.NewTicker(h.opt.PresenceRefresh)
	defer t.Stop()
	var pending []Event
	index := make(map[string]int) // conversation → its state's place in pending
	add := func(ev Event) {
		if np := ev.Presence; np.ConversationID != "" && np.Forget == 0 {
			if i, ok := index[np.ConversationID]; ok {
				pending[i] = ev // the newer state replaces the older
				return
			}
			index[np.ConversationID] = len(pending)
		}
		pending = append(pending, ev)
	}
	var gap <-chan time.Time // set while pending waits out announceGap
	var last time.Time
	for {
		select {
		case <-h.sweeper:
			return
		case ev := <-h.announcements:
			add(ev)
		case <-t.C:
			add(Event{Presence: &NodePresence{Node: h.origin}})
			for _, ev := range h.refresh(nil) {
				add(ev)
			}
		case <-gap:
			gap = nil
		}
		if len(pending) == 0 || gap != nil {
			continue
		}
		if wait := announceGap - time.Since(last); wait > 0 {
			gap = time.After(wait)
			continue
		}
		// Not PublishBatch: Close cancels annCtx, so a broker that hangs
		// cannot hold Close up on an announcement nobody needs any more.
		if err := h.broker.Publish(h.annCtx, pending); err != nil && h.annCtx.Err() == nil {
			h.publishErrors.Add(1)
			h.log.Warn("hub: announce presence", "events", len(pending), "err", err)
		}
		last = time.Now()
		pending = nil // the broker may still hold the old slice
		clear(index)
	}
}

// refresh appends this node's viewers of every conversation to evs and
// drops what other nodes announced more than three refreshes ago (a node
// that died without saying so).
func (h *Hub) refresh(evs []Event) []Event {
	p := &h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return evs
	}
	stale := time.Now().Add(-3 * h.opt.PresenceRefresh)
	for node, seen := range p.peers {
		if seen.Before(stale) {
			delete(p.peers, node)
		}
	}
	peers := h.hasPeers()
	for _, cv := range p.convs {
		if peers && len(cv.viewers) > 0 {
			evs = append(evs, Event{Presence: h.localState(cv)})
		}
		for node, r := range cv.remote {
			if r.seen.Before(stale) {
				delete(cv.remote, node)
				h.changed(cv)
			}
		}
	}
	return evs
}

// remotePresence merges another node's presence news into this node's and
// tells this node's members within the presence interval.
func (h *Hub) remotePresence(np *NodePresence) {
	if np.Node == h.origin {
		return // our own, back from the broker
	}
	if np.Forget != 0 {
		h.forget(np.ConversationID, np.Forget, np.Members, false)
		return
	}
	h.remoteDevices(np)
	p := &h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	_, known := p.peers[np.Node]
	if np.Gone {
		delete(p.peers, np.Node)
	} else {
		p.peers[np.Node] = time.Now()
	}
	switch {
	case np.Sync || (!known && !np.Gone):
		// A node that starts, or one not heard from for a while (it was
		// cut off), learns everything this node's people view, and which
		// devices are connected here.
		h.devicesChanged()
		for _, cv := range p.convs {
			if len(cv.viewers) > 0 {
				h.announce(Event{Presence: h.localState(cv)})
			}
		}
		if np.ConversationID != "" {
			h.remoteState(np)
		}
	case np.Gone:
		for _, cv := range p.convs {
			if _, ok := cv.remote[np.Node]; ok {
				delete(cv.remote, np.Node)
				h.changed(cv)
			}
		}
	case np.ConversationID != "":
		h.remoteState(np)
	}
}

// remoteState records another node's viewers of one conversation. Called
// with presence.mu held.
func (h *Hub) remoteState(np *NodePresence) {
	p := &h.presence
	{
		cv := p.convs[np.ConversationID]
		if cv == nil && len(np.Viewers) == 0 {
			return
		}
		if cv == nil {
			cv = p.conversation(np.ConversationID)
		}
		if len(np.Viewers) == 0 {
			delete(cv.remote, np.Node)
		} else {
			cv.remote[np.Node] = &remoteView{viewers: np.Viewers, seen: time.Now()}
		}
		if len(np.Members) > 0 {
			cv.members = append(cv.members[:0], np.Members...)
		}
		h.changed(cv)
	}
}

// hasPeers reports whether another node has been heard from in the last
// three refreshes. Called with presence.mu held.
func (h *Hub) hasPeers() bool {
	stale := time.Now().Add(-3 * h.opt.PresenceRefresh)
	for _, seen := range h.presence.peers {
		if seen.After(stale) {
			return true
		}
	}
	return false
}

// sayGone tells the other nodes this one is closing, so its viewers vanish
// from their lists at once rather than after three refreshes.
func (h *Hub) sayGone() {
	ctx, cancel := context.WithTimeout(h.ctx, 2*time.Second)
	defer cancel()
	if err := h.broker.Publish(ctx, []Event{{Presence: &NodePresence{Node: h.origin, Gone: true}}}); err != nil {
		h.log.Debug("hub: announce leaving", "err", err)
	}
}
