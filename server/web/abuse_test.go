package web_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// The abuse suite: each attack, repeated, is refused or limited with the
// documented error, changes nothing it should not, and two bystanders keep
// chatting meanwhile. Their send→receive latency is reported, not asserted:
// this machine is shared, and only "they keep receiving" is the promise.

// bystanders are two people chatting through an attack: one sends a
// message every 20 ms, the other must receive every one.
type bystanders struct {
	srv       *webtest.Server
	send, rcv *webtest.WS
	conv      shared.Conversation
	stop      chan struct{}
	done      chan struct{}
	latencies []time.Duration
	sent      int
	err       error
}

func startBystanders(t *testing.T, srv *webtest.Server) *bystanders {
	t.Helper()
	_, hc := srv.MustSignUp(t, "carol")
	d, hd := srv.MustSignUp(t, "dave")
	b := &bystanders{srv: srv, send: srv.MustConnect(t, hc, nil), rcv: srv.MustConnect(t, hd, nil),
		stop: make(chan struct{}), done: make(chan struct{})}
	b.conv = mustConversation(t, b.send, "bystanders", d)
	b.rcv.MustAwait(t, "the bystanders' conversation", func(e shared.Envelope) bool { return e.Type == shared.TypeConversationUpdated })
	go b.run()
	return b
}

