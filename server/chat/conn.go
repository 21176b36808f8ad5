package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"natter/server/hub"
	"natter/server/store"
	"natter/shared"
)

// Conn is one authenticated client connection as the protocol sees it: who
// it is, what it may still spend, and the queue of its admitted actions. The
// transport (server/web) feeds it frames with Receive and stops reading when
// Receive says so or Done is closed.
//
// Actions run one after another in the order they arrived, on a worker that
// exists only while the queue is not empty, so the effects of one device's
// outbox land in its order and an idle connection costs no goroutine.
type Conn struct {
	s       *Service
	client  *hub.Client
	sess    store.SessionRecord
	user    shared.User
	budget  *userBudget
	limits  [classCount]*rate.Limiter
	device  string
	viewing string
	cursors map[string]int64 // from hello: where the client's copy of each conversation ends
	events  map[string]int64 // from hello: the client's event cursors (replay_changes.go)

	helloDone bool
	answers   uint64 // numbered answers given out to pipelined sends (work only)
	garbage   int    // malformed frames in a row
	refused   int    // strikes: +1 per refused frame, -1 per admitted one

	mu      sync.Mutex
	queue   []shared.Envelope
	running bool
	kicked  bool // a fatal error is draining: do not cut it off
	idle    *sync.Cond
}

// ErrTooManyConnections refuses a connection past Limits.ConnsPerUser or
// Limits.OpensPerMinute; the client retries with backoff.
var ErrTooManyConnections = &shared.Error{Code: shared.CodeTooManyConnections, Fatal: true, RetryAfter: 5000,
	Message: "Too many Natter windows or devices of yours are connecting at once; this one reconnects by itself in a moment."}

// Open attaches a connection of sess's user to the hub. conn is the
// transport's socket; the hub owns its writes and its Close from now on.
// It fails with ErrTooManyConnections past the user's connection cap or
// rate.
//
// The cap on live connections (ConnsPerUser) and the budgets are this
// node's, in memory; the rate of opening (OpensPerMinute) is also counted
// for the whole cluster in the database, as a backstop: a person spread
// over N nodes holds at most N times the cap, and cannot reopen faster
// than once the rate in all, so the replays opening costs stay bounded.
func (s *Service) Open(ctx context.Context, sess store.SessionRecord, conn hub.Conn) (*Conn, error) {
	b, ok := s.users.open(sess.UserID)
	if !ok {
		s.metrics.refusedConns.Add(1)
		return nil, ErrTooManyConnections
	}
	if !s.clusterOpen(ctx, sess.UserID) {
		s.users.close(sess.UserID)
		s.metrics.refusedConns.Add(1)
		return nil, ErrTooManyConnections
	}
	l := s.cfg.Limits
	c := &Conn{
		s:      s,
		sess:   sess,
		user:   sess.User.User,
		budget: b,
		limits: [classCount]*rate.Limiter{
			classAction: rate.NewLimiter(rate.Limit(l.ActionRate), l.ActionBurst),
			classRead:   rate.NewLimiter(rate.Limit(l.ReadRate), l.ReadBurst),
			classSignal: rate.NewLimiter(rate.Limit(l.SignalRate), l.SignalBurst),
		},
	}
	c.idle = sync.NewCond(&c.mu)
	// Held until hello has been answered: live events fanned out before the
	// welcome wait behind it (see hello).
	c.client = s.hub.AttachHeld(sess.UserID, sess.ID, conn)
	s.metrics.conns.Add(1)
	return c, nil
}

// clusterOpen takes one of the user's connection opens from the bucket all
// nodes share. When the database cannot answer, it allows: this node's own
// limits still hold, and the replay that follows needs the database anyway.
func (s *Service) clusterOpen(ctx context.Context, userID int64) bool {
	n := s.cfg.Limits.OpensPerMinute
	if n <= 0 {
		return true
	}
	_, ok, err := s.store.TakeToken(ctx, "opens:"+strconv.FormatInt(userID, 10), time.Now(), float64(n)/60, n)
	if err != nil {
		s.log.Warn("chat: cluster-wide connection rate", "user", userID, "err", err)
		return true
	}
	return ok
}

// Done is closed when the hub has dropped the connection (slow, kicked,
// revoked or closed): the transport stops reading then.
func (c *Conn) Done() <-chan struct{} { return c.client.Done() }

// Close ends the connection: it waits for the action being applied, drops
// the ones still queued (the client replays them), detaches from the hub
// and waits until the hub has written what is due and closed the socket.
func (c *Conn) Close() {
	c.mu.Lock()
	c.queue = nil
	for c.running {
		c.idle.Wait()
	}
	kicked := c.kicked
	c.mu.Unlock()
	if !kicked {
		c.s.hub.Detach(c.client)
	}
	<-c.client.Done()
	c.s.users.close(c.user.ID)
	c.s.metrics.conns.Add(-1)
}

