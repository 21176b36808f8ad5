//go:build !js

package client_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// mustEngineOffline starts an engine for u on st that does not dial until
// SetOnline(true): a device that opens without a network.
func mustEngineOffline(tb testing.TB, srv *webtest.Server, u user, st *client.MemoryStorage) *engine {
	tb.Helper()
	tp := newTap(&client.WebSocketTransport{URL: srv.WSURL, Header: u.header})
	e := client.New(client.Config{Storage: st, Transport: tp, Device: "test", Rand: func() float64 { return 0.05 }})
	e.SetOnline(false)
	e.Start(context.Background())
	tb.Cleanup(e.Stop)
	return &engine{Engine: e, st: st, tap: tp}
}

// row returns the engine's row of seq.
func row(t *testing.T, e *engine, conv string, seq int64) client.MsgView {
	t.Helper()
	for _, m := range e.Messages(conv) {
		if m.Seq == seq {
			return m
		}
	}
	t.Fatalf("no row for seq %d", seq)
	return client.MsgView{}
}

func eventSeq(t *testing.T, srv *webtest.Server, conv string) int64 {
	t.Helper()
	var n int64
	if err := srv.Store.DB.NewRaw(`SELECT last_event_seq FROM conversations WHERE id = ?`, conv).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Changes to a message that never left fold into its send: the server
// only ever sees the final text, and a deleted one not at all.
func TestChangesFoldIntoUnsentSend(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	e := mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)
	e.goOffline(t)
	keep, err := e.Send(conv, "helo")
	if err != nil {
		t.Fatal(err)
	}
	gone, err := e.Send(conv, "wrong conversation")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Edit(conv, 0, keep, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := e.Delete(conv, 0, gone); err != nil {
		t.Fatal(err)
	}
	if ms := e.Messages(conv); len(ms) != 1 || ms[0].Body != "hello" || len(e.State().Outbox) != 1 {
		t.Fatalf("offline rows %+v, outbox %+v", ms, e.State().Outbox)
	}
	e.SetOnline(true)
	e.waitAcked(t)
	got := mustHistory(t, srv, ann, conv)
	if len(got) != 1 || got[0].Body != "hello" || got[0].EditedAt != nil || eventSeq(t, srv, conv) != 0 {
		t.Fatalf("server holds %+v", got)
	}
}

// An edit, a reaction and a delete made on a device that reopened offline
// wait behind the sends they target (which may have left before the
// reload), go out with the seqs once those are acked, and apply once each,
// in order; the other member's device converges live.
func TestChangesQueuedBehindSendsApplyOnceInOrder(t *testing.T) {
	q := mustChangesBehindSends(t)
	srv, ann, conv, eb, e := q.srv, q.ann, q.conv, q.eb, q.e
	if len(e.State().Outbox) != 5 {
		t.Fatalf("outbox: %+v", e.State().Outbox)
	}
	ms := e.Messages(conv)
	if len(ms) != 2 || ms[0].Body != "one, edited" || len(ms[0].Reactions) != 1 || ms[1].DeletedAt == nil || ms[1].Body != "" {
		t.Fatalf("queued changes not shown: %+v", ms)
	}
	e.SetOnline(true)
	e.waitAcked(t)

	got := mustHistory(t, srv, ann, conv)
	if len(got) != 2 || got[0].Body != "one, edited" || got[0].EditedAt == nil || len(got[0].Reactions) != 1 ||
		got[1].Body != "" || got[1].DeletedAt == nil {
		t.Fatalf("server holds %+v", got)
	}
	if n := eventSeq(t, srv, conv); n != 3 {
		t.Fatalf("%d events applied, want 3", n)
	}
	for _, ev := range []struct {
		seq  int64
		body string
	}{{1, "one, edited"}, {2, ""}} {
		eb.wait(t, "bob converges", func() bool {
			ms := eb.Messages(conv)
			return len(ms) == 2 && ms[ev.seq-1].Body == ev.body
		})
	}
	if r := row(t, eb, conv, 1); len(r.Reactions) != 1 || r.Reactions[0].UserIDs[0] != ann.ID {
		t.Fatalf("bob sees reactions %+v", r.Reactions)
	}
}

// The connection is cut after the server committed an edit and before its
// ack arrived: the resend gets the original result, and the edit is
// applied once.
func TestEditAckLostAfterCommitAppliesOnce(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	e := mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)
	if _, err := e.Send(conv, "draft one"); err != nil {
		t.Fatal(err)
	}
	e.waitAcked(t)
	var once sync.Once
	e.tap.mu.Lock()
	e.tap.cut = func(envs []shared.Envelope) bool {
		hit := false
		for _, env := range envs {
			var ack shared.Ack
			if env.Type == shared.TypeAck && decodeData(env, &ack) == nil && ack.Message != nil && ack.Message.EventSeq > 0 {
				once.Do(func() { hit = true })
			}
		}
		return hit
	}
	e.tap.mu.Unlock()
	if err := e.Edit(conv, 1, "", "final one"); err != nil {
		t.Fatal(err)
	}
	e.waitAcked(t)
	if e.tap.dialCount() < 2 {
		t.Fatalf("dialed %d times; the cut should force a reconnect", e.tap.dialCount())
	}
	versions, err := srv.Store.MessageEdits(context.Background(), ann.ID, conv, 1)
	if err != nil || len(versions.Versions) != 1 || eventSeq(t, srv, conv) != 1 {
		t.Fatalf("edit applied %d times (%v)", len(versions.Versions), err)
	}
	e.wait(t, "the edit shown", func() bool { return row(t, e, conv, 1).Body == "final one" })
}

