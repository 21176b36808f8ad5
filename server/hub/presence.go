package hub

import (
	"cmp"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"natter/shared"
)

// presence tracks, per conversation, which local connections view it and
// where they are (read-position ghosts). Broadcasts are throttled per
// conversation: the first change goes out at once, later ones within the
// interval are coalesced into one broadcast at its end. State is removed the
// moment a connection stops viewing or closes; there is no sweeper.
//
// Presence crosses nodes (see cluster.go): each node announces its own
// viewers of a conversation to the others through the broker, and tells its
// own clients the union of its viewers and every other node's. Lock order:
// presence.mu, then Hub.mu, then Client.mu.
type presence struct {
	mu       sync.Mutex
	convs    map[string]*conversation
	interval time.Duration
	tick     int64 // orders updates (Unix ns, strictly increasing), so a user's newest position wins
	closed   bool
	peers    map[string]time.Time // other nodes, by origin: when last heard from
}

// conversation is the presence state of one conversation.
type conversation struct {
	id      string
	viewers map[*Client]viewer
	remote  map[string]*remoteView // other nodes' viewers, by node origin
	members []int64                // whom to tell: the newest members list given here or by another node
	last    time.Time
	timer   *time.Timer // pending coalesced broadcast
	dirty   bool        // local viewers changed since the last announcement to other nodes
}

type viewer struct {
	pos  shared.ReadPosition
	tick int64
}

// next returns a new tick: wall-clock nanoseconds, so ticks from different
// nodes compare (to the precision of their clocks), and strictly increasing
// here. Called with mu held.
func (p *presence) next() int64 {
	p.tick = max(p.tick+1, time.Now().UnixNano())
	return p.tick
}

func (p *presence) init(interval time.Duration) {
	p.convs = make(map[string]*conversation)
	p.peers = make(map[string]time.Time)
	p.interval = interval
}

func (p *presence) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, cv := range p.convs {
		if cv.timer != nil {
			cv.timer.Stop()
			cv.timer = nil
		}
		for c := range cv.viewers {
			c.viewing = nil
		}
	}
	clear(p.convs)
}

// SetViewing records that c views pos.ConversationID at pos (seq + offset)
// and broadcasts the conversation's viewers to members, throttled. The caller
// has checked that c's user is a member and passes the member ids (the hub
// keeps a copy). A client views one conversation at a time: viewing another
// leaves the first. pos.UserID is set from the client; Nickname is kept as
// given. An empty ConversationID means StopViewing.
func (h *Hub) SetViewing(c *Client, pos shared.ReadPosition, members []int64) {
	if pos.ConversationID == "" {
		h.StopViewing(c)
		return
	}
	p := &h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || c.gone.Load() {
		return // a detached client must not come back as a ghost
	}
	pos.UserID = c.userID
	if cv := c.viewing; cv != nil && cv.id != pos.ConversationID {
		delete(cv.viewers, c)
		c.viewing = nil
		cv.dirty = true
		h.changed(cv)
	}
	cv := p.conversation(pos.ConversationID)
	old, had := cv.viewers[c]
	cv.members = append(cv.members[:0], members...)
	if had && old.pos == pos {
		return
	}
	cv.viewers[c] = viewer{pos: pos, tick: p.next()}
	c.viewing = cv
	cv.dirty = true
	h.changed(cv)
}

// StopViewing removes c from the conversation it views, if any; the other
// members learn it within the presence interval.
func (h *Hub) StopViewing(c *Client) {
	h.leave(c)
}

// leave is StopViewing; remove calls it for every departing client.
func (h *Hub) leave(c *Client) {
	p := &h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	cv := c.viewing
	if cv == nil || p.closed {
		return
	}
	delete(cv.viewers, c)
	c.viewing = nil
	cv.dirty = true
	h.changed(cv)
}

// conversation returns id's state, made empty when there is none. Called
// with mu held.
func (p *presence) conversation(id string) *conversation {
	cv := p.convs[id]
	if cv == nil {
		cv = &conversation{id: id, viewers: make(map[*Client]viewer), remote: make(map[string]*remoteView)}
		p.convs[id] = cv
	}
	return cv
}