// Refuse tells a client whose connection cannot be opened why, and closes
// it: the browser sees neither HTTP statuses nor close codes, so the reason
// travels as an event.
func Refuse(ctx context.Context, write func(ctx context.Context, frame []byte) error, e *shared.Error) {
	fatal := *e // a copy: e may be shared, as ErrTooManyConnections is
	fatal.Fatal = true
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = write(ctx, errorEnvelope("", &fatal))
}

// maxGarbage is how many malformed frames in a row a connection may send
// before it is taken for hostile and closed.
const maxGarbage = 20

// Receive takes one text frame from the client. It reports whether the
// connection may stay up; when it may not, the reason has been queued to the
// client and the hub closes the socket after writing it.
func (c *Conn) Receive(ctx context.Context, frame []byte) bool {
	var env shared.Envelope
	if err := json.Unmarshal(frame, &env); err != nil || env.Type == "" {
		return c.Malformed("", "The frame is not a JSON envelope with a type.")
	}
	c.garbage = 0
	if !c.helloDone {
		if env.Type != shared.TypeHello {
			c.fatal("", &shared.Error{Code: shared.CodeMalformed, Message: "The first message must be hello."})
			return false
		}
		if !c.hello(ctx, env) {
			return false
		}
		c.helloDone = true
		// Nothing of its own follows the replay for a while: the writer
		// leaves once caught_up is out rather than linger.
		c.client.RetireWhenEmpty()
		return true
	}
	if !c.admit(env) {
		return c.refused <= c.s.cfg.Limits.RefusedMax || c.flooded()
	}
	switch classOf(env.Type) {
	case classSignal:
		// Signals are answered at once, beside the queue: ephemeral
		// traffic never waits behind durable work, nor delays it.
		c.signal(ctx, env)
	default:
		c.enqueue(env)
	}
	return true
}

// Malformed answers a frame that cannot be understood and reports whether
// the connection may stay up.
func (c *Conn) Malformed(id, msg string) bool {
	c.garbage++
	if c.garbage > maxGarbage {
		c.fatal(id, &shared.Error{Code: shared.CodeMalformed, Message: "Too many malformed frames; closing the connection."})
		return false
	}
	c.reply(id, &shared.Error{Code: shared.CodeMalformed, Message: msg})
	return true
}

// Invalid answers a frame refused for its text (a lone surrogate escape)
// and reports whether the connection may stay up; nothing of it is applied.
func (c *Conn) Invalid(msg string) bool {
	c.garbage++
	if c.garbage > maxGarbage {
		c.fatal("", &shared.Error{Code: shared.CodeInvalid, Message: "Too many invalid frames; closing the connection."})
		return false
	}
	c.reply("", &shared.Error{Code: shared.CodeInvalid, Message: msg})
	return true
}

// admit charges a frame against the connection's and the user's budget of
// its class, and against the queue bound; a refused durable action or
// request is answered with rate_limited and how long to wait, a refused
// signal is dropped.
func (c *Conn) admit(env shared.Envelope) bool {
	cl := classOf(env.Type)
	now := time.Now()
	ok, wait := take(now, 1, c.limits[cl], c.budget.classes[cl])
	if ok && cl != classSignal {
		c.mu.Lock()
		full := len(c.queue) >= c.s.cfg.Limits.QueueMax
		c.mu.Unlock()
		if full {
			ok, wait = false, 100*time.Millisecond
		}
	}
	if ok {
		c.refused = max(c.refused-1, 0)
		return true
	}
	c.refused++
	c.s.metrics.refused[cl].Add(1)
	if cl != classSignal {
		c.reply(env.ID, &shared.Error{Code: shared.CodeRateLimited, RetryAfter: retryAfter(wait),
			Message: fmt.Sprintf("You are sending too fast; wait %s and it goes through.", humanWait(wait))})
	}
	return false
}

// flooded closes a connection that keeps sending after being told to stop.
func (c *Conn) flooded() bool {
	c.fatal("", &shared.Error{Code: shared.CodeRateLimited, RetryAfter: 10_000,
		Message: "This connection kept sending far too fast and was closed; it reconnects by itself."})
	return false
}

func humanWait(d time.Duration) string {
	if d < time.Second {
		return "a moment"
	}
	return d.Round(time.Second).String()
}

// enqueue adds an admitted action to the queue and starts the worker if it
// is not running.
func (c *Conn) enqueue(env shared.Envelope) {
	c.mu.Lock()
	c.queue = append(c.queue, env)
	start := !c.running
	c.running = true
	c.mu.Unlock()
	if start {
		go c.work()
	}
}

// maxInflight bounds the sends one connection has committing at once.
const maxInflight = 64

// inflight is a send handed to the group commit whose answer is still due.
type inflight struct {
	id   string
	conv string
	job  *sendJob
}