// A device that was away when a message was edited and then deleted
// resumes from its event cursor: the text leaves its cache.
func TestDeletedWhileAwayLeavesTheCache(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	ea := mustEngine(t, srv, ann, nil)
	ea.waitCaughtUp(t)
	if _, err := ea.Send(conv, "a secret for bob"); err != nil {
		t.Fatal(err)
	}
	ea.waitAcked(t)
	st := client.NewMemoryStorage()
	eb := mustEngine(t, srv, bob, st)
	eb.wait(t, "bob holds it", func() bool { ms := eb.Messages(conv); return len(ms) == 1 })
	eb.Stop()
	if !storageHas(t, st, "a secret for bob") {
		t.Fatal("the cache never held the text")
	}
	if err := ea.Edit(conv, 1, "", "a secret for bob, v2"); err != nil {
		t.Fatal(err)
	}
	if err := ea.Delete(conv, 1, ""); err != nil {
		t.Fatal(err)
	}
	ea.waitAcked(t)
	eb = mustEngine(t, srv, bob, st)
	eb.wait(t, "the deletion reaches bob", func() bool { return row(t, eb, conv, 1).DeletedAt != nil })
	eb.Flush()
	if storageHas(t, st, "a secret") {
		t.Fatal("the deleted text is still in bob's cache")
	}
}

func storageHas(t *testing.T, st *client.MemoryStorage, text string) bool {
	t.Helper()
	kvs, err := st.List(context.Background(), client.BucketMessages)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		if strings.Contains(string(kv.Value), text) {
			return true
		}
	}
	return false
}

// An edit, a reaction, a delete and a reply queued behind the offline
// sends they target, with the connection cut after the server committed
// each action and before its ack arrived (the sends' and the changes'
// alike): every resend gets the original result, so each change is applied
// once, in order, the reply quotes the server's seq, and the other member
// converges.
func TestQueuedChangesAckLostAfterCommitApplyOnce(t *testing.T) {
	q := mustChangesBehindSends(t)
	srv, ann, conv, eb, e, one := q.srv, q.ann, q.conv, q.eb, q.e, q.one
	if _, err := e.Reply(conv, "a reply to one", 0, one); err != nil {
		t.Fatal(err)
	}
	queued := e.State().Outbox
	if len(queued) != 6 {
		t.Fatalf("outbox: %+v", queued)
	}
	// The first ack of every action is lost with its connection.
	cutOnce := map[string]bool{}
	e.tap.mu.Lock()
	e.tap.cut = func(envs []shared.Envelope) bool {
		for _, env := range envs {
			if env.Type == shared.TypeAck && !cutOnce[env.ID] {
				cutOnce[env.ID] = true
				return true
			}
		}
		return false
	}
	e.tap.mu.Unlock()
	e.SetOnline(true)
	e.waitAcked(t)

	// Every ack was lost the first time. A send may also be confirmed by
	// its own message coming back in the replay after a reconnect, with no
	// ack at all (seen under load): then no ack of it was cut. The edit,
	// the reaction and the delete have only their acks.
	e.tap.mu.Lock()
	cuts := len(cutOnce)
	for _, a := range queued {
		acked := len(e.tap.acks[a.ID]) > 0
		if (acked || a.Type != shared.TypeMessageSend) && !cutOnce[a.ID] {
			t.Errorf("%s %s: its first ack was not cut (acks %d)", a.Type, a.ID, len(e.tap.acks[a.ID]))
		}
	}
	e.tap.mu.Unlock()
	if cuts < 3 || e.tap.dialCount() < cuts+1 {
		t.Fatalf("%d acks cut over %d dials; want the changes' first acks cut, each with its connection", cuts, e.tap.dialCount())
	}
	got := mustHistory(t, srv, ann, conv)
	if len(got) != 3 || got[0].Body != "one, edited" || got[0].EditedAt == nil || len(got[0].Reactions) != 1 ||
		len(got[0].Reactions[0].UserIDs) != 1 || got[1].Body != "" || got[1].DeletedAt == nil ||
		got[2].Body != "a reply to one" || got[2].ReplyTo == nil || got[2].ReplyTo.Seq != 1 {
		t.Fatalf("server holds %+v", got)
	}
	if n := eventSeq(t, srv, conv); n != 3 {
		t.Fatalf("%d events applied, want 3 (edit, reaction, delete once each)", n)
	}
	if v, err := srv.Store.MessageEdits(context.Background(), ann.ID, conv, 1); err != nil || len(v.Versions) != 1 {
		t.Fatalf("edit history %+v, %v: the edit was applied more than once", v, err)
	}
	eb.wait(t, "bob converges", func() bool {
		ms := eb.Messages(conv)
		return len(ms) == 3 && ms[0].Body == "one, edited" && len(ms[0].Reactions) == 1 && ms[1].DeletedAt != nil &&
			ms[2].ReplyTo != nil && ms[2].ReplyTo.Seq == 1
	})
	e.wait(t, "ann's rows settle", func() bool {
		ms := e.Messages(conv)
		return len(ms) == 3 && ms[0].State == client.MsgSent && ms[0].Body == "one, edited" && len(ms[0].Reactions) == 1
	})
}