// changed schedules a broadcast for cv: now if the last one is older than the
// interval, else once at the end of it, coalescing everything in between.
// Called with presence.mu held.
func (h *Hub) changed(cv *conversation) {
	p := &h.presence
	if cv.timer != nil {
		return
	}
	wait := p.interval - time.Since(cv.last)
	if wait <= 0 {
		h.broadcast(cv)
		return
	}
	cv.timer = time.AfterFunc(wait, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed || cv.timer == nil {
			return
		}
		cv.timer = nil
		h.broadcast(cv)
	})
}

// broadcast sends cv's viewers, this node's and the others', to its members
// on this node as an ephemeral presence envelope, announces this node's
// viewers to the other nodes when they changed, and forgets cv once nobody
// views it anywhere. Called with presence.mu held, which keeps broadcasts of
// one conversation in order.
func (h *Hub) broadcast(cv *conversation) {
	p := &h.presence
	cv.last = time.Now()
	if cv.dirty {
		cv.dirty = false
		h.announce(Event{Presence: h.localState(cv)})
	}
	if len(cv.viewers) == 0 && len(cv.remote) == 0 && p.convs[cv.id] == cv {
		delete(p.convs, cv.id)
	}
	if len(cv.members) == 0 {
		return
	}
	// One entry per user: with several connections the newest position wins,
	// wherever they are connected.
	newest := make(map[int64]viewer, len(cv.viewers))
	add := func(v viewer) {
		if cur, ok := newest[v.pos.UserID]; !ok || v.tick > cur.tick {
			newest[v.pos.UserID] = v
		}
	}
	for _, v := range cv.viewers {
		add(v)
	}
	for _, r := range cv.remote {
		for _, v := range r.viewers {
			add(viewer{pos: v.ReadPosition, tick: v.At})
		}
	}
	msg := shared.Presence{ConversationID: cv.id, Viewers: make([]shared.ReadPosition, 0, len(newest))}
	for _, v := range newest {
		msg.Viewers = append(msg.Viewers, v.pos)
	}
	slices.SortFunc(msg.Viewers, func(a, b shared.ReadPosition) int { return cmp.Compare(a.UserID, b.UserID) })
	env, err := encodePresence(msg)
	if err != nil {
		h.log.Error("hub: encode presence", "conversation", cv.id, "err", err)
		return
	}
	// Ephemeral: fanout cannot overflow anyone, so nothing to cut off here.
	h.fanout([]Event{{UserIDs: cv.members, Payload: env, Ephemeral: true}})
}

func encodePresence(msg shared.Presence) ([]byte, error) {
	env, err := shared.NewEnvelope(shared.TypePresence, "", 0, msg)
	if err != nil {
		return nil, err
	}
	env.V = shared.ProtocolVersion
	return json.Marshal(env)
}

// ForgetViewer ends a removed member's presence in a conversation on every
// node: their connections stop being listed as viewers, and the
// conversation's remaining members (who alone hear of it from now on) learn
// it within the presence interval. Without it a removed member would keep
// receiving who reads where until they looked elsewhere.
func (h *Hub) ForgetViewer(convID string, userID int64, members []int64) {
	h.forget(convID, userID, members, true)
}

// forget is ForgetViewer; tell says whether to tell the other nodes (not
// when they told us).
func (h *Hub) forget(convID string, userID int64, members []int64, tell bool) {
	p := &h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	if tell && !p.closed {
		h.announce(Event{Presence: &NodePresence{Node: h.origin, ConversationID: convID, Forget: userID, Members: members}})
	}
	cv := p.convs[convID]
	if cv == nil || p.closed {
		return
	}
	cv.members = append(cv.members[:0], members...)
	for c := range cv.viewers {
		if c.userID == userID {
			delete(cv.viewers, c)
			c.viewing = nil
			cv.dirty = true
		}
	}
	for node, r := range cv.remote {
		r.viewers = slices.DeleteFunc(r.viewers, func(v NodeViewer) bool { return v.UserID == userID })
		if len(r.viewers) == 0 {
			delete(cv.remote, node)
		}
	}
	h.changed(cv)
}
