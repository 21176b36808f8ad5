package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"natter/server/pgtest"
	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// Fault test sizes: 4 users x 2 conversations x 150 messages = 1200.
const (
	faultPerStream = 150              // messages each (user, conversation) stream sends
	faultQueueCap  = 40               // a user stops typing while this many actions are queued
	faultWait      = 30 * time.Second // bounds every single wait of the test
	// faultSettle bounds waiting for the events that follow the last ack:
	// milliseconds when they come at all.
	faultSettle = 10 * time.Second
)

// TestFaultsNothingLostNothingTwice drives four sync engines against the real
// `natter serve` binary and its own PostgreSQL while the server is killed
// (SIGKILL, SIGTERM), PostgreSQL crashes and a client reloads mid-queue, then
// counts in the database: every message sent is stored exactly once, seqs
// are gap-free, and every engine shows exactly the database's list
// (DESIGN.md invariants 1, 2 and 4).
func TestFaultsNothingLostNothingTwice(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	bin := mustBuildNatter(t)
	cluster, dsn := pgtest.MustOwnCluster(t)
	srv := mustNatterProc(t, bin, dsn)
	api := &webtest.Server{URL: srv.url, WSURL: "ws://" + srv.addr + shared.PathWebSocket} // its HTTP helpers need only the URLs

	b := newBell()
	peers := make([]*faultPeer, 4)
	for i, nick := range []string{"ann", "bob", "cat", "dan"} {
		u, h := api.MustSignUp(t, nick)
		h.Set("Origin", srv.url)
		peers[i] = &faultPeer{User: u, header: h, wsURL: api.WSURL, st: client.NewMemoryStorage(), bell: b,
			writes: map[string][]time.Time{}, got: map[string][]string{}}
		peers[i].start()
	}
	t.Cleanup(func() {
		for _, p := range peers {
			p.stop()
		}
	})
	ann, bob, cat, dan := peers[0], peers[1], peers[2], peers[3]
	group := mustCreate(t, ann, "faults", bob.User, cat.User, dan.User)
	annBob := mustCreate(t, ann, "", bob.User)
	catDan := mustCreate(t, cat, "", dan.User)
	member := map[*faultPeer][]string{ann: {group, annBob}, bob: {group, annBob}, cat: {group, catDan}, dan: {group, catDan}}
	for _, p := range peers {
		must(t, waitBell(ctx, b, p.Nickname+" holds its conversations", func() bool {
			for _, c := range member[p] {
				if v, ok := p.engine().Conversation(c); !ok || v.Pending {
					return false
				}
			}
			return true
		}))
	}

	// Two typing streams per user, one per conversation, released phase by
	// phase; each waits while its user's outbox is full, as a person would
	// wait for a spinner.
	var allow atomic.Int64
	var sentTotal atomic.Int64
	var streamFailed atomic.Bool
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	streams := 0
	for _, p := range peers {
		for _, c := range member[p] {
			streams++
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range faultPerStream {
					// Typing may be held back for as long as the test runs.
					if err := waitBellFor(ctx, b, time.Hour, p.Nickname+" may type", func() bool {
						return int64(i) < allow.Load() && len(p.engine().State().Outbox) < faultQueueCap
					}); err != nil {
						if ctx.Err() == nil || !t.Failed() {
							t.Errorf("%s: stream %s stopped at %d: %v", p.Nickname, c, i, err)
						}
						streamFailed.Store(true)
						return
					}
					if err := p.send(c, fmt.Sprintf("%s to %s #%d", p.Nickname, c[len(c)-6:], i)); err != nil {
						t.Errorf("%s: send: %v", p.Nickname, err)
						streamFailed.Store(true)
						return
					}
					sentTotal.Add(1)
					b.ring()
				}
			}()
		}
	}
	queued := func() (n, inFlight int) {
		for _, p := range peers {
			ob := p.engine().State().Outbox
			n += len(ob)
			inFlight += countState(ob, client.MsgSending)
		}
		return n, inFlight
	}
	acked := func() int64 { n, _ := queued(); return sentTotal.Load() - int64(n) }

	// drained waits until everything released so far is sent and acked.
	drained := func() error {
		return waitBell(ctx, b, "every outbox empty", func() bool {
			for _, p := range peers {
				for _, a := range p.engine().State().Outbox {
					if a.State == client.MsgFailed {
						t.Fatalf("%s: action %s (%s) failed: %s", p.Nickname, a.ID, a.Type, a.Error)
					}
				}
			}
			n, _ := queued()
			return n == 0 && sentTotal.Load() == allow.Load()*int64(streams)
		})
	}
	// viewsEqual counts the engines that show exactly the database's list
	// in each of their conversations.
	viewsEqual := func(when string, db *faultDB) int {
		// Acks come before the events of the same commit, so wait for the
		// events, then compare whatever is shown.
		_ = waitBellFor(ctx, b, faultSettle, "every view complete", func() bool {
			for _, p := range peers {
				for _, c := range member[p] {
					if !viewSettled(p.engine(), c, db.lastSeq[c]) {
						return false
					}
				}
			}
			return true
		})
		n := 0
		for _, p := range peers {
			ok := true
			for _, c := range member[p] {
				ok = checkView(ctx, t, when, p, c, db.byConv[c], db.lastSeq[c]) && ok
			}
			if ok {
				n++
			}
		}
		return n
	}
	liveOK, liveAll, reconnects := 0, 0, 0

	faults := []string{"kill", "pgcrash", "kill", "term", "pgcrash", "kill", "reload", "kill"}
	counts := map[string]int{}
	hit := 0 // actions in flight at the moment of a fault
	phase := int64(faultPerStream) / int64(len(faults)+1)
	for k, f := range faults {
		// Traffic between faults: the server must ack new messages before
		// the next fault, which proves it recovered from the previous one.
		before := acked()
		allow.Store(int64(k)*phase + phase/2)
		b.ring()
		must(t, waitBell(ctx, b, fmt.Sprintf("traffic before fault %d (%s)", k+1, f), func() bool { return acked() >= before+20 }))
		allow.Store(int64(k+1) * phase)
		b.ring()
		victim := peers[k%len(peers)]
		must(t, waitBell(ctx, b, "actions in flight", func() bool {
			if f == "reload" {
				return countState(victim.engine().State().Outbox, client.MsgSending) > 0
			}
			n, inFlight := queued()
			return inFlight > 0 || (n == 0 && sentTotal.Load() == allow.Load()*int64(streams))
		}))
		_, inFlight := queued()
		hit += inFlight
		switch f {
		case "kill":
			srv.signal(t, syscall.SIGKILL)
			srv.start(t)
		case "term":
			if code := srv.signal(t, syscall.SIGTERM); code != 0 {
				t.Errorf("natter serve exited with %d after SIGTERM, want 0", code)
			}
			srv.start(t)
		case "pgcrash":
			dials := dialCount(peers)
			rctx, rcancel := context.WithTimeout(ctx, faultWait)
			err := cluster.Restart(rctx, true)
			rcancel()
			if err != nil {
				t.Fatalf("crash-restart PostgreSQL: %v", err)
			}
			// The connections outlive the database's crash, so the engines
			// must converge live, without the replay of a reconnect.
			must(t, drained())
			liveOK += viewsEqual(fmt.Sprintf("live after the PostgreSQL crash (fault %d)", k+1), mustFaultRows(ctx, t, dsn))
			liveAll += len(peers)
			reconnects += dialCount(peers) - dials
		case "reload":
			victim.reload(t)
		}
		counts[f]++
		t.Logf("fault %d: %s with %d actions in flight", k+1, f, inFlight)
	}
	allow.Store(faultPerStream)
	b.ring()
	wg.Wait()
	if streamFailed.Load() {
		t.FailNow()
	}
	must(t, drained())
	db := mustFaultRows(ctx, t, dsn)
	var sent []faultSent
	for _, p := range peers {
		sent = append(sent, p.sentMsgs()...)
	}
	lost, doubled, extra, gaps := db.check(t, sent)
	replayed := 0
	for _, p := range peers {
		replayed += db.replayed(p)
	}
	views := viewsEqual("at the end", db)
	t.Logf("faults: %d× SIGKILL, %d× PostgreSQL crash restart, %d× SIGTERM, %d× client reload (%d actions in flight at them); "+
		"%d messages sent through them (%d sent again after the server had applied them); stored %d, lost %d, doubled %d, extra %d, seq gaps %d; "+
		"%d of %d engines show exactly the database's lists at the end, %d of %d live after the PostgreSQL crashes (%d reconnects meanwhile)",
		counts["kill"], counts["pgcrash"], counts["term"], counts["reload"], hit, len(sent), replayed, len(db.rows), lost, doubled, extra, gaps,
		views, len(peers), liveOK, liveAll, reconnects)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func dialCount(peers []*faultPeer) int {
	n := 0
	for _, p := range peers {
		n += int(p.dials.Load())
	}
	return n
}

