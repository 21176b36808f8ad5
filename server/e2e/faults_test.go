package e2e

import (
	"context"
	"fmt"
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
