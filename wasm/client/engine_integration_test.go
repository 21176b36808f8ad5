//go:build !js

package client_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"natter/server/store"
	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// checkExactlyOnce asserts the server holds exactly the bodies want, in
// order, each once, and that each was sent under its own action id.
func checkExactlyOnce(t *testing.T, got []shared.Message, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("server holds %d messages, want %d", len(got), len(want))
	}
	ids := map[string]bool{}
	for i, m := range got {
		if m.Body != want[i] {
			t.Fatalf("message seq %d is %q, want %q (order)", m.Seq, m.Body, want[i])
		}
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d", i, m.Seq)
		}
		if ids[m.ActionID] {
			t.Fatalf("action %s stored twice", m.ActionID)
		}
		ids[m.ActionID] = true
	}
}

// checkHeld asserts the engine shows the conversation's messages with no
// gap and no duplicate, in seq order, ending at last.
func checkHeld(t *testing.T, e *engine, conv string, first, last int64) {
	t.Helper()
	ms := e.Messages(conv)
	if int64(len(ms)) != last-first+1 {
		t.Fatalf("engine holds %d messages, want %d..%d", len(ms), first, last)
	}
	for i, m := range ms {
		if m.Seq != first+int64(i) || m.State != client.MsgSent {
			t.Fatalf("row %d: seq %d state %s, want seq %d sent", i, m.Seq, m.State, first+int64(i))
		}
	}
}

func TestOfflineQueueOf200ArrivesOnceInOrder(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	e := mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)

	e.goOffline(t)
	var want, ids []string
	for i := range 200 {
		body := fmt.Sprintf("m%03d", i)
		id, err := e.Send(conv, body)
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		want, ids = append(want, body), append(ids, id)
	}
	if ms := e.Messages(conv); len(ms) != 200 || ms[199].State != client.MsgQueued {
		t.Fatalf("offline: %d rows shown", len(ms))
	}
	e.SetOnline(true)
	e.waitSent(t, conv, 200)
	e.waitAcked(t)

	checkExactlyOnce(t, mustHistory(t, srv, ann, conv), want)
	for i, id := range ids {
		if n := len(e.tap.acksOf(id)); n != 1 {
			t.Errorf("action %d acked %d times", i, n)
		}
	}
	checkHeld(t, e, conv, 1, 200)
	if kvs, _ := e.st.List(context.Background(), client.BucketOutbox); len(kvs) != 0 {
		t.Errorf("outbox keeps %d entries after every ack", len(kvs))
	}
}

func TestAckLostAfterCommitIsReplayedNotRepeated(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	e := mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)

	// Drop the frame carrying the first message ack and close: the server
	// has committed, the client never learns it.
	var once sync.Once
	var dropped shared.Envelope
	e.tap.mu.Lock()
	e.tap.cut = func(envs []shared.Envelope) bool {
		hit := false
		for _, env := range envs {
			if env.Type == shared.TypeAck {
				once.Do(func() { dropped, hit = env, true })
			}
		}
		return hit
	}
	e.tap.mu.Unlock()

	id, err := e.Send(conv, "exactly once")
	if err != nil {
		t.Fatal(err)
	}
	e.waitSent(t, conv, 1)
	e.waitAcked(t)

	if dropped.ID != id {
		t.Fatalf("the cut dropped %q, want the ack of %s", dropped.ID, id)
	}
	var orig shared.Ack
	if err := decodeData(dropped, &orig); err != nil || orig.Message == nil {
		t.Fatalf("dropped ack: %v", err)
	}
	// The send is confirmed either by the replayed action's ack, which
	// must be the original result, or, before the engine sent it again, by
	// its own message in the reconnect's replay (it carries the action
	// id), which must be the original message.
	var got *shared.Message
	switch acks := e.tap.acksOf(id); {
	case len(acks) == 1 && acks[0].Message != nil:
		got = acks[0].Message
	case len(acks) == 0:
		for _, m := range e.Messages(conv) {
			if m.Message.ActionID == id {
				got = &m.Message
			}
		}
		if got == nil {
			t.Fatalf("no ack and no message with action id %s held", id)
		}
	default:
		t.Fatalf("replayed action got %d acks, want the original one or none", len(acks))
	}
	if got.ID != orig.Message.ID || got.Seq != orig.Message.Seq {
		t.Errorf("confirmed as message %d seq %d, original %d seq %d", got.ID, got.Seq, orig.Message.ID, orig.Message.Seq)
	}
	checkExactlyOnce(t, mustHistory(t, srv, ann, conv), []string{"exactly once"})
	checkHeld(t, e, conv, 1, 1)
	if e.tap.dials < 2 {
		t.Errorf("dialed %d times; the cut should force a reconnect", e.tap.dials)
	}
}

func TestServerRestartHalfwayThroughQueue(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	e := mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)
	e.SetOnline(false)
	const n = 120
	var want []string
	for i := range n {
		body := fmt.Sprintf("r%03d", i)
		if _, err := e.Send(conv, body); err != nil {
			t.Fatal(err)
		}
		want = append(want, body)
	}
	half := make(chan struct{})
	var once sync.Once
	e.tap.mu.Lock()
	e.tap.onAck = func(total int) {
		if total >= n/2 {
			once.Do(func() { close(half) })
		}
	}
	e.tap.mu.Unlock()
	e.SetOnline(true)
	<-half
	srv.Restart(t)
	e.waitSent(t, conv, n)
	e.waitAcked(t)

	checkExactlyOnce(t, mustHistory(t, srv, ann, conv), want)
	checkHeld(t, e, conv, 1, n)
}

