package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"natter/shared"
)

// fanPhase is one timed phase of the fan-out: messages at a fixed rate, or
// (rate 0) as fast as the windows allow.
type fanPhase struct {
	name    string
	rate    float64
	senders int
}

// fanTarget is the server a fan-out runs against: Natter (hello, cookies,
// a database to check) or the baseline hub (none of that).
type fanTarget struct {
	name   string
	srv    *server   // the senders' node, whose CPU and metrics a phase reports
	nodes  []*server // further nodes receivers are spread over (cluster scenario)
	hello  bool
	tokens []string // one per member; empty for the baseline
	conv   string
	db     *database // nil for the baseline
	pgDir  string
}

// node is the server client i connects to: senders on the first node,
// receivers spread over every node, the first included.
func (t fanTarget) node(i, senders int) *server {
	if len(t.nodes) == 0 || i < senders {
		return t.srv
	}
	k := i % (len(t.nodes) + 1)
	if k == 0 {
		return t.srv
	}
	return t.nodes[k-1]
}

// one is the picker of a single server.
func one(srv *server) func(int) *server { return func(int) *server { return srv } }

// phaseResult is what one phase measured.
type phaseResult struct {
	name       string
	rate       float64
	senders    int
	duration   time.Duration
	sent, acks int64
	errs       map[string]int64
	unanswered int
	receivers  int   // connections alive at the end of the phase
	delivered  int64 // message.created received, all connections
	elapsed    time.Duration
	lat        hist    // send → receive, every delivery
	ack        hist    // send → ack
	cpu        cpuUse  // while sending
	serverCPU  float64 // server CPU-seconds from the first send to the last delivery
	mismatched int     // live receivers whose count for the phase differs from the acks
	metrics    map[string]float64
}

// perServerCore is deliveries per second of server CPU: what one core
// would deliver, whoever else shares the machine.
func (r *phaseResult) perServerCore() float64 {
	if r.serverCPU <= 0 {
		return 0
	}
	return float64(r.delivered) / r.serverCPU
}

func (r *phaseResult) deliveriesPerSec() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.delivered) / r.elapsed.Seconds()
}

// fanResult is a whole fan-out run and its end-to-end checks.
type fanResult struct {
	target    string
	members   int
	connect   time.Duration
	phases    []phaseResult
	acks      int64 // over all phases
	committed int64 // rows in messages for the conversation; -1 without a database
	finalSeq  int64 // what every receiver's last seq must be
	alive     int
	once      int   // live receivers that got every seq up to finalSeq exactly once
	inOrder   int   // live receivers that never got a seq after a higher one
	dups      int64 // over all receivers: a seq received again
	missing   int64 // over all receivers: a seq never received
	reorders  int64 // over all receivers: a seq received after a higher one
}

// runFanout connects one client per member, runs the phases and checks
// that every acked message was committed and reached every receiver once,
// in order. The first senders-many clients also send.
func runFanout(ctx context.Context, o *options, t fanTarget, members int, phases []fanPhase) (*fanResult, error) {
	track := &tracker{}
	maxSenders := 0
	for _, p := range phases {
		maxSenders = max(maxSenders, p.senders)
	}
	senders := make([]*sender, maxSenders)
	// Rows already in the conversation (an earlier scenario, an earlier
	// round of a paired run) are not this run's.
	var before int64
	if t.db != nil {
		n, err := t.db.count(ctx, "SELECT count(*) FROM messages WHERE conversation_id = ?", t.conv)
		if err != nil {
			return nil, err
		}
		before = n
	}
	start := time.Now()
	logf("%s: connecting %d members", t.name, members)
	clients, err := connectAll(ctx, o, func(i int) *server { return t.node(i, maxSenders) }, members, track, t.hello,
		func(i int) string {
			if i < len(t.tokens) {
				return t.tokens[i]
			}
			return ""
		},
		func(i int) (func(*shared.Envelope, int64), func(*client)) {
			if i >= maxSenders {
				return nil, nil
			}
			s := newSender(t.conv, o.window, o.bodyBytes)
			return s.replies, func(c *client) { s.c, senders[i] = c, s }
		})
	defer closeAll(clients)
	if err != nil {
		return nil, fmt.Errorf("natterbench: %s: connect: %w", t.name, err)
	}
	res := &fanResult{target: t.name, members: members, connect: time.Since(start), committed: -1}
	logf("%s: %d members caught up in %s", t.name, members, res.connect.Round(time.Millisecond))

	for p, ph := range phases {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pause(ctx, time.Second)
		r := runFanPhase(ctx, o, t, p, ph, clients, senders[:ph.senders], track)
		res.phases = append(res.phases, r)
		res.acks += r.acks
		logf("%s %s: %d msgs acked, %d deliveries in %s = %.0f/s, p50 %s p99 %s, errors %v, %d/%d receivers alive",
			t.name, ph.name, r.acks, r.delivered, r.elapsed.Round(time.Millisecond), r.deliveriesPerSec(),
			r.lat.quantile(0.5), r.lat.quantile(0.99), r.errs, r.receivers, members)
	}

	res.finalSeq = before + res.acks
	if t.db != nil {
		n, err := t.db.count(ctx, "SELECT count(*) FROM messages WHERE conversation_id = ?", t.conv)
		if err != nil {
			return nil, err
		}
		res.committed, res.finalSeq = n-before, n
	}
	for _, c := range clients {
		if !c.alive() {
			continue
		}
		res.alive++
		k := c.check(res.finalSeq)
		res.dups += k.dups
		res.missing += k.missing + k.extra
		res.reorders += k.reorders
		if k.dups == 0 && k.missing == 0 && k.extra == 0 {
			res.once++
		}
		if k.reorders == 0 {
			res.inOrder++
		}
	}
	return res, nil
}

