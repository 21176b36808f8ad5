package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// mustConversation has a create a conversation with the given members.
func mustConversation(t *testing.T, ws *webtest.WS, title string, members ...shared.User) shared.Conversation {
	t.Helper()
	ids := make([]int64, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	ack := ws.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: title, MemberIDs: ids})
	if ack.Conversation == nil {
		t.Fatal("create: no conversation in ack")
	}
	return *ack.Conversation
}

func TestMessagingLive(t *testing.T) {
	srv := webtest.MustServer(t)
	a, ha := srv.MustSignUp(t, "ann")
	b, hb := srv.MustSignUp(t, "bob")
	wa := srv.MustConnect(t, ha, nil)
	wb := srv.MustConnect(t, hb, nil)
	wb2 := srv.MustConnect(t, hb, nil) // a second device of b

	conv := mustConversation(t, wa, "", b)
	if conv.Owner() != a.ID || len(conv.Members) != 2 || conv.Title == "" {
		t.Fatalf("conversation: %+v", conv)
	}
	for _, w := range []*webtest.WS{wb, wb2} {
		w.MustAwait(t, "conversation on b's devices", func(e shared.Envelope) bool { return e.Type == shared.TypeConversationUpdated })
	}
	id := shared.NewUUIDv7()
	wa.MustSend(t, shared.TypeMessageSend, id, shared.MessageSend{ConversationID: conv.ID, Body: "hello <b>bob</b>"})
	ack := wa.MustReply(t, id)
	var got shared.Ack
	json.Unmarshal(ack.Data, &got)
	if ack.Type != shared.TypeAck || got.Message.Seq != 1 || got.Message.Body != "hello <b>bob</b>" {
		t.Fatalf("ack %s", ack.Data)
	}
	for _, w := range []*webtest.WS{wb, wb2} {
		env := w.MustAwait(t, "message", func(e shared.Envelope) bool { return e.Type == shared.TypeMessageCreated })
		var m shared.Message
		json.Unmarshal(env.Data, &m)
		if m.Seq != 1 || env.Seq != 1 || m.SenderID != a.ID || m.ActionID != id {
			t.Fatalf("b got %s", env.Data)
		}
	}

	// The same action id again: the original ack, nothing new stored.
	wa.MustSend(t, shared.TypeMessageSend, id, shared.MessageSend{ConversationID: conv.ID, Body: "hello <b>bob</b>"})
	again := wa.MustReply(t, id)
	var got2 shared.Ack
	json.Unmarshal(again.Data, &got2)
	if got2.Message == nil || got2.Message.ID != got.Message.ID || got2.Message.Seq != 1 {
		t.Fatalf("replay: %s", again.Data)
	}
	h, err := srv.Store.History(context.Background(), a.ID, conv.ID, 0, 50)
	if err != nil || len(h.Messages) != 1 {
		t.Fatalf("history after replay: %d messages, %v", len(h.Messages), err)
	}

	// b marks it seen; a sees the cursor move.
	wb.MustAck(t, shared.TypeSeenMark, shared.SeenMark{ConversationID: conv.ID, Seq: 1})
	env := wa.MustAwait(t, "seen", func(e shared.Envelope) bool { return e.Type == shared.TypeSeenMoved })
	var sm shared.SeenMoved
	json.Unmarshal(env.Data, &sm)
	if sm.UserID != b.ID || sm.Seq != 1 {
		t.Fatalf("seen: %s", env.Data)
	}
	sb := wa.MustAck(t, shared.TypeSeenQuery, shared.SeenQuery{ConversationID: conv.ID, Seq: 1})
	if sb.SeenBy == nil || len(sb.SeenBy.Seen) != 1 || sb.SeenBy.Seen[0].UserID != b.ID {
		t.Fatalf("seen by: %+v", sb.SeenBy)
	}
}