func countState(ob []client.ActionView, st client.MsgState) int {
	n := 0
	for _, a := range ob {
		if a.State == st {
			n++
		}
	}
	return n
}

// mustCreate creates a conversation through p's engine and waits for the ack.
func mustCreate(t *testing.T, p *faultPeer, title string, others ...shared.User) string {
	t.Helper()
	id, err := p.engine().CreateConversation(title, others)
	if err != nil {
		t.Fatalf("create conversation: %v", err)
	}
	must(t, waitBell(context.Background(), p.bell, "conversation created", func() bool {
		v, ok := p.engine().Conversation(id)
		return ok && !v.Pending && len(p.engine().State().Outbox) == 0
	}))
	return id
}

// checkView loads older pages of conv as a scrolling user would, and
// compares the list p's engine shows with the database's, message by
// message; a message missing says how (or whether) it reached the engine.
func checkView(ctx context.Context, t *testing.T, when string, p *faultPeer, conv string, rows []faultRow, last int64) bool {
	t.Helper()
	e := p.engine()
	for pages := 0; ; pages++ {
		if v, _ := e.Conversation(conv); !v.HasOlder {
			break
		}
		if pages > int(last)/client.HistoryPage+1 {
			t.Fatalf("%s: LoadOlder of %s never ends", p.Nickname, conv)
		}
		if err := e.LoadOlder(ctx, conv); err != nil {
			t.Fatalf("%s: load older of %s: %v", p.Nickname, conv, err)
		}
	}
	ms := e.Messages(conv)
	shown := map[int64]int{}
	for i, m := range ms {
		shown[m.Seq]++
		if i > 0 && m.Seq <= ms[i-1].Seq {
			t.Errorf("%s: %s: %s row %d has seq %d after %d", when, p.Nickname, conv, i, m.Seq, ms[i-1].Seq)
			return false
		}
	}
	var missing []string
	ok := len(ms) == len(rows)
	for _, r := range rows {
		if shown[r.seq] == 0 {
			ok = false
			p.wmu.Lock()
			how := p.got[fmt.Sprintf("%s/%d", conv, r.seq)]
			p.wmu.Unlock()
			came := "never reached it"
			if len(how) > 0 {
				came = "reached it as " + strings.Join(how, ",")
			}
			missing = append(missing, fmt.Sprintf("seq %d from user %d %s", r.seq, r.sender, came))
		}
	}
	if !ok {
		t.Errorf("%s: %s (connection %d) shows %d messages in %s, the database holds %d; missing %d: %s",
			when, p.Nickname, p.dials.Load(), len(ms), conv, len(rows), len(missing), strings.Join(missing[:min(len(missing), 8)], "; "))
		return false
	}
	for i, m := range ms {
		r := rows[i]
		if m.Seq != r.seq || m.ActionID != r.action || m.Body != r.body || m.State != client.MsgSent {
			t.Errorf("%s: %s: %s row %d shows seq %d %q (%s, action %s), the database has seq %d %q (action %s)",
				when, p.Nickname, conv, i, m.Seq, m.Body, m.State, m.ActionID, r.seq, r.body, r.action)
			return false
		}
	}
	return true
}