// runFanPhase runs phase p for o.duration, waits for the replies and the
// deliveries (each wait bounded), and gathers every connection's figures.
func runFanPhase(ctx context.Context, o *options, t fanTarget, p int, ph fanPhase, clients []*client, senders []*sender, track *tracker) phaseResult {
	r := phaseResult{name: ph.name, rate: ph.rate, senders: ph.senders, duration: o.duration, errs: map[string]int64{}}
	before := map[string]int64{}
	for _, s := range senders {
		for k, v := range s.errCounts() {
			before[k] += v
		}
	}
	m0 := t.srv.metrics(ctx)
	cpu0 := sampleCPU(t.srv.pid(), t.pgDir)
	stopPerf := perf(o.perfDir, t.name+"-"+strings.ReplaceAll(ph.name, "/", "per"), t.srv.pid(), o.duration)
	if ph.rate == 0 {
		if o.deliveryWindow > 0 {
			w := newDeliveryWindow(countAlive(clients), o.deliveryWindow)
			track.window.Store(w)
			for _, s := range senders {
				s.window.Store(w)
			}
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	if ph.rate == 0 {
		for _, s := range senders {
			wg.Add(1)
			go func() { defer wg.Done(); s.runMax(p, stop) }()
		}
	} else {
		slots := make([]chan int64, len(senders))
		for i, s := range senders {
			slots[i] = make(chan int64, 4096)
			wg.Add(1)
			go func() { defer wg.Done(); s.runPaced(p, slots[i], stop) }()
		}
		go schedule(start, o.duration, ph.rate, slots, stop)
	}
	pause(ctx, o.duration)
	close(stop)
	r.cpu = cpu0.to(sampleCPU(t.srv.pid(), t.pgDir))
	r.metrics = delta(m0, t.srv.metrics(ctx))
	wg.Wait()
	deadline := time.Now().Add(o.drainTimeout)
	for _, s := range senders {
		r.unanswered += s.drain(deadline)
		r.sent += s.sent[p].Load()
		r.acks += s.acks[p].Load()
		r.ack.merge(s.ackLatency(p))
		for k, v := range s.errCounts() {
			if d := v - before[k]; d > 0 {
				r.errs[k] = d
			}
		}
	}
	for time.Now().Before(deadline) && ctx.Err() == nil &&
		track.delivered[p].Load() < r.acks*int64(countAlive(clients)) {
		time.Sleep(5 * time.Millisecond)
	}
	r.serverCPU = sampleCPU(t.srv.pid(), "").server - cpu0.server
	track.window.Store(nil)
	for _, s := range senders {
		s.window.Store(nil)
	}
	stopPerf()
	var last int64
	for _, c := range clients {
		n, h, at := c.snapshot(p)
		r.delivered += n
		r.lat.merge(h)
		last = max(last, at)
		if c.alive() {
			r.receivers++
			if n != r.acks {
				r.mismatched++
			}
		}
	}
	if last > 0 {
		r.elapsed = time.Unix(0, last).Sub(start)
	}
	return r
}

// schedule hands out send slots at rate per second, round robin, until d
// has passed; a slot's value is its planned time (unix nanos).
func schedule(start time.Time, d time.Duration, rate float64, slots []chan int64, stop <-chan struct{}) {
	defer func() {
		for _, s := range slots {
			close(s)
		}
	}()
	interval := time.Duration(float64(time.Second) / rate)
	n := int(math.Floor(d.Seconds() * rate))
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			select {
			case <-time.After(wait):
			case <-stop:
				return
			}
		}
		select {
		case slots[i%len(slots)] <- at.UnixNano():
		case <-stop:
			return
		}
	}
}

func countAlive(cs []*client) int {
	n := 0
	for _, c := range cs {
		if c.alive() {
			n++
		}
	}
	return n
}

// pause sleeps for d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

// delta subtracts counter snapshots.
func delta(a, b map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(b))
	for k, v := range b {
		out[k] = v - a[k]
	}
	return out
}
