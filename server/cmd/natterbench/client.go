package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"natter/shared"
)

// maxPhases bounds the timed phases one connection takes part in; the
// phase travels in every message body, so a receiver files each delivery
// under the phase it was sent in without asking anyone.
const maxPhases = 8

// Message bodies are "nb <phase> <unix nanos> <padding>": the receiver finds
// the send time in the frame without decoding the JSON.
var (
	createdPrefix = []byte(`{"type":"message.created"`)
	seqKey        = []byte(`"seq":`)
	bodyMarker    = []byte(`"body":"nb `)
)

// tracker is what the connections of one run share: per-phase delivery
// counts (added once per frame, not per message) and, while a saturated
// phase runs, the delivery window.
type tracker struct {
	delivered [maxPhases]atomic.Int64
	window    atomic.Pointer[deliveryWindow]
}

// deliveryWindow closes the sending loop on delivery rather than on the ack:
// a message holds a credit until every receiver has it. Natter acks after
// the commit and fans out afterwards, so a window of unacked sends alone
// would let senders outrun the writers until the hub cut receivers off as
// too slow; this measures how fast deliveries can go without that.
type deliveryWindow struct {
	receivers int32
	slots     [1 << 16]atomic.Int32 // deliveries per seq, by seq modulo the ring
	credits   chan struct{}
}

func newDeliveryWindow(receivers, credits int) *deliveryWindow {
	w := &deliveryWindow{receivers: int32(receivers), credits: make(chan struct{}, credits)}
	for range credits {
		w.credits <- struct{}{}
	}
	return w
}

// got counts one delivery of seq and frees its credit with the last one.
func (w *deliveryWindow) got(seq int64) {
	s := &w.slots[seq&(1<<16-1)]
	if s.Add(1) == w.receivers {
		s.Store(0)
		w.release()
	}
}

func (w *deliveryWindow) release() {
	select {
	case w.credits <- struct{}{}:
	default: // cannot happen while credits are conserved; never block a reader
	}
}

// phaseStat is one connection's view of one phase.
type phaseStat struct {
	n    int64
	h    *hist
	last int64 // unix nanos of the last delivery
}

// client is one WebSocket connection with a single reader goroutine. The
// reader answers pings, follows the seq of the conversation it watches and
// records the latency of every message.created carrying our body format.
type client struct {
	ws      *websocket.Conn
	track   *tracker
	ready   chan struct{} // closed at caught_up
	done    chan struct{} // closed when the reader stops
	err     error         // why it stopped; read after done
	replies func(env *shared.Envelope, now int64)

	mu       sync.Mutex
	caught   bool
	base     int64    // the conversation's last seq when we caught up
	seen     []uint64 // bitmap of the live seqs received, from base+1
	maxSeq   int64
	dups     int64 // a seq received again
	reorders int64 // a seq received after a higher one
	phases   [maxPhases]phaseStat
	fatal    string // the last error event that named no action
	buf      []byte
	closedOK atomic.Bool // we closed it on purpose
}