// viewSettled reports whether e shows conv gap-free from its oldest held
// message up to last, everything confirmed: older pages are loaded on
// demand, newer ones only arrive.
func viewSettled(e *client.Engine, conv string, last int64) bool {
	if !e.State().Status.CaughtUp {
		return false
	}
	ms := e.Messages(conv)
	if len(ms) == 0 {
		return last == 0
	}
	for _, m := range ms {
		if m.State != client.MsgSent {
			return false
		}
	}
	return ms[len(ms)-1].Seq == last && int64(len(ms)) == last-ms[0].Seq+1
}

// bell wakes every waiter at once: engines ring it on each state change,
// the test when it releases more typing.
type bell struct {
	mu sync.Mutex
	ch chan struct{}
}

func newBell() *bell { return &bell{ch: make(chan struct{})} }

func (b *bell) ring() {
	b.mu.Lock()
	close(b.ch)
	b.ch = make(chan struct{})
	b.mu.Unlock()
}

func (b *bell) c() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

// waitBell re-checks cond after every ring until it holds, for at most
// faultWait.
func waitBell(ctx context.Context, b *bell, what string, cond func() bool) error {
	return waitBellFor(ctx, b, faultWait, what, cond)
}

// waitBellFor is waitBell with its own bound.
func waitBellFor(ctx context.Context, b *bell, limit time.Duration, what string, cond func() bool) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		ch := b.c()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("waited %s for %s", limit, what)
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
}