func TestResumeAfterGap(t *testing.T) {
	srv := webtest.MustServer(t)
	_, ha := srv.MustSignUp(t, "ann")
	b, hb := srv.MustSignUp(t, "bob")
	wa := srv.MustConnect(t, ha, nil)
	conv := mustConversation(t, wa, "gap", b)
	for i := 0; i < 30; i++ {
		wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "m"})
	}
	// b held up to 10: it gets 11..30, in order, then caught_up.
	wb := srv.MustConnect(t, hb, map[string]int64{conv.ID: 10})
	var seqs []int64
	for _, e := range wb.Replay {
		if e.Type == shared.TypeMessageCreated {
			seqs = append(seqs, e.Seq)
		}
	}
	if len(seqs) != 20 || seqs[0] != 11 || seqs[19] != 30 {
		t.Fatalf("replay seqs %v", seqs)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("replay out of order: %v", seqs)
		}
	}
	if wb.Welcome.ResumeToken == "" {
		t.Fatal("welcome carries no resume token")
	}
}

func TestReplayCapsToNewestPage(t *testing.T) {
	srv := webtest.MustServer(t)
	a, ha := srv.MustSignUp(t, "ann")
	wa := srv.MustConnect(t, ha, nil)
	b, _ := srv.MustSignUp(t, "bob")
	conv := mustConversation(t, wa, "big", b)
	for i := 0; i < shared.ReplayPageMax+50; i++ {
		if _, err := srv.Store.SendMessage(context.Background(), a.ID, shared.NewUUIDv7(), conv.ID, "x"); err != nil {
			t.Fatal(err)
		}
	}
	w := srv.MustConnect(t, ha, nil)
	n := 0
	for _, e := range w.Replay {
		if e.Type == shared.TypeMessageCreated {
			n++
		}
	}
	if n != shared.ReplayPageMax || w.CaughtUp.Gaps[conv.ID] != 51 {
		t.Fatalf("replayed %d, gaps %v", n, w.CaughtUp.Gaps)
	}
}

func TestActionErrors(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) { c.Chat.BodyMax = 100 })
	a, ha := srv.MustSignUp(t, "ann")
	b, hb := srv.MustSignUp(t, "bob")
	_, hc := srv.MustSignUp(t, "cid")
	wa := srv.MustConnect(t, ha, nil)
	wb := srv.MustConnect(t, hb, nil)
	wc := srv.MustConnect(t, hc, nil)
	conv := mustConversation(t, wa, "errors", b)
	closed := mustConversation(t, wa, "closed", b)
	wa.MustAck(t, shared.TypeConversationClose, shared.ConversationRef{ConversationID: closed.ID})
	_ = a

	tests := []struct {
		name string
		ws   *webtest.WS
		typ  string
		data any
		code string
	}{
		{"unknown conversation", wa, shared.TypeMessageSend, shared.MessageSend{ConversationID: shared.NewUUIDv7(), Body: "hi"}, shared.CodeNotFound},
		{"not a member", wc, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "hi"}, shared.CodeNotFound},
		{"closed", wb, shared.TypeMessageSend, shared.MessageSend{ConversationID: closed.ID, Body: "hi"}, shared.CodeClosed},
		{"empty body", wa, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "  \n "}, shared.CodeEmptyBody},
		{"oversized body", wa, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: strings.Repeat("é", 101)}, shared.CodeBodyTooLong},
		{"title too long", wa, shared.TypeConversationRename, shared.ConversationRename{ConversationID: conv.ID, Title: strings.Repeat("t", shared.TitleMax+1)}, shared.CodeTitleTooLong},
		{"not owner", wb, shared.TypeConversationRename, shared.ConversationRename{ConversationID: conv.ID, Title: "mine"}, shared.CodeNotOwner},
		{"malformed data", wa, shared.TypeMessageSend, "not an object", shared.CodeMalformed},
		{"unknown type", wa, "message.explode", map[string]string{}, shared.CodeUnknownType},
		{"non-member history", wc, shared.TypeHistoryFetch, shared.HistoryFetch{ConversationID: conv.ID}, shared.CodeNotFound},
		{"non-member seen query", wc, shared.TypeSeenQuery, shared.SeenQuery{ConversationID: conv.ID, Seq: 1}, shared.CodeNotFound},
		{"non-member seen mark", wc, shared.TypeSeenMark, shared.SeenMark{ConversationID: conv.ID, Seq: 1}, shared.CodeNotFound},
		{"non-member add", wc, shared.TypeMemberAdd, shared.MemberChange{ConversationID: conv.ID, UserID: 1}, shared.CodeNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := shared.NewUUIDv7()
			e := tc.ws.MustError(t, tc.typ, id, tc.data)
			if e.Code != tc.code || e.Message == "" || e.Fatal {
				t.Fatalf("got %+v, want code %s with a message", e, tc.code)
			}
			tc.ws.MustPing(t) // the connection stays up
		})
	}
	t.Run("missing action id", func(t *testing.T) {
		e := wa.MustError(t, shared.TypeMessageSend, "", shared.MessageSend{ConversationID: conv.ID, Body: "x"})
		if e.Code != shared.CodeMalformed {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("non-member learns nothing", func(t *testing.T) {
		again := srv.MustConnect(t, hc, map[string]int64{conv.ID: 0})
		for _, e := range again.Replay {
			if strings.Contains(string(e.Data), conv.ID) {
				t.Fatalf("a non-member's replay mentions the conversation: %s", e.Data)
			}
		}
		// and no fan-out reaches them: c sends a marker to itself after a
		// message in conv, and must see its own marker first.
		wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "secret"})
		own := mustConversation(t, wc, "mine", a)
		wc.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: own.ID, Body: "marker"})
		wc.MustAwait(t, "own marker", func(e shared.Envelope) bool {
			if strings.Contains(string(e.Data), "secret") {
				t.Fatal("fan-out reached a non-member")
			}
			return e.Type == shared.TypeMessageCreated && strings.Contains(string(e.Data), "marker")
		})
	})
	t.Run("malformed frames keep the connection until a flood", func(t *testing.T) {
		w := srv.MustConnect(t, hc, nil)
		ctx := context.Background()
		w.Conn.Write(ctx, websocket.MessageText, []byte("{not json"))
		env := w.MustNext(t)
		if env.Type != shared.TypeError {
			t.Fatalf("garbage answered with %s", env.Type)
		}
		w.MustPing(t)
	})
}