// Two devices of one author change the same message, one of them offline:
// the change the server applies last wins, and the author's two devices
// and the other member's converge on it. An edit and a reaction made
// offline reach the server after the other device's, so they win; a
// reaction removed on one device while added on the other ends as the
// server ordered it.
func TestTwoDevicesConvergeByServerOrder(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	laptop, phone, eb := mustEngine(t, srv, ann, nil), mustEngine(t, srv, ann, nil), mustEngine(t, srv, bob, nil)
	laptop.waitCaughtUp(t)
	if _, err := laptop.Send(conv, "v0"); err != nil {
		t.Fatal(err)
	}
	laptop.waitAcked(t)
	for _, e := range []*engine{phone, eb} {
		e.wait(t, "the message", func() bool { ms := e.Messages(conv); return len(ms) == 1 && ms[0].Seq == 1 })
	}

	laptop.goOffline(t)
	if err := laptop.Edit(conv, 1, "", "from the laptop"); err != nil {
		t.Fatal(err)
	}
	if err := laptop.React(conv, 1, "", "👍", true); err != nil {
		t.Fatal(err)
	}
	// Meanwhile the phone, online, edits and reacts, then takes it back.
	if err := phone.Edit(conv, 1, "", "from the phone"); err != nil {
		t.Fatal(err)
	}
	if err := phone.React(conv, 1, "", "👍", true); err != nil {
		t.Fatal(err)
	}
	phone.waitAcked(t)
	eb.wait(t, "bob sees the phone's edit", func() bool { return row(t, eb, conv, 1).Body == "from the phone" })
	if err := phone.React(conv, 1, "", "👍", false); err != nil {
		t.Fatal(err)
	}
	phone.waitAcked(t)
	eb.wait(t, "bob sees the reaction taken back", func() bool { return len(row(t, eb, conv, 1).Reactions) == 0 })

	laptop.SetOnline(true)
	laptop.waitAcked(t)
	got := mustHistory(t, srv, ann, conv)
	if len(got) != 1 || got[0].Body != "from the laptop" || len(got[0].Reactions) != 1 || got[0].Reactions[0].Emoji != "👍" {
		t.Fatalf("server holds %+v: the laptop's later changes should win", got)
	}
	for name, e := range map[string]*engine{"laptop": laptop, "phone": phone, "bob": eb} {
		e.wait(t, name+" converges", func() bool {
			r := row(t, e, conv, 1)
			return r.Body == "from the laptop" && len(r.Reactions) == 1 && r.Reactions[0].Emoji == "👍" &&
				r.Reactions[0].UserIDs[0] == ann.ID && r.EventSeq == got[0].EventSeq
		})
	}
}

// behindSends is the set-up both queued-changes tests share: Ann queued two
// sends offline, reloaded still offline (the sends may have left before),
// and queued an edit and a reaction behind "one" and a delete behind
// "two"; Bob's engine watches.
type behindSends struct {
	srv       *webtest.Server
	ann       user
	conv, one string
	e, eb     *engine
}

func mustChangesBehindSends(t *testing.T) behindSends {
	t.Helper()
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	eb := mustEngine(t, srv, bob, nil)
	st := client.NewMemoryStorage()
	e := mustEngine(t, srv, ann, st)
	e.waitCaughtUp(t)
	e.goOffline(t)
	one, _ := e.Send(conv, "one")
	two, _ := e.Send(conv, "two")
	e.Stop()

	e = mustEngineOffline(t, srv, ann, st) // reloaded: the sends may have left
	if err := e.Edit(conv, 0, one, "one, edited"); err != nil {
		t.Fatal(err)
	}
	if err := e.React(conv, 0, one, "🎉", true); err != nil {
		t.Fatal(err)
	}
	if err := e.Delete(conv, 0, two); err != nil {
		t.Fatal(err)
	}
	return behindSends{srv: srv, ann: ann, conv: conv, one: one, e: e, eb: eb}
}
