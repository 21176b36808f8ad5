package clustertest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"natter/server/natstest"
	"natter/server/pgtest"
	"natter/server/store"
	"natter/server/webtest"
	"natter/shared"
)

// procWait bounds a subprocess's start; a healthy one takes under a second.
const procWait = 30 * time.Second

// mustBuildNatter builds bin/natter for the test.
func mustBuildNatter(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "natter")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, "natter/server/cmd/natter").CombinedOutput(); err != nil {
		t.Fatalf("go build natter: %v\n%s", err, out)
	}
	return bin
}

// proc is one `natter serve` subprocess: a node that can die by SIGKILL.
type proc struct {
	*webtest.Server
	cmd    *exec.Cmd
	exited chan struct{}
	log    string
}

// startProc runs natter serve on dsn with env added, and waits until its
// health endpoint answers.
func startProc(t *testing.T, bin, dsn string, env ...string) *proc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	p := &proc{Server: webtest.Remote("http://" + addr), exited: make(chan struct{}), log: filepath.Join(dir, "natter.log")}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(os.Environ(), append([]string{"DATABASE_URL=" + dsn, "NATTER_ADDR=" + addr, "NATTER_DATA=" + dir,
		"NATTER_WEB=" + webtest.WebDir(), "NATTER_NODE=" + addr, "NATTER_REGISTER_LIMIT=off", "NATTER_PPROF=",
		"NATTER_ACTION_RATE=1000", "NATTER_ACTION_BURST=5000"}, env...)...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start natter serve: %v", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			t.Logf("natter serve %s log:\n%s", addr, b[max(0, len(b)-4000):])
		}
	})
	hc := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond) // polling: the process has no other way to say it is up
	defer tick.Stop()
	deadline := time.After(procWait)
	for {
		if res, err := hc.Get(p.URL + shared.PathHealth); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("natter serve exited: %v", p.cmd.ProcessState)
		case <-deadline:
			t.Fatalf("natter serve not healthy after %s", procWait)
		case <-tick.C:
		}
	}
}

// kill ends the node with SIGKILL: no goodbye to the other nodes, no
// close frames, acks in flight lost.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// Three `natter serve` processes on one database, over each broker: a node
// is killed with SIGKILL while a device sends with actions in flight; the
// device replays on another node and every message exists once, in order,
// for a reader on the third.
func TestProcessKilledWhileSending(t *testing.T) {
	eachProcessCluster(t, func(t *testing.T, dsn string, nodes []*proc) {
		ann, ha := nodes[1].MustSignUp(t, "ann")
		bob, hb := nodes[1].MustSignUp(t, "bob")
		wa := nodes[0].MustConnect(t, ha, nil)
		wb := nodes[2].MustConnect(t, hb, nil)
		conv := *wa.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID}}).Conversation
		wb.MustAwait(t, "the conversation, from another process", is(shared.TypeConversationUpdated))

		const n = 60
		ids := make([]string, n)
		body := func(i int) string { return fmt.Sprintf("message %d", i) }
		for i := range ids {
			ids[i] = shared.NewUUIDv7()
			_ = wa.Send(shared.TypeMessageSend, ids[i], shared.MessageSend{ConversationID: conv.ID, Body: body(i)})
		}
		wa.MustReply(t, ids[0])
		nodes[0].kill(t)

		wa2 := nodes[1].MustConnect(t, ha, map[string]int64{conv.ID: 0})
		for i, id := range ids {
			wa2.MustSend(t, shared.TypeMessageSend, id, shared.MessageSend{ConversationID: conv.ID, Body: body(i)})
		}
		for i, id := range ids {
			env := wa2.MustReply(t, id)
			ack := decode[shared.Ack](t, env)
			if env.Type != shared.TypeAck || ack.Message == nil || ack.Message.Seq != int64(i+1) {
				t.Fatalf("replayed action %d: %s %s", i, env.Type, env.Data)
			}
		}
		// bob was live on the third process all along, but what the
		// killed node committed and never relayed reaches him when his
		// device resumes: merged by seq, as the client does, he has
		// every message once.
		wb2 := nodes[2].MustConnect(t, hb, map[string]int64{conv.ID: 0})
		seen := map[int64]bool{}
		for _, e := range wb2.Replay {
			if e.Type == shared.TypeMessageCreated {
				m := decode[shared.Message](t, e)
				if m.Body != body(int(m.Seq-1)) {
					t.Fatalf("seq %d holds %q", m.Seq, m.Body)
				}
				seen[m.Seq] = true
			}
		}
		for len(seen) < n { // the rest are live events still arriving
			m := decode[shared.Message](t, wb2.MustAwait(t, fmt.Sprintf("message %d of %d", len(seen)+1, n), is(shared.TypeMessageCreated)))
			seen[m.Seq] = true
		}
		h, err := store.New(pgtest.Open(t, dsn)).History(context.Background(), ann.ID, conv.ID, 0, shared.HistoryPageMax)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, m := range h.Messages {
			seqs = append(seqs, m.Seq)
		}
		slices.Sort(seqs)
		if len(seqs) != n || seqs[n-1] != n {
			t.Fatalf("stored seqs %v: want 1..%d once each", seqs, n)
		}
	})
}