func TestFloodsAndHugeFramesClose(t *testing.T) {
	srv := webtest.MustServer(t)
	_, h := srv.MustSignUp(t, "ann")
	t.Run("garbage flood", func(t *testing.T) {
		w := srv.MustConnect(t, h, nil)
		for i := 0; i < 50; i++ {
			if err := w.Conn.Write(context.Background(), websocket.MessageText, []byte("garbage")); err != nil {
				break
			}
		}
		mustClose(t, w)
	})
	t.Run("frame over the limit", func(t *testing.T) {
		w := srv.MustConnect(t, h, nil)
		w.Conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"ping","data":"`+strings.Repeat("x", shared.MaxFrameBytes)+`"}`))
		mustClose(t, w)
	})
}

func mustClose(t *testing.T, w *webtest.WS) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), webtest.Timeout)
	defer cancel()
	for {
		if _, err := w.Next(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("the connection stayed open")
			}
			return
		}
	}
}

func TestRateLimit(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) { c.Chat.Limits.ActionRate = 1; c.Chat.Limits.ActionBurst = 5 })
	_, h := srv.MustSignUp(t, "ann")
	b, _ := srv.MustSignUp(t, "bob")
	w := srv.MustConnect(t, h, nil)
	conv := mustConversation(t, w, "fast", b)
	var limited *shared.Error
	for i := 0; i < 10 && limited == nil; i++ {
		id := shared.NewUUIDv7()
		w.MustSend(t, shared.TypeMessageSend, id, shared.MessageSend{ConversationID: conv.ID, Body: "x"})
		env := w.MustReply(t, id)
		if env.Type == shared.TypeError {
			limited = &shared.Error{}
			json.Unmarshal(env.Data, limited)
		}
	}
	if limited == nil || limited.Code != shared.CodeRateLimited || limited.RetryAfter <= 0 {
		t.Fatalf("no rate limit: %+v", limited)
	}
}

func TestOldProtocolIsToldToUpdate(t *testing.T) {
	srv := webtest.MustServer(t)
	_, h := srv.MustSignUp(t, "ann")
	w := srv.MustDial(t, h)
	w.MustSend(t, shared.TypeHello, "", shared.Hello{Protocol: shared.MinProtocolVersion - 1})
	env := w.MustNext(t)
	var e shared.Error
	json.Unmarshal(env.Data, &e)
	if e.Code != shared.CodeUnsupportedVersion || !e.Fatal {
		t.Fatalf("got %s", env.Data)
	}
}

func TestResumeToken(t *testing.T) {
	srv := webtest.MustServer(t)
	_, h := srv.MustSignUp(t, "ann")
	w := srv.MustConnect(t, h, nil)
	tok := w.Welcome.ResumeToken
	srv.Restart(t)
	w2 := srv.MustDial(t, h)
	w2.MustHello(t, shared.Hello{Protocol: shared.ProtocolVersion, ResumeToken: tok})
	if !w2.Welcome.Resumed {
		t.Fatal("a valid token after a restart was not accepted")
	}
	bad := []byte(tok)
	bad[len(bad)/2] ^= 1
	w3 := srv.MustDial(t, h)
	w3.MustSend(t, shared.TypeHello, "", shared.Hello{Protocol: shared.ProtocolVersion, ResumeToken: string(bad)})
	env := w3.MustAwait(t, "token error", func(e shared.Envelope) bool { return e.Type == shared.TypeError || e.Type == shared.TypeWelcome })
	var e shared.Error
	json.Unmarshal(env.Data, &e)
	if env.Type != shared.TypeError || e.Code != shared.CodeTokenInvalid || e.Fatal {
		t.Fatalf("tampered token: %s %s", env.Type, env.Data)
	}
	// and it falls back to the cookie: welcome follows.
	w3.MustAwait(t, "welcome", func(e shared.Envelope) bool { return e.Type == shared.TypeWelcome })
}

var _ = http.StatusOK
var _ = time.Second

// TestReplayFocusFirst checks that the conversation a hello focuses is
// replayed, with its missed messages, before the user's other ones, and
// that focusing someone else's conversation neither reorders nor reveals.
func TestReplayFocusFirst(t *testing.T) {
	srv := webtest.MustServer(t)
	a, ha := srv.MustSignUp(t, "ann")
	wa := srv.MustConnect(t, ha, nil)
	b, hb := srv.MustSignUp(t, "bob")
	_, hc := srv.MustSignUp(t, "cid")
	var convs []shared.Conversation
	for _, title := range []string{"oldest", "middle", "newest"} {
		conv := mustConversation(t, wa, title, b)
		for i := 0; i < 3; i++ {
			if _, err := srv.Store.SendMessage(context.Background(), a.ID, shared.NewUUIDv7(), conv.ID, title); err != nil {
				t.Fatal(err)
			}
		}
		convs = append(convs, conv)
	}
	order := func(replay []shared.Envelope) (ids []string) {
		for _, e := range replay {
			var ref struct {
				ID             string `json:"id"`
				ConversationID string `json:"conversation_id"`
			}
			json.Unmarshal(e.Data, &ref)
			id := ref.ConversationID
			if e.Type == shared.TypeConversationUpdated {
				id = ref.ID
			}
			if e.Type == shared.TypeConversationUpdated || e.Type == shared.TypeMessageCreated {
				if len(ids) == 0 || ids[len(ids)-1] != id {
					ids = append(ids, id)
				}
			}
		}
		return ids
	}
	tests := []struct {
		name  string
		focus string
		want  []string
	}{
		{"no focus: most recently active first", "", []string{convs[2].ID, convs[1].ID, convs[0].ID}},
		{"focus on the oldest", convs[0].ID, []string{convs[0].ID, convs[2].ID, convs[1].ID}},
		{"focus on the newest", convs[2].ID, []string{convs[2].ID, convs[1].ID, convs[0].ID}},
		{"focus on no conversation", shared.NewUUIDv7(), []string{convs[2].ID, convs[1].ID, convs[0].ID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := srv.MustDial(t, hb)
			w.MustHello(t, shared.Hello{Protocol: shared.ProtocolVersion, Focus: tc.focus, PageConversations: shared.ReplayConversationsMax})
			if got := order(w.Replay); !slices.Equal(got, tc.want) {
				t.Fatalf("replay order %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("a stranger's focus reveals nothing", func(t *testing.T) {
		w := srv.MustDial(t, hc)
		w.MustHello(t, shared.Hello{Protocol: shared.ProtocolVersion, Focus: convs[0].ID})
		for _, e := range w.Replay {
			if strings.Contains(string(e.Data), convs[0].ID) {
				t.Fatalf("a stranger's replay mentions the focused conversation: %s", e.Data)
			}
		}
	})
}
