// Package push sends Web Push notifications (RFC 8030, encrypted per RFC
// 8291, signed with VAPID per RFC 8292, through webpush-go) to the devices
// of conversation members who are not connected: the other half of
// Natter's notifications, for people whose every tab is closed.
//
// The node whose group commit stored a message decides its pushes, once:
// it asks the store for the members' subscriptions (never the sender's,
// never for a muted conversation), drops members with a visible tab on the
// conversation and devices with any live connection, on any node (the
// hub's cluster presence, see hub.DeviceConnected and hub.Viewing), claims
// the message in the database so that a replayed send does not notify
// again, and hands each delivery to a bounded pool of workers that retry
// with backoff.
package push

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"natter/server/hub"
	"natter/server/store"
	"natter/shared"
)

// Config tunes the sender. Zero values mean the defaults.
type Config struct {
	// Subject is the VAPID contact (a mailto: or https: URL) push services
	// may use to reach the operator. Default "mailto:natter@localhost".
	Subject string
	// Workers is how many pushes are sent at once (default 8).
	Workers int
	// Queue bounds the messages waiting to be looked at (default 4096);
	// past it new ones are dropped and counted, never waited for.
	Queue int
	// TTL is how long a push service keeps a push for an offline device
	// (default 24 hours).
	TTL time.Duration
	// Retries is how many times a failed delivery (network error, 429,
	// 5xx) is tried again (default 3), waiting Backoff, then twice as long
	// each time (default 1 second), or what Retry-After asks up to a minute.
	Retries int
	Backoff time.Duration
	// HTTPClient sends the pushes; default NewHTTPClient(AllowPrivate).
	HTTPClient *http.Client
	// AllowPrivate accepts endpoints on loopback and private addresses:
	// only for tests with a push service of their own.
	AllowPrivate bool
	// Loud names the members a message must reach even if they muted its
	// conversation; it runs on the planner, once per message. By default
	// it is the people the message @mentions (store.MentionedMembers:
	// members, not the sender, not anyone who blocked the sender).
	Loud func(ctx context.Context, m shared.Message) []int64
}