func (b *bystanders) run() {
	defer close(b.done)
	for {
		select {
		case <-b.stop:
			return
		default:
		}
		id := shared.NewUUIDv7()
		start := time.Now()
		if err := b.send.Send(shared.TypeMessageSend, id, shared.MessageSend{ConversationID: b.conv.ID, Body: "still here"}); err != nil {
			b.err = err
			return
		}
		b.sent++
		ctx, cancel := context.WithTimeout(context.Background(), webtest.Timeout)
		_, err := b.rcv.Await(ctx, func(e shared.Envelope) bool {
			var m shared.Message
			return e.Type == shared.TypeMessageCreated && json.Unmarshal(e.Data, &m) == nil && m.ActionID == id
		})
		cancel()
		if err != nil {
			b.err = err
			return
		}
		b.latencies = append(b.latencies, time.Since(start))
		select {
		case <-b.stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// finish stops the bystanders, reports their latency and fails the test if
// any message did not arrive.
func (b *bystanders) finish(t *testing.T, attack string) {
	t.Helper()
	close(b.stop)
	<-b.done
	if b.err != nil {
		t.Fatalf("%s: the bystanders stopped receiving: %v", attack, b.err)
	}
	if len(b.latencies) == 0 {
		t.Fatalf("%s: the bystanders exchanged nothing", attack)
	}
	ls := slices.Clone(b.latencies)
	slices.Sort(ls)
	t.Logf("%s: bystanders exchanged %d messages during the attack; send→receive p50 %v, p99 %v, max %v",
		attack, len(ls), ls[len(ls)/2], ls[len(ls)*99/100], ls[len(ls)-1])
}

// readReplies reads every ack and error for the given ids until all have
// come, and returns the errors by code.
func readReplies(t *testing.T, w *webtest.WS, ids map[string]bool) (acked int, errs map[string][]shared.Error) {
	t.Helper()
	errs = map[string][]shared.Error{}
	for len(ids) > 0 {
		env := w.MustAwait(t, "replies", func(e shared.Envelope) bool {
			return ids[e.ID] && (e.Type == shared.TypeAck || e.Type == shared.TypeError)
		})
		delete(ids, env.ID)
		if env.Type == shared.TypeAck {
			acked++
			continue
		}
		var e shared.Error
		json.Unmarshal(env.Data, &e)
		errs[e.Code] = append(errs[e.Code], e)
	}
	return acked, errs
}

func TestAbuseSendFloodIsChargedOnArrival(t *testing.T) {
	const rate, burst = 5, 50
	srv := webtest.MustServer(t, func(c *web.Config) { c.Chat.Limits.ActionRate, c.Chat.Limits.ActionBurst = rate, burst })
	by := startBystanders(t, srv)
	_, ha := srv.MustSignUp(t, "mallory")
	v, _ := srv.MustSignUp(t, "victim")
	w := srv.MustConnect(t, ha, nil)
	conv := mustConversation(t, w, "flood", v)

	const n = 900 // under RefusedMax: past it the connection is closed (below)
	ids := make(map[string]bool, n)
	start := time.Now()
	for range n {
		id := shared.NewUUIDv7()
		ids[id] = true
		w.MustSend(t, shared.TypeMessageSend, id, shared.MessageSend{ConversationID: conv.ID, Body: "spam"})
	}
	written := time.Since(start)
	acked, errs := readReplies(t, w, ids)
	elapsed := time.Since(start)
	by.finish(t, "send flood")

	// The create above spent one token; the rest of the burst and what
	// refilled while the frames were being written may pass, no more.
	allowed := burst + int(rate*written.Seconds()) + 1
	if acked > allowed {
		t.Errorf("%d of %d sends written in %v were accepted; the budget allows %d", acked, n, written, allowed)
	}
	if acked < burst/2 {
		t.Errorf("only %d sends accepted: the burst should pass", acked)
	}
	limited := errs[shared.CodeRateLimited]
	if len(limited)+acked != n {
		t.Errorf("acked %d + rate_limited %d != %d (other errors: %v)", acked, len(limited), n, errs)
	}
	for _, e := range limited {
		if e.RetryAfter < 1 {
			t.Fatalf("a rate_limited error without retry_after_ms ≥ 1: %+v", e)
		}
	}
	h, err := srv.Store.History(context.Background(), v.ID, conv.ID, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Messages) != acked {
		t.Errorf("stored %d messages, acked %d", len(h.Messages), acked)
	}
	t.Logf("send flood: %d written in %v, %d accepted, %d refused, all answered in %v", n, written, acked, len(limited), elapsed)

	// Going on far past the budget (a thousand more refusals than
	// admissions) is taken for hostile: the connection is closed, and the
	// server writes the reason first. The reason may still be lost here:
	// the flooder is sending while the server closes, and a socket closed
	// with unread data resets the connection, which can discard what the
	// client had not read yet. So the close is asserted, and a fatal error
	// that does arrive must be this one.
	for range 1200 {
		if w.Send(shared.TypeMessageSend, shared.NewUUIDv7(), shared.MessageSend{ConversationID: conv.ID, Body: "spam"}) != nil {
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), webtest.Timeout)
	defer cancel()
	for {
		env, err := w.Next(ctx)
		if err != nil {
			break
		}
		var e shared.Error
		if env.Type == shared.TypeError && json.Unmarshal(env.Data, &e) == nil && e.Fatal && e.Code != shared.CodeRateLimited {
			t.Fatalf("the flood was closed with %+v, want rate_limited", e)
		}
	}
	if ctx.Err() != nil {
		t.Fatal("a sustained flood was not closed")
	}
}

func TestAbuseConversationSpamHitsTheQuota(t *testing.T) {
	const perHour = 10
	srv := webtest.MustServer(t, func(c *web.Config) { c.Chat.Limits.CreatesPerHour = perHour; c.Chat.Limits.AddsPerHour = 25 })
	by := startBystanders(t, srv)
	_, ha := srv.MustSignUp(t, "mallory")
	var victims []int64
	for _, name := range []string{"v1", "v2", "v3"} {
		u, _ := srv.MustSignUp(t, name)
		victims = append(victims, u.ID)
	}
	w := srv.MustConnect(t, ha, nil)
	ids := map[string]bool{}
	for range 40 {
		id := shared.NewUUIDv7()
		ids[id] = true
		w.MustSend(t, shared.TypeConversationCreate, id, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "spam", MemberIDs: victims})
	}
	acked, errs := readReplies(t, w, ids)
	by.finish(t, "conversation spam")
	// 25 additions an hour at 3 people a conversation: 8 conversations.
	if acked != 8 {
		t.Errorf("%d conversations created; the people quota (25 an hour, 3 each) allows 8", acked)
	}
	quota := errs[shared.CodeQuotaExceeded]
	if len(quota) != 40-acked {
		t.Fatalf("%d quota_exceeded errors, want %d (errors: %v)", len(quota), 40-acked, errs)
	}
	if quota[0].RetryAfter < 1000 || quota[0].Message == "" {
		t.Errorf("the quota error should say when and why: %+v", quota[0])
	}
	convs, err := srv.Store.ConversationsForUser(context.Background(), victims[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != acked {
		t.Errorf("the victim is in %d conversations, want %d", len(convs), acked)
	}
	// The conversation quota itself, with people to spare.
	srv2 := webtest.MustServer(t, func(c *web.Config) { c.Chat.Limits.CreatesPerHour = perHour })
	_, hm := srv2.MustSignUp(t, "mallory")
	u, _ := srv2.MustSignUp(t, "v")
	w2 := srv2.MustConnect(t, hm, nil)
	ids = map[string]bool{}
	for range 2 * perHour {
		id := shared.NewUUIDv7()
		ids[id] = true
		w2.MustSend(t, shared.TypeConversationCreate, id, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "spam", MemberIDs: []int64{u.ID}})
	}
	if acked, errs := readReplies(t, w2, ids); acked != perHour || len(errs[shared.CodeQuotaExceeded]) != perHour {
		t.Errorf("creates: %d acked, errors %v; want %d and %d quota_exceeded", acked, errs, perHour, perHour)
	}
}

func TestAbuseSignalFloodIsDropped(t *testing.T) {
	const rate, burst = 10, 30
	srv := webtest.MustServer(t)
	by := startBystanders(t, srv)
	_, ha := srv.MustSignUp(t, "mallory")
	v, hv := srv.MustSignUp(t, "victim")
	w := srv.MustConnect(t, ha, nil)
	wv := srv.MustConnect(t, hv, nil)
	conv := mustConversation(t, w, "typing", v)
	const n = 900
	start := time.Now()
	for i := range n {
		if i%2 == 0 {
			w.MustSend(t, shared.TypeTyping, "", shared.Typing{ConversationID: conv.ID})
		} else {
			w.MustSend(t, shared.TypeReadPosition, "", shared.ReadPosition{ConversationID: conv.ID, Seq: 0, Offset: i % 1000})
		}
	}
	written := time.Since(start)
	// A message after the flood marks its end for the victim: everything
	// the flood caused has been delivered before it.
	ack := w.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "end"})
	typing := 0
	for {
		env := wv.MustNext(t)
		if env.Type == shared.TypeTypingEvent {
			typing++
		}
		if env.Type == shared.TypeMessageCreated && env.Seq == ack.Message.Seq {
			break
		}
	}
	by.finish(t, "typing and read-position flood")
	allowed := burst + int(rate*written.Seconds()) + 1
	if typing > allowed {
		t.Errorf("the victim got %d typing events from %d frames in %v; the signal budget allows %d", typing, n, written, allowed)
	}
	refused, _ := srv.Web.Chat().Metrics().Refused()
	if refused["signal"] < n-int64(2*allowed) {
		t.Errorf("only %d signals refused of %d", refused["signal"], n)
	}
	t.Logf("signal flood: %d frames in %v, victim saw %d typing events, %d refused", n, written, typing, refused["signal"])
}

func TestAbuseConnectionsPerUserAreCapped(t *testing.T) {
	const cap = 3
	srv := webtest.MustServer(t, func(c *web.Config) { c.Chat.Limits.ConnsPerUser = cap })
	_, h := srv.MustSignUp(t, "mallory")
	_, hb := srv.MustSignUp(t, "bob")
	conns := make([]*webtest.WS, 0, cap)
	for range cap {
		conns = append(conns, srv.MustConnect(t, h, nil))
	}
	over := srv.MustDial(t, h)
	env := over.MustNext(t)
	var e shared.Error
	json.Unmarshal(env.Data, &e)
	if env.Type != shared.TypeError || e.Code != shared.CodeTooManyConnections || !e.Fatal {
		t.Fatalf("connection past the cap: %s %s", env.Type, env.Data)
	}
	mustClose(t, over)
	srv.MustConnect(t, hb, nil) // someone else is not affected
	// Closing one makes room again.
	conns[0].Conn.Close(websocket.StatusNormalClosure, "")
	ctx, cancel := context.WithTimeout(context.Background(), webtest.Timeout)
	defer cancel()
	for {
		w := srv.MustDial(t, h)
		w.MustSend(t, shared.TypeHello, "", shared.Hello{Protocol: shared.ProtocolVersion})
		if env := w.MustNext(t); env.Type == shared.TypeWelcome {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("no room after a connection closed")
		}
		w.Conn.CloseNow()
	}
}

func TestAbuseInvalidText(t *testing.T) {
	srv := webtest.MustServer(t)
	_, h := srv.MustSignUp(t, "mallory")
	v, _ := srv.MustSignUp(t, "victim")
	w := srv.MustConnect(t, h, nil)
	conv := mustConversation(t, w, "text", v)

	t.Run("lone surrogate is refused, the connection stays", func(t *testing.T) {
		for _, body := range []string{`\ud800`, `x\udc00y`, `\ud800\u0041`} {
			id := shared.NewUUIDv7()
			frame := `{"type":"message.send","id":"` + id + `","data":{"conversation_id":"` + conv.ID + `","body":"` + body + `"}}`
			if err := w.Conn.Write(context.Background(), websocket.MessageText, []byte(frame)); err != nil {
				t.Fatal(err)
			}
			env := w.MustAwait(t, "an error", func(e shared.Envelope) bool { return e.Type == shared.TypeError })
			var e shared.Error
			json.Unmarshal(env.Data, &e)
			if e.Code != shared.CodeInvalid {
				t.Fatalf("body %s: %+v", body, e)
			}
		}
		// A real pair and an escaped backslash are fine.
		for _, body := range []string{`\ud83d\ude00`, `\\ud800`} {
			id := shared.NewUUIDv7()
			frame := `{"type":"message.send","id":"` + id + `","data":{"conversation_id":"` + conv.ID + `","body":"` + body + `"}}`
			w.Conn.Write(context.Background(), websocket.MessageText, []byte(frame))
			if env := w.MustReply(t, id); env.Type != shared.TypeAck {
				t.Fatalf("body %s refused: %s", body, env.Data)
			}
		}
	})
	t.Run("invalid UTF-8 closes with 1007 and stores nothing", func(t *testing.T) {
		w := srv.MustConnect(t, h, nil)
		id := shared.NewUUIDv7()
		frame := []byte(`{"type":"message.send","id":"` + id + `","data":{"conversation_id":"` + conv.ID + `","body":"`)
		frame = append(frame, 0xff, 0xfe)
		frame = append(frame, `"}}`...)
		if err := w.Conn.Write(context.Background(), websocket.MessageText, frame); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), webtest.Timeout)
		defer cancel()
		var gotErr bool
		for {
			env, err := w.Next(ctx)
			if err != nil {
				if st := websocket.CloseStatus(err); st != websocket.StatusInvalidFramePayloadData {
					t.Fatalf("closed with %v (%v), want 1007", st, err)
				}
				break
			}
			if env.Type == shared.TypeError {
				gotErr = true
			}
		}
		if !gotErr {
			t.Error("no error event before the close")
		}
		hist, err := srv.Store.History(context.Background(), v.ID, conv.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range hist.Messages {
			if m.ActionID == id {
				t.Fatalf("the invalid frame was stored: %q", m.Body)
			}
		}
	})
}

func TestAbuseReconnectStormIsRefused(t *testing.T) {
	const perMinute = 5
	srv := webtest.MustServer(t, func(c *web.Config) { c.Chat.Limits.OpensPerMinute = perMinute })
	_, h := srv.MustSignUp(t, "mallory")
	_, hb := srv.MustSignUp(t, "bob")
	for range perMinute {
		w := srv.MustConnect(t, h, nil) // each one costs a replay
		w.Conn.CloseNow()
	}
	over := srv.MustDial(t, h)
	env := over.MustNext(t)
	var e shared.Error
	json.Unmarshal(env.Data, &e)
	if env.Type != shared.TypeError || e.Code != shared.CodeTooManyConnections || e.RetryAfter < 1 {
		t.Fatalf("connection past the rate: %s %s", env.Type, env.Data)
	}
	srv.MustConnect(t, hb, nil) // someone else is not affected
}