// work applies queued actions in arrival order until the queue is empty.
//
// Sends are pipelined: a send is handed to its conversation's commit lane
// and the next action is read without waiting for the commit, up to
// maxInflight, so one connection's sends share commits instead of taking
// one each. Order is kept: sends to one conversation commit in the order
// they were queued; a send to another conversation, or any other action,
// first waits for the sends in flight; and answers go out in the order the
// actions came, so an error never overtakes an earlier ack. The sends'
// answers are numbered (hub.Client.SendAnswer): the fan-out queues an ack
// ahead of its echo, in one frame, when it is the next one due, and this
// goroutine sends the others in order. (A frame refused on arrival, for a
// spent budget or a full queue, is answered at once: it never entered the
// queue, and its answer names its id.)
func (c *Conn) work() {
	ctx := c.s.ctx
	var pending []inflight
	answer := func(p inflight) {
		msg, err := p.job.result(ctx)
		switch {
		case err != nil:
			c.client.SendAnswer(p.job.answer, errorEnvelope(p.id, c.s.publicError(c.user.ID, p.id, err)))
		case !p.job.acked():
			_, ack := messageFrames(&msg, p.id)
			c.client.SendAnswer(p.job.answer, ack)
		}
	}
	drain := func() {
		for _, p := range pending {
			answer(p)
		}
		clear(pending)
		pending = pending[:0]
	}
	for {
		c.mu.Lock()
		if len(c.queue) == 0 && len(pending) > 0 {
			c.mu.Unlock()
			drain() // nothing else to do: wait for the commits, then look again
			continue
		}
		if len(c.queue) == 0 {
			c.running = false
			c.idle.Broadcast()
			c.mu.Unlock()
			return
		}
		env := c.queue[0]
		c.queue[0] = shared.Envelope{}
		c.queue = c.queue[1:]
		c.mu.Unlock()
		select {
		case <-c.client.Done():
			continue // the client is gone: it replays what it did not get acked
		default:
		}
		if req, ok := pipelined(env); ok {
			switch {
			case len(pending) > 0 && pending[0].conv != req.ConversationID:
				drain() // another conversation: one at a time keeps the answers in order
			case len(pending) >= maxInflight:
				answer(pending[0])
				pending = append(pending[:0], pending[1:]...)
			}
			c.s.metrics.actions.Add(1)
			job, err := c.s.sends.submit(ctx, c.user.ID, env.ID, req.ConversationID, req.Body, c.client, c.answers)
			if err != nil {
				drain()
				c.replyErr(env.ID, err)
				continue
			}
			c.answers++
			pending = append(pending, inflight{id: env.ID, conv: req.ConversationID, job: job})
			// Answer what has committed already, in order.
			for len(pending) > 0 && pending[0].job.ready() {
				answer(pending[0])
				pending = append(pending[:0], pending[1:]...)
			}
			continue
		}
		drain()
		ack, err := c.s.Apply(ctx, c.actor(), env)
		switch {
		case err != nil:
			c.replyErr(env.ID, err)
		case ack != nil:
			c.reply(env.ID, *ack)
		}
	}
}

// pipelined reports whether env is a send that can go through the
// pipeline, decoded. Anything that is not a well-formed send takes the
// ordinary path (after the sends in flight), where it gets its answer.
func pipelined(env shared.Envelope) (shared.MessageSend, bool) {
	var req shared.MessageSend
	if env.Type != shared.TypeMessageSend || !shared.IsUUID(env.ID) || decode(env, &req) != nil || isReply(req) {
		return req, false
	}
	return req, true
}

// actor is who this connection acts as.
func (c *Conn) actor() Actor {
	return Actor{UserID: c.user.ID, Nickname: c.user.Nickname, SessionID: c.sess.ID, budget: c.budget, conn: c}
}

// fatal sends a terminal error, lets the writer flush it, and ends the
// connection.
func (c *Conn) fatal(id string, e *shared.Error) {
	e.Fatal = true
	c.mu.Lock()
	c.kicked = true
	c.mu.Unlock()
	c.s.hub.Kick(c.client, errorEnvelope(id, e))
}

// reply sends an ack (data) or an error (when data is a *shared.Error).
func (c *Conn) reply(id string, data any) {
	if e, ok := data.(*shared.Error); ok {
		c.client.Send(errorEnvelope(id, e))
		return
	}
	c.client.Send(encode(shared.TypeAck, id, 0, data))
}

// replyErr answers a failed action: domain errors as they are, internal ones
// behind a retryable code (logged).
func (c *Conn) replyErr(id string, err error) {
	c.reply(id, c.s.publicError(c.user.ID, id, err))
}

// SessionID is the session the connection belongs to, for logs.
func (c *Conn) SessionID() int64 { return c.sess.ID }