func (c *Config) defaults() {
	if c.Subject == "" {
		c.Subject = "mailto:natter@localhost"
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.Queue <= 0 {
		c.Queue = 4096
	}
	if c.TTL <= 0 {
		c.TTL = 24 * time.Hour
	}
	if c.Retries < 0 {
		c.Retries = 0
	} else if c.Retries == 0 {
		c.Retries = 3
	}
	if c.Backoff <= 0 {
		c.Backoff = time.Second
	}
	if c.HTTPClient == nil {
		c.HTTPClient = NewHTTPClient(c.AllowPrivate)
	}
}

// Pusher decides and sends the pushes of new messages. Its methods are
// safe for concurrent use.
type Pusher struct {
	cfg     Config
	st      *store.Store
	hub     *hub.Hub
	log     *slog.Logger
	keys    keyCache
	metrics metrics

	in         chan job
	deliveries chan delivery
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

// New starts a Pusher: one planner and cfg.Workers senders. Close stops
// them.
func New(cfg Config, st *store.Store, h *hub.Hub, log *slog.Logger) *Pusher {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	if cfg.Loud == nil {
		cfg.Loud = mentioned(st, log)
	}
	p := &Pusher{cfg: cfg, st: st, hub: h, log: log.With("component", "push"), keys: keyCache{st: st},
		in: make(chan job, cfg.Queue), deliveries: make(chan delivery, cfg.Workers),
		ctx: ctx, cancel: cancel}
	p.wg.Add(2 + cfg.Workers)
	go p.plan()
	go p.sweep()
	for range cfg.Workers {
		go p.work()
	}
	return p
}

// Close stops sending; pushes not yet sent are dropped (their messages wait
// in the conversations).
func (p *Pusher) Close() {
	p.cancel()
	p.wg.Wait()
}

// PublicKey returns the VAPID public key browsers subscribe with, read
// from the database each time (it is asked for only when subscribing), so
// a device subscribing right after a rotation gets the new key at once.
func (p *Pusher) PublicKey(ctx context.Context) (string, error) {
	k, err := LoadKeys(ctx, p.st)
	return k.Public, err
}

// CheckEndpoint validates a subscription's endpoint under this Pusher's
// address rule (see CheckEndpoint).
func (p *Pusher) CheckEndpoint(endpoint string) error {
	return CheckEndpoint(endpoint, p.cfg.AllowPrivate)
}

// Notify queues newly committed messages for their pushes. It never
// blocks: a full queue drops them (counted), since waiting here would slow
// the group commit's fan-out.
func (p *Pusher) Notify(msgs ...shared.Message) {
	for _, m := range msgs {
		if m.Kind == shared.KindSystem || m.SenderID == 0 || m.DeletedAt != nil {
			continue // announcements and erased messages notify nobody
		}
		p.queue(job{m: m})
	}
}

// NotifyAdded queues pushes telling people they were added to a
// conversation, or with started that someone started one with them: by is
// who added them, whose own devices are never told.
func (p *Pusher) NotifyAdded(conv shared.Conversation, byID int64, by string, added []int64, started bool) {
	var who []int64
	for _, id := range added {
		if id != byID {
			who = append(who, id)
		}
	}
	if len(who) > 0 {
		p.queue(job{m: shared.Message{ConversationID: conv.ID, SenderID: byID, Sender: by}, added: who, created: started})
	}
}

// job is one thing to push about: a new message, or people added.
type job struct {
	m       shared.Message
	added   []int64 // people added: m has only the conversation and who added them
	created bool    // the conversation is new (nothing said in it yet)
}

// queue hands a job to the planner without blocking.
func (p *Pusher) queue(j job) {
	select {
	case p.in <- j:
	default:
		p.metrics.dropped.Add(1)
	}
}

// plan turns each message into deliveries, one at a time.
func (p *Pusher) plan() {
	defer p.wg.Done()
	defer close(p.deliveries)
	for {
		select {
		case <-p.ctx.Done():
			return
		case j := <-p.in:
			p.planJob(j)
		}
	}
}

// planJob finds the devices to push a job to and queues a delivery for
// each; see the package comment for who gets one.
func (p *Pusher) planJob(j job) {
	m := j.m
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	var loud []int64
	if p.cfg.Loud != nil && j.added == nil {
		loud = p.cfg.Loud(ctx, m)
	}
	conv, targets, err := p.st.PushTargets(ctx, m.ConversationID, m.SenderID, j.added, loud)
	if err != nil {
		p.metrics.failed("lookup")
		p.log.Warn("push: look up targets", "conversation", m.ConversationID, "seq", m.Seq, "err", err)
		return
	}
	var out []store.PushTarget
	viewing := map[int64]bool{}
	for _, t := range targets {
		v, ok := viewing[t.UserID]
		if !ok {
			v = p.hub.Viewing(m.ConversationID, t.UserID)
			viewing[t.UserID] = v
		}
		switch {
		case v:
			p.metrics.skipped("viewing")
		case t.SessionID != 0 && p.hub.DeviceConnected(t.SessionID):
			p.metrics.skipped("connected")
		default:
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return
	}
	claim := []int64{m.Seq}
	if j.added != nil {
		// Being added is claimed per person under a negative seq, which no
		// message has: a replayed create or add pushes nothing new.
		claim = claim[:0]
		for _, t := range out {
			claim = append(claim, -t.UserID)
		}
	}
	first, err := p.claim(ctx, m.ConversationID, claim)
	if err != nil {
		p.metrics.failed("lookup")
		p.log.Warn("push: claim", "conversation", m.ConversationID, "seq", m.Seq, "err", err)
		return
	}
	for _, t := range out {
		if !first[t.UserID] && !first[0] {
			continue
		}
		d := delivery{sub: t.Sub, topic: topic(m.ConversationID), payload: payloadFor(j, conv, t)}
		select {
		case p.deliveries <- d:
		case <-p.ctx.Done():
			return
		}
	}
}

// claim claims each key and says who may be pushed: key 0 in the result
// stands for everyone (a message claimed once for all), a user id for one
// person added. A replay finds its claims taken and pushes nothing.
func (p *Pusher) claim(ctx context.Context, convID string, seqs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	for _, seq := range seqs {
		ok, err := p.st.ClaimPush(ctx, convID, seq)
		if err != nil {
			return nil, err
		}
		if ok && seq > 0 {
			out[0] = true
		} else if ok {
			out[-seq] = true
		}
	}
	return out, nil
}

// sweep drops old push claims now and then.
func (p *Pusher) sweep() {
	defer p.wg.Done()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
			if err := p.st.SweepPushClaims(p.ctx); err != nil && p.ctx.Err() == nil {
				p.log.Warn("push: sweep claims", "err", err)
			}
		}
	}
}