// loopbackClient dials without any proxy: the benchmark only ever talks to
// 127.0.0.1.
var loopbackClient = &http.Client{Transport: &http.Transport{
	Proxy:             nil,
	DialContext:       (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	DisableKeepAlives: true,
}}

// dial opens a WebSocket to url (ws://127.0.0.1:port/ws) with the Origin the
// server expects and, for Natter, the session cookie.
func dial(ctx context.Context, url, origin, token string) (*websocket.Conn, error) {
	h := http.Header{}
	h.Set("Origin", origin)
	if token != "" {
		h.Set("Cookie", shared.SessionCookie+"="+token)
	}
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPClient:      loopbackClient,
		HTTPHeader:      h,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(16 << 20)
	return ws, nil
}

// newClient wraps ws and starts its reader. With hello set it sends hello
// and ready closes at caught_up; otherwise (the baseline hub) at once.
func newClient(ws *websocket.Conn, track *tracker, hello bool, replies func(*shared.Envelope, int64)) (*client, error) {
	c := &client{ws: ws, track: track, ready: make(chan struct{}), done: make(chan struct{}), replies: replies}
	if !hello {
		c.caught = true
		close(c.ready)
	}
	go c.read()
	if hello {
		msg := fmt.Sprintf(`{"v":%d,"type":"hello","data":{"protocol":%d,"device":"natterbench"}}`,
			shared.ProtocolVersion, shared.ProtocolVersion)
		if err := ws.Write(context.Background(), websocket.MessageText, []byte(msg)); err != nil {
			ws.CloseNow()
			return nil, fmt.Errorf("hello: %w", err)
		}
	}
	return c, nil
}

// waitReady waits for caught_up, the reader's end, or ctx.
func (c *client) waitReady(ctx context.Context) error {
	select {
	case <-c.ready:
		return nil
	case <-c.done:
		return fmt.Errorf("connection ended before caught_up: %v %s", c.err, c.fatal)
	case <-ctx.Done():
		return fmt.Errorf("waiting for caught_up: %w", ctx.Err())
	}
}

// close drops the connection without the closing handshake.
func (c *client) close() {
	c.closedOK.Store(true)
	c.ws.CloseNow()
}

// alive reports whether the reader still runs.
func (c *client) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

func (c *client) read() {
	defer close(c.done)
	for {
		frame, err := c.frame()
		if err != nil {
			c.err = err
			return
		}
		if c.process(frame, time.Now().UnixNano()) {
			_ = c.ws.Write(context.Background(), websocket.MessageText, []byte(`{"type":"pong"}`))
		}
		if cap(c.buf) > 256<<10 { // one huge replay frame need not stay with us
			c.buf = nil
		}
	}
}

// frame reads one message into the connection's reused buffer.
func (c *client) frame() ([]byte, error) {
	_, r, err := c.ws.Reader(context.Background())
	if err != nil {
		return nil, err
	}
	if c.buf == nil {
		c.buf = make([]byte, 0, 4096)
	}
	b := c.buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	c.buf = b
	return b, nil
}

// process handles every envelope of a frame and reports whether a ping
// asked for a pong.
func (c *client) process(frame []byte, now int64) (pong bool) {
	var counts [maxPhases]int64
	w := c.track.window.Load()
	c.mu.Lock()
	for len(frame) > 0 {
		line := frame
		if i := bytes.IndexByte(frame, '\n'); i >= 0 {
			line, frame = frame[:i], frame[i+1:]
		} else {
			frame = nil
		}
		if len(line) == 0 {
			continue
		}
		if bytes.HasPrefix(line, createdPrefix) {
			c.created(line, now, &counts, w)
			continue
		}
		var env shared.Envelope
		if json.Unmarshal(line, &env) != nil {
			continue
		}
		switch env.Type {
		case shared.TypePing:
			pong = true
		case shared.TypeAck, shared.TypeError:
			if env.ID != "" && c.replies != nil {
				c.replies(&env, now)
			} else if env.Type == shared.TypeError {
				c.fatal = string(env.Data)
			}
		case shared.TypeConversationUpdated:
			var conv struct {
				LastSeq int64 `json:"last_seq"`
			}
			if !c.caught && json.Unmarshal(env.Data, &conv) == nil {
				c.base = max(c.base, conv.LastSeq)
			}
		case shared.TypeCaughtUp:
			if !c.caught {
				c.caught = true
				close(c.ready)
			}
		}
	}
	c.mu.Unlock()
	for p, n := range counts {
		if n > 0 {
			c.track.delivered[p].Add(n)
		}
	}
	return pong
}

// created records a live message.created: its seq (exactly once? in
// order?) and its latency. Replayed history (before caught_up) only set the
// starting seq. Only a first receipt counts as a delivery.
func (c *client) created(line []byte, now int64, counts *[maxPhases]int64, w *deliveryWindow) {
	seq, _ := intAfter(line, seqKey)
	if !c.caught || !c.mark(seq) {
		return
	}
	phase, stamp, ok := bodyStamp(line)
	if !ok {
		return
	}
	st := &c.phases[phase]
	if st.h == nil {
		st.h = new(hist)
	}
	st.h.add(now - stamp)
	st.n++
	st.last = now
	counts[phase]++
	if w != nil {
		w.got(seq)
	}
}

// mark notes seq in the bitmap and reports whether it is its first receipt.
func (c *client) mark(seq int64) bool {
	if seq <= c.base {
		c.dups++
		return false
	}
	i := seq - c.base - 1
	word := int(i >> 6)
	for len(c.seen) <= word {
		c.seen = append(c.seen, 0)
	}
	bit := uint64(1) << (i & 63)
	if c.seen[word]&bit != 0 {
		c.dups++
		return false
	}
	c.seen[word] |= bit
	if seq < c.maxSeq {
		c.reorders++
	}
	c.maxSeq = max(c.maxSeq, seq)
	return true
}

// bodyStamp finds "nb <phase> <nanos>" in an envelope.
func bodyStamp(b []byte) (phase int, stamp int64, ok bool) {
	i := bytes.Index(b, bodyMarker)
	if i < 0 {
		return 0, 0, false
	}
	b = b[i+len(bodyMarker):]
	if len(b) < 3 || b[0] < '0' || b[0] > '9' || b[1] != ' ' {
		return 0, 0, false
	}
	phase = int(b[0] - '0')
	if phase >= maxPhases {
		return 0, 0, false
	}
	stamp, ok = parseInt(b[2:])
	return phase, stamp, ok
}

// intAfter parses the integer that follows the first key in b.
func intAfter(b, key []byte) (int64, bool) {
	i := bytes.Index(b, key)
	if i < 0 {
		return 0, false
	}
	return parseInt(b[i+len(key):])
}

func parseInt(b []byte) (int64, bool) {
	var n int64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	return n, i > 0
}

// snapshot returns a copy of the connection's counters for phase p.
func (c *client) snapshot(p int) (n int64, h *hist, last int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.phases[p]
	if st.h != nil {
		cp := *st.h
		h = &cp
	}
	return st.n, h, st.last
}

// seqCheck is one connection's verdict on a conversation that ended at
// seq final: receipts of a seq already received, seqs that came after a
// higher one, and seqs up to final never received.
type seqCheck struct {
	dups, reorders, missing, extra int64
}

// caughtUpSeq is the conversation's last seq when the client caught up.
func (c *client) caughtUpSeq() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base
}