// faultSent is one message a stream sent: the action id Send returned.
type faultSent struct {
	sender         int64
	id, conv, body string
}

// faultPeer is one user's tab: its durable storage outlives the engines that
// a reload replaces.
type faultPeer struct {
	shared.User
	header http.Header
	wsURL  string
	st     *client.MemoryStorage
	bell   *bell

	mu    sync.RWMutex // held for writing while the tab reloads
	eng   *client.Engine
	unsub func()
	sent  []faultSent

	dials  atomic.Int64
	wmu    sync.Mutex             // not mu: the engine writes while a reload holds mu
	writes map[string][]time.Time // message.send action id -> when each copy went on the wire
	got    map[string][]string    // "conv/seq" -> how it reached the engine (see faultConn.Read)
}

// Dial wraps the engine's connections so the test sees every action it
// writes, and so which ones it sent more than once.
func (p *faultPeer) Dial(ctx context.Context) (client.Conn, error) {
	c, err := (&client.WebSocketTransport{URL: p.wsURL, Header: p.header}).Dial(ctx)
	if err != nil {
		return nil, err
	}
	return &faultConn{Conn: c, p: p, dial: p.dials.Add(1)}, nil
}

type faultConn struct {
	client.Conn
	p    *faultPeer
	dial int64
}

// Read notes every message that reaches the engine, as an event ("e3":
// on connection 3) or an ack ("a3"), so a message missing from a view can
// be told apart: never sent by the server, or dropped by the engine.
func (c *faultConn) Read(ctx context.Context) ([]byte, error) {
	b, err := c.Conn.Read(ctx)
	if err != nil {
		return b, err
	}
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		var env shared.Envelope
		var m struct {
			shared.Message
			Ack *shared.Message `json:"message"`
		}
		if json.Unmarshal(line, &env) != nil || json.Unmarshal(env.Data, &m) != nil {
			continue
		}
		how, msg := "e", m.Message
		switch {
		case env.Type == shared.TypeAck && m.Ack != nil:
			how, msg = "a", *m.Ack
		case env.Type != shared.TypeMessageCreated:
			continue
		}
		if msg.Seq == 0 {
			msg.Seq = env.Seq
		}
		k := fmt.Sprintf("%s/%d", msg.ConversationID, msg.Seq)
		c.p.wmu.Lock()
		c.p.got[k] = append(c.p.got[k], fmt.Sprintf("%s%d", how, c.dial))
		c.p.wmu.Unlock()
	}
	return b, nil
}

func (c *faultConn) Write(ctx context.Context, frame []byte) error {
	var env shared.Envelope
	if json.Unmarshal(frame, &env) == nil && env.Type == shared.TypeMessageSend {
		c.p.wmu.Lock()
		c.p.writes[env.ID] = append(c.p.writes[env.ID], time.Now())
		c.p.wmu.Unlock()
	}
	return c.Conn.Write(ctx, frame)
}

func (p *faultPeer) start() {
	e := client.New(client.Config{Storage: p.st, Transport: p, Device: "faults", Rand: func() float64 { return 0.05 }})
	p.unsub = e.Subscribe(p.bell.ring)
	e.Start(context.Background())
	p.eng = e
}

func (p *faultPeer) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.eng != nil {
		p.unsub()
		p.eng.Stop()
		p.eng = nil
	}
}

func (p *faultPeer) engine() *client.Engine {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.eng
}

func (p *faultPeer) send(conv, body string) error {
	p.mu.Lock() // the UI accepts no input while the tab reloads
	defer p.mu.Unlock()
	id, err := p.eng.Send(conv, body)
	if err == nil {
		p.sent = append(p.sent, faultSent{sender: p.ID, id: id, conv: conv, body: body})
	}
	return err
}

func (p *faultPeer) sentMsgs() []faultSent {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return append([]faultSent(nil), p.sent...)
}