func TestConvergesAfterTenThousandMissed(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	mustSend(t, srv, bob, conv, 0, 50)

	st := client.NewMemoryStorage()
	e := mustEngine(t, srv, ann, st)
	e.waitCaughtUp(t)
	checkHeld(t, e, conv, 1, 50)
	e.Stop()

	const missed = 10000
	mustSend(t, srv, bob, conv, 50, missed)
	last := int64(50 + missed)

	e = mustEngine(t, srv, ann, st)
	e.waitCaughtUp(t)
	v, _ := e.Conversation(conv)
	if v.LastSeq != last || !v.HasOlder {
		t.Fatalf("after resume: LastSeq %d HasOlder %v, want %d true", v.LastSeq, v.HasOlder, last)
	}
	checkHeld(t, e, conv, last-shared.ReplayPageMax+1, last)
	if v.Unread != last {
		t.Errorf("unread %d, want %d", v.Unread, last)
	}

	pages := 0
	for v.HasOlder {
		if err := e.LoadOlder(context.Background(), conv); err != nil {
			t.Fatalf("load older (page %d): %v", pages, err)
		}
		pages++
		v, _ = e.Conversation(conv)
		if pages > missed {
			t.Fatal("LoadOlder never ends")
		}
	}
	if want := int((last - shared.ReplayPageMax + client.HistoryPage - 1) / client.HistoryPage); pages != want {
		t.Errorf("fetched %d pages, want %d", pages, want)
	}
	checkHeld(t, e, conv, 1, last)

	// Caught up, nothing new: a reconnect replays nothing and duplicates nothing.
	e.Stop()
	e = mustEngine(t, srv, ann, st)
	e.waitCaughtUp(t)
	ms := e.Messages(conv)
	if ms[len(ms)-1].Seq != last || len(ms) != int(last) { // all sent today: all kept (DefaultRetention)
		t.Errorf("after a restart: %d held, newest %d", len(ms), ms[len(ms)-1].Seq)
	}
}

// mustSend stores n messages from u straight through the store (no fan-out:
// nobody online sees them), numbered from first.
func mustSend(tb testing.TB, srv *webtest.Server, u user, conv string, first, n int) {
	tb.Helper()
	for done := 0; done < n; {
		var batch []store.SendRequest
		for ; done < n && len(batch) < 1000; done++ {
			batch = append(batch, store.SendRequest{UserID: u.ID, ActionID: shared.NewUUIDv7(), ConversationID: conv,
				Body: fmt.Sprint("b", first+done)})
		}
		for _, r := range srv.Store.SendMessages(context.Background(), batch) {
			if r.Err != nil {
				tb.Fatalf("store send: %v", r.Err)
			}
		}
	}
}

func TestConversationCreatedOfflineArrivesWithItsMessages(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob, cat := mustUser(t, srv, "ann"), mustUser(t, srv, "bob"), mustUser(t, srv, "cat")
	existing := mustDirect(t, srv, ann, bob)
	e := mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)
	e.SetOnline(false)

	group, err := e.CreateConversation("plans", []shared.User{bob.User, cat.User})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := e.CreateConversation("", []shared.User{bob.User})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{group, direct} {
		for i := range 3 {
			if _, err := e.Send(c, fmt.Sprint(c[:4], i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.SetDraft(direct, "still typing")
	if v, ok := e.Conversation(group); !ok || !v.Pending {
		t.Fatalf("offline-created conversation not shown as pending: %+v", v)
	}

	e.SetOnline(true)
	e.waitSent(t, group, 3)
	e.waitSent(t, existing, 3)
	e.waitAcked(t)
	if v, _ := e.Conversation(group); v.Pending || v.Title != "plans" || len(v.Members) != 3 {
		t.Errorf("group after sync: %+v", v)
	}
	if r := e.Redirect(direct); r != existing {
		t.Fatalf("the duplicate one-to-one redirects to %q, want %q", r, existing)
	}
	if d := e.Draft(existing); d != "still typing" {
		t.Errorf("draft moved to the existing conversation: %q", d)
	}
	for _, c := range e.State().Conversations {
		if c.ID == direct {
			t.Error("the merged conversation is still listed")
		}
	}

	w := srv.MustConnect(t, cat.header, nil)
	var got []string
	for _, env := range w.Replay {
		if env.Type == shared.TypeMessageCreated {
			var m shared.Message
			decodeData(env, &m)
			if m.ConversationID == group {
				got = append(got, m.Body)
			}
		}
	}
	want := []string{group[:4] + "0", group[:4] + "1", group[:4] + "2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("cat sees %v, want %v", got, want)
	}
	checkExactlyOnce(t, mustHistory(t, srv, ann, existing), []string{direct[:4] + "0", direct[:4] + "1", direct[:4] + "2"})
}

// TestRetryNowDialsWhenTheBrowserSaysOffline: navigator.onLine can be wrong
// (or its online event lost). "Retry now" dials all the same; once the
// server answers, the engine counts as online and sends what was queued.
func TestRetryNowDialsWhenTheBrowserSaysOffline(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	e := mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)

	e.goOffline(t)
	if _, err := e.Send(conv, "written while 'offline'"); err != nil {
		t.Fatal(err)
	}
	e.RetryNow()
	e.wait(t, "connected although the browser still says offline", func() bool {
		return e.State().Status.State == client.StateConnected
	})
	e.waitSent(t, conv, 1)
	checkExactlyOnce(t, mustHistory(t, srv, ann, conv), []string{"written while 'offline'"})
}