func (c *client) check(final int64) seqCheck {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := seqCheck{dups: c.dups, reorders: c.reorders}
	for i := int64(0); i < final-c.base; i++ {
		word := int(i >> 6)
		if word >= len(c.seen) || c.seen[word]&(1<<(i&63)) == 0 {
			r.missing++
		}
	}
	if c.maxSeq > final {
		r.extra = c.maxSeq - final
	}
	return r
}

// connectAll opens n connections to srv, dialConcurrency at a time, each
// through hello to caught_up (or just open when hello is false, for the
// baseline hub). token gives connection i's session token; hook, when not
// nil, gives its reply handler and is told the client once it exists. The
// clients opened so far are returned even on error, for closeAll.
func connectAll(ctx context.Context, o *options, pick func(i int) *server, n int, track *tracker, hello bool,
	token func(i int) string, hook func(i int) (func(*shared.Envelope, int64), func(*client))) ([]*client, error) {
	clients := make([]*client, n)
	err := parallel(ctx, n, o.dialConcurrency, func(i int) error {
		srv := pick(i)
		ws, err := dial(ctx, srv.wsURL(), srv.origin(), token(i))
		if err != nil {
			return fmt.Errorf("dial %d: %w", i, err)
		}
		var replies func(*shared.Envelope, int64)
		var got func(*client)
		if hook != nil {
			replies, got = hook(i)
		}
		c, err := newClient(ws, track, hello, replies)
		if err != nil {
			return err
		}
		clients[i] = c
		if got != nil {
			got(c)
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		return c.waitReady(rctx)
	})
	return clients, err
}

// closeAll closes every client that was opened.
func closeAll(clients []*client) {
	for _, c := range clients {
		if c != nil {
			c.close()
		}
	}
}