// reload stops the engine mid-queue, as closing the tab does, and starts a
// new one on the same storage; the new one must hold the same outbox.
func (p *faultPeer) reload(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	p.unsub()
	p.eng.Stop()
	was := p.eng.State().Outbox
	p.start()
	now := p.eng.State().Outbox
	p.mu.Unlock()
	if len(now) != len(was) {
		t.Errorf("%s: the outbox held %d actions when the tab closed, %d after the reload", p.Nickname, len(was), len(now))
	}
	for i := range min(len(now), len(was)) {
		if now[i].ID != was[i].ID {
			t.Errorf("%s: outbox entry %d was %s before the reload, %s after", p.Nickname, i, was[i].ID, now[i].ID)
		}
	}
}

// mustBuildNatter builds the server binary once for the test.
func mustBuildNatter(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "natter")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	out, err := exec.Command(goTool, "build", "-o", bin, "natter/server/cmd/natter").CombinedOutput()
	if err != nil {
		t.Fatalf("go build natter: %v\n%s", err, out)
	}
	return bin
}

// natterProc is `natter serve` as a subprocess on a fixed loopback port.
type natterProc struct {
	bin, dsn, addr, url, logPath string
	cmd                          *exec.Cmd
	exited                       chan struct{}
	starts                       int
}

func mustNatterProc(t *testing.T, bin, dsn string) *natterProc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &natterProc{bin: bin, dsn: dsn, addr: addr, url: "http://" + addr, logPath: filepath.Join(t.TempDir(), "natter.log")}
	t.Cleanup(func() {
		if p.cmd != nil && !p.done() {
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("natter serve output (tail of %s):\n%s", p.logPath, p.tail(60))
		}
	})
	p.start(t)
	return p
}

func (p *natterProc) done() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// start runs natter serve and waits until /healthz answers 200.
func (p *natterProc) start(t *testing.T) {
	t.Helper()
	p.starts++
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("natter log: %v", err)
	}
	defer log.Close()
	fmt.Fprintf(log, "=== start %d ===\n", p.starts)
	cmd := exec.Command(p.bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+p.dsn, "NATTER_ADDR="+p.addr, "NATTER_WEB="+webtest.WebDir(),
		"NATTER_ACTION_RATE=1000", "NATTER_ACTION_BURST=5000", "NATTER_NODE=faults", "NATTER_PPROF=")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start natter serve: %v", err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(p.exited) }()
	hc := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(faultWait)
	for {
		if res, err := hc.Get(p.url + shared.PathHealth); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("natter serve (start %d) exited: %v\n%s", p.starts, cmd.ProcessState, p.tail(40))
		case <-deadline:
			t.Fatalf("natter serve (start %d) not healthy after %s\n%s", p.starts, faultWait, p.tail(40))
		case <-tick.C:
		}
	}
}

// signal sends sig and waits for the process to end; it returns the exit
// code (-1 when killed by a signal).
func (p *natterProc) signal(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal natter serve: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(faultWait):
		p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("natter serve ignored %v for %s\n%s", sig, faultWait, p.tail(40))
	}
	return p.cmd.ProcessState.ExitCode()
}

// tail returns the last n lines of the server's output, with runs of
// lines that log the same message folded into one, so that hundreds of
// "action failed" lines during an outage do not hide what came before.
func (p *natterProc) tail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	var out []string
	prev, same := "", 0
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		msg := line
		if i := strings.Index(line, " msg="); i >= 0 {
			msg = line[i:]
			if j := strings.Index(msg, "\" "); j >= 0 {
				msg = msg[:j]
			}
		}
		if msg == prev {
			same++
			continue
		}
		if same > 0 {
			out = append(out, fmt.Sprintf("    (%d more like the line above)", same))
		}
		out, prev, same = append(out, line), msg, 0
	}
	if same > 0 {
		out = append(out, fmt.Sprintf("    (%d more like the line above)", same))
	}
	return strings.Join(out[max(0, len(out)-n):], "\n")
}

// faultRow is one row of messages.
type faultRow struct {
	conv, action, body string
	seq, sender        int64
}

// faultDB is what the database holds after the run.
type faultDB struct {
	rows    []faultRow
	byConv  map[string][]faultRow // in seq order
	lastSeq map[string]int64      // conversations.last_seq
	// appliedAt is when the transaction that applied each action began.
	appliedAt map[string]time.Time
}