// eachProcessCluster builds bin/natter and runs test on three `natter
// serve` processes on a fresh database, once per broker.
func eachProcessCluster(t *testing.T, test func(t *testing.T, dsn string, nodes []*proc)) {
	natterBin = mustBuildNatter(t)
	for _, b := range []struct {
		name string
		env  func(t *testing.T) []string
	}{
		{"postgres", func(*testing.T) []string { return nil }},
		{"nats", func(t *testing.T) []string { return []string{"NATTER_NATS_URL=" + natstest.Start(t).URL()} }},
	} {
		t.Run(b.name, func(t *testing.T) {
			dsn := pgtest.MustDSN(t)
			env := b.env(t)
			test(t, dsn, []*proc{startProc(t, natterBin, dsn, env...), startProc(t, natterBin, dsn, env...), startProc(t, natterBin, dsn, env...)})
		})
	}
}

// natterBin is the binary the running test built.
var natterBin string

// admin runs `natter admin args...` against dsn, as the operator would
// while the servers run.
func admin(t *testing.T, dsn string, args ...string) string {
	t.Helper()
	cmd := exec.Command(natterBin, append([]string{"admin"}, args...)...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("natter admin %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// The operator's announcement and a disabled account reach every node,
// whichever broker carries the nodes' own events.
func TestAdminAcrossProcesses(t *testing.T) {
	eachProcessCluster(t, func(t *testing.T, dsn string, nodes []*proc) {
		_, ha := nodes[0].MustSignUp(t, "ann")
		bob, hb := nodes[0].MustSignUp(t, "bob")
		wa := nodes[0].MustConnect(t, ha, nil)
		wb := nodes[2].MustConnect(t, hb, nil)
		wa.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID}})
		wb.MustAwait(t, "the conversation", is(shared.TypeConversationUpdated))

		admin(t, dsn, "announce", "maintenance", "tonight")
		for name, w := range map[string]*webtest.WS{"ann": wa, "bob": wb} {
			w.MustAwait(t, name+" sees the announcement", func(e shared.Envelope) bool {
				return e.Type == shared.TypeMessageCreated && decode[shared.Message](t, e).Body == "maintenance tonight"
			})
		}

		admin(t, dsn, "users", "disable", bob.Nickname)
		e := decode[shared.Error](t, wb.MustAwait(t, "bob disconnected", is(shared.TypeError)))
		if e.Code != shared.CodeAccountDisabled || !e.Fatal {
			t.Fatalf("bob got %+v", e)
		}
	})
}

// NATS goes away while people chat across nodes: every node keeps serving
// (sends are acked), and when NATS is back the nodes ask their clients to
// reconnect, so a reader on another node catches up from their cursor.
func TestNATSOutage(t *testing.T) {
	natterBin = mustBuildNatter(t)
	ns := natstest.Start(t)
	dsn := pgtest.MustDSN(t)
	env := "NATTER_NATS_URL=" + ns.URL()
	nodes := []*proc{startProc(t, natterBin, dsn, env), startProc(t, natterBin, dsn, env)}
	_, ha := nodes[0].MustSignUp(t, "ann")
	bob, hb := nodes[0].MustSignUp(t, "bob")
	wa := nodes[0].MustConnect(t, ha, nil)
	wb := nodes[1].MustConnect(t, hb, nil)
	conv := *wa.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID}}).Conversation
	wb.MustAwait(t, "the conversation", is(shared.TypeConversationUpdated))

	ns.Down()
	const n = 5
	for i := range n {
		wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: fmt.Sprint("during the outage ", i)})
	}
	ns.Up(t)
	e := decode[shared.Error](t, wb.MustAwait(t, "bob asked to reconnect", is(shared.TypeError)))
	if e.Code != shared.CodeUnavailable {
		t.Fatalf("bob got %+v", e)
	}
	wb2 := nodes[1].MustConnect(t, hb, map[string]int64{conv.ID: 0})
	seen := map[int64]bool{}
	for _, e := range wb2.Replay {
		if e.Type == shared.TypeMessageCreated {
			seen[decode[shared.Message](t, e).Seq] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("bob's replay after the outage has seqs %v, want 1..%d", seen, n)
	}
}
