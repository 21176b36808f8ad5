package hub

import (
	"slices"
	"sync"
	"time"
)

// Devices across nodes, for Web Push: a device (a session: one browser
// profile, however many tabs) with a live connection anywhere in the
// cluster is told of a new message by that connection (live, or with a
// local notification when its tab is hidden), so it must get no push.
//
// Every node knows its own connections at once. It tells the others which
// sessions it holds the way it tells them its viewers (cluster.go): a
// NodePresence with DevicesSet and the full list, sent whenever a session
// gains its first or loses its last connection here (coalesced, at most
// one per announceGap) and again every PresenceRefresh, so a node that
// missed one catches up and a crashed node's devices vanish after three
// silent refreshes. The cost is one list per change burst, not one
// announcement per connection.
//
// What another node says can be up to announceGap plus the broker's
// latency old: a tab closed on node B in the same few milliseconds a
// message commits on node A can miss its push; the message still waits in
// the conversation.
type devices struct {
	mu     sync.Mutex
	remote map[string]*remoteDevices // by node origin
	kick   chan struct{}             // a local session came or went
}

type remoteDevices struct {
	sessions map[int64]struct{}
	seen     time.Time
}

func (d *devices) init() {
	d.remote = make(map[string]*remoteDevices)
	d.kick = make(chan struct{}, 1)
}

// devicesChanged asks the device announcer to tell the other nodes this
// node's sessions. It never blocks.
func (h *Hub) devicesChanged() {
	select {
	case h.devices.kick <- struct{}{}:
	default:
	}
}

// hasSession reports whether one of cs is on sessionID. Called with mu held.
func hasSession(cs []*Client, sessionID int64) bool {
	return slices.ContainsFunc(cs, func(c *Client) bool { return c.sessionID == sessionID })
}

// localSessions lists the sessions with a live connection on this node.
func (h *Hub) localSessions() []int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []int64
	for _, cs := range h.users {
		for _, c := range cs {
			if c.sessionID != 0 {
				out = append(out, c.sessionID)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// devicesAnnouncer tells the other nodes this node's sessions after each
// change (waiting out announceGap between two) and every PresenceRefresh.
func (h *Hub) devicesAnnouncer() {
	defer h.bg.Done()
	t := time.NewTicker(h.opt.PresenceRefresh)
	defer t.Stop()
	for {
		select {
		case <-h.sweeper:
			return
		case <-h.devices.kick:
		case <-t.C:
		}
		h.presence.mu.Lock()
		peers := h.hasPeers()
		h.presence.mu.Unlock()
		if peers {
			h.announce(Event{Presence: &NodePresence{Node: h.origin, DevicesSet: true, Devices: h.localSessions()}})
		}
		select {
		case <-h.sweeper:
			return
		case <-time.After(announceGap):
		}
	}
}

// remoteDevices records another node's list of sessions, or forgets the
// node when it is gone.
func (h *Hub) remoteDevices(np *NodePresence) {
	d := &h.devices
	d.mu.Lock()
	defer d.mu.Unlock()
	if np.Gone {
		delete(d.remote, np.Node)
		return
	}
	if !np.DevicesSet {
		return
	}
	set := make(map[int64]struct{}, len(np.Devices))
	for _, id := range np.Devices {
		set[id] = struct{}{}
	}
	d.remote[np.Node] = &remoteDevices{sessions: set, seen: time.Now()}
}

// DeviceConnected reports whether the session has a live connection on
// this node or, as last announced, on another one.
func (h *Hub) DeviceConnected(sessionID int64) bool {
	h.mu.RLock()
	for _, cs := range h.users {
		if hasSession(cs, sessionID) {
			h.mu.RUnlock()
			return true
		}
	}
	h.mu.RUnlock()
	d := &h.devices
	d.mu.Lock()
	defer d.mu.Unlock()
	stale := time.Now().Add(-3 * h.opt.PresenceRefresh)
	for node, r := range d.remote {
		if r.seen.Before(stale) {
			delete(d.remote, node)
			continue
		}
		if _, ok := r.sessions[sessionID]; ok {
			return true
		}
	}
	return false
}

// Viewing reports whether the user has a connection, on any node, showing
// the conversation in a visible tab: clients stop viewing when their tab
// is hidden, so presence's viewers are exactly that.
func (h *Hub) Viewing(convID string, userID int64) bool {
	p := &h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	cv := p.convs[convID]
	if cv == nil {
		return false
	}
	for c := range cv.viewers {
		if c.userID == userID {
			return true
		}
	}
	stale := time.Now().Add(-3 * h.opt.PresenceRefresh)
	for _, r := range cv.remote {
		if r.seen.Before(stale) {
			continue
		}
		for _, v := range r.viewers {
			if v.UserID == userID {
				return true
			}
		}
	}
	return false
}