// replayed counts the messages p wrote again after the server had applied
// them: their ack was lost with the connection, and the server had to
// answer the copy with the original result instead of storing it again.
func (d *faultDB) replayed(p *faultPeer) int {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	n := 0
	for id, ws := range p.writes {
		if at, ok := d.appliedAt[id]; ok && len(ws) > 1 && at.Before(ws[len(ws)-1]) {
			n++
		}
	}
	return n
}

func mustFaultRows(ctx context.Context, t *testing.T, dsn string) *faultDB {
	t.Helper()
	db := pgtest.Open(t, dsn)
	res := &faultDB{byConv: map[string][]faultRow{}, lastSeq: map[string]int64{}, appliedAt: map[string]time.Time{}}
	rs, err := db.QueryContext(ctx, `SELECT conversation_id::text, seq, coalesce(sender_id, 0), coalesce(action_id::text, ''), body
		FROM messages ORDER BY conversation_id, seq`)
	if err != nil {
		t.Fatalf("query messages: %v", err)
	}
	for rs.Next() {
		var r faultRow
		if err := rs.Scan(&r.conv, &r.seq, &r.sender, &r.action, &r.body); err != nil {
			t.Fatalf("scan message: %v", err)
		}
		res.rows = append(res.rows, r)
		res.byConv[r.conv] = append(res.byConv[r.conv], r)
	}
	if err := errors.Join(rs.Err(), rs.Close()); err != nil {
		t.Fatalf("read messages: %v", err)
	}
	as, err := db.QueryContext(ctx, `SELECT action_id::text, created_at FROM applied_actions`)
	if err != nil {
		t.Fatalf("query applied actions: %v", err)
	}
	for as.Next() {
		var id string
		var at time.Time
		if err := as.Scan(&id, &at); err != nil {
			t.Fatalf("scan applied action: %v", err)
		}
		res.appliedAt[id] = at
	}
	if err := errors.Join(as.Err(), as.Close()); err != nil {
		t.Fatalf("read applied actions: %v", err)
	}
	cs, err := db.QueryContext(ctx, `SELECT id::text, last_seq FROM conversations`)
	if err != nil {
		t.Fatalf("query conversations: %v", err)
	}
	defer cs.Close()
	for cs.Next() {
		var id string
		var last int64
		if err := cs.Scan(&id, &last); err != nil {
			t.Fatalf("scan conversation: %v", err)
		}
		res.lastSeq[id] = last
	}
	if err := cs.Err(); err != nil {
		t.Fatalf("read conversations: %v", err)
	}
	return res
}

// check counts, for every message sent, its rows; rows nobody sent; and per
// conversation, seqs that are not exactly 1..last_seq.
func (d *faultDB) check(t *testing.T, sent []faultSent) (lost, doubled, extra, gaps int) {
	t.Helper()
	byAction := map[string][]faultRow{}
	byBody := map[string]int{}
	for _, r := range d.rows {
		byAction[r.action] = append(byAction[r.action], r)
		byBody[r.body]++
	}
	ids := map[string]bool{}
	for _, s := range sent {
		ids[s.id] = true
		rows := byAction[s.id]
		switch {
		case len(rows) == 0:
			lost++
			t.Errorf("lost: %q (action %s, conversation %s) is not in the database", s.body, s.id, s.conv)
		case len(rows) > 1 || byBody[s.body] > 1:
			doubled++
			t.Errorf("doubled: %q (action %s) is stored %d times under its id, %d times by body", s.body, s.id, len(rows), byBody[s.body])
		case rows[0].conv != s.conv || rows[0].sender != s.sender || rows[0].body != s.body:
			t.Errorf("action %s stored as %+v, sent as %+v", s.id, rows[0], s)
		}
	}
	for _, r := range d.rows {
		if !ids[r.action] {
			extra++
			t.Errorf("extra row nobody sent: %+v", r)
		}
	}
	for conv, last := range d.lastSeq {
		rows := d.byConv[conv]
		for i, r := range rows {
			if r.seq != int64(i+1) {
				gaps++
				t.Errorf("conversation %s: row %d has seq %d", conv, i, r.seq)
				break
			}
		}
		if int64(len(rows)) != last {
			gaps++
			t.Errorf("conversation %s: %d messages, last_seq %d", conv, len(rows), last)
		}
	}
	return lost, doubled, extra, gaps
}
