package web_test

// Who may see and do what: strangers to a conversation, removed members,
// and paging through conversations, each while bystanders keep chatting.

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/coder/websocket"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

func TestAbuseStrangers(t *testing.T) {
	srv := webtest.MustServer(t)
	by := startBystanders(t, srv)
	_, hm := srv.MustSignUp(t, "mallory")
	w := srv.MustConnect(t, hm, nil)
	for _, c := range []struct {
		typ  string
		data any
	}{
		{shared.TypeMessageSend, shared.MessageSend{ConversationID: by.conv.ID, Body: "let me in"}},
		{shared.TypeHistoryFetch, shared.HistoryFetch{ConversationID: by.conv.ID}},
		{shared.TypeSeenQuery, shared.SeenQuery{ConversationID: by.conv.ID, Seq: 1}},
		{shared.TypeMemberAdd, shared.MemberChange{ConversationID: by.conv.ID, UserID: 1}},
		{shared.TypeConversationRename, shared.ConversationRename{ConversationID: by.conv.ID, Title: "mine"}},
		{shared.TypeSeenMark, shared.SeenMark{ConversationID: by.conv.ID, Seq: 1}},
	} {
		e := w.MustError(t, c.typ, shared.NewUUIDv7(), c.data)
		if e.Code != shared.CodeNotFound && e.Code != shared.CodeNotMember {
			t.Errorf("%s by a stranger: %+v", c.typ, e)
		}
	}
	// Typing and read positions into someone else's conversation reach
	// nobody.
	w.MustSend(t, shared.TypeTyping, "", shared.Typing{ConversationID: by.conv.ID})
	w.MustSend(t, shared.TypeReadPosition, "", shared.ReadPosition{ConversationID: by.conv.ID})
	by.finish(t, "a stranger's actions")
	end := by.send.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: by.conv.ID, Body: "end"})
	for {
		env := by.rcv.MustNext(t)
		if env.Type == shared.TypeTypingEvent || env.Type == shared.TypePresence {
			t.Fatalf("a stranger's signal reached a member: %s", env.Data)
		}
		if env.Type == shared.TypeMessageCreated && env.Seq == end.Message.Seq {
			break
		}
	}
	// A page on another origin cannot open a WebSocket with the cookie.
	h := hm.Clone()
	h.Set("Origin", "https://evil.example")
	_, resp, err := websocket.Dial(context.Background(), srv.WSURL, &websocket.DialOptions{HTTPHeader: h})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a foreign origin opened a WebSocket: %v %v", err, resp)
	}
}

func TestRemovedMemberLosesPresenceAndGetsDeltas(t *testing.T) {
	srv := webtest.MustServer(t)
	_, ha := srv.MustSignUp(t, "ann")
	b, hb := srv.MustSignUp(t, "bob")
	c, hc := srv.MustSignUp(t, "cid")
	wa := srv.MustConnect(t, ha, nil)
	wb := srv.MustConnect(t, hb, nil)
	conv := mustConversation(t, wa, "group", b)
	wb.MustAwait(t, "the conversation", func(e shared.Envelope) bool { return e.Type == shared.TypeConversationUpdated })

	// Adding cid: the others get a delta of one member, cid gets it whole.
	wc := srv.MustConnect(t, hc, nil)
	wa.MustAck(t, shared.TypeMemberAdd, shared.MemberChange{ConversationID: conv.ID, UserID: c.ID})
	env := wb.MustAwait(t, "the delta", func(e shared.Envelope) bool { return e.Type == shared.TypeConversationUpdated })
	var delta shared.Conversation
	json.Unmarshal(env.Data, &delta)
	if !delta.Delta || len(delta.Members) != 1 || delta.Members[0].UserID != c.ID {
		t.Fatalf("bob got %+v, want a delta with cid alone", delta)
	}
	env = wc.MustAwait(t, "the whole conversation", func(e shared.Envelope) bool { return e.Type == shared.TypeConversationUpdated })
	var whole shared.Conversation
	json.Unmarshal(env.Data, &whole)
	if whole.Delta || len(whole.Members) != 3 {
		t.Fatalf("cid got %+v, want all three members", whole)
	}
	merged := shared.MergeDelta(conv, delta)
	if len(merged.Members) != 3 {
		t.Fatalf("merged: %+v", merged.Members)
	}

	// bob views the conversation; then he is removed.
	wb.MustSend(t, shared.TypeReadPosition, "", shared.ReadPosition{ConversationID: conv.ID, Seq: 0})
	wa.MustAwait(t, "bob's presence", func(e shared.Envelope) bool {
		var p shared.Presence
		return e.Type == shared.TypePresence && json.Unmarshal(e.Data, &p) == nil && len(p.Viewers) == 1
	})
	wa.MustAck(t, shared.TypeMemberRemove, shared.MemberChange{ConversationID: conv.ID, UserID: b.ID})
	wa.MustAwait(t, "bob gone from presence", func(e shared.Envelope) bool {
		var p shared.Presence
		return e.Type == shared.TypePresence && json.Unmarshal(e.Data, &p) == nil && len(p.Viewers) == 0
	})
	wb.MustAwait(t, "conversation.removed", func(e shared.Envelope) bool { return e.Type == shared.TypeConversationRemoved })
	wb.Drain() // what came before the removal was his to see
	// cid starts viewing: bob, removed, must hear nothing of it.
	wc.MustSend(t, shared.TypeReadPosition, "", shared.ReadPosition{ConversationID: conv.ID, Seq: 0})
	wa.MustAwait(t, "cid's presence", func(e shared.Envelope) bool {
		var p shared.Presence
		return e.Type == shared.TypePresence && json.Unmarshal(e.Data, &p) == nil && len(p.Viewers) == 1
	})
	// A message to bob alone marks the end of what he may have been sent.
	d, _ := srv.MustSignUp(t, "dan")
	dm := mustConversation(t, wa, "", b, d)
	for {
		env := wb.MustNext(t)
		if env.Type == shared.TypePresence {
			var p shared.Presence
			json.Unmarshal(env.Data, &p)
			if p.ConversationID == conv.ID {
				t.Fatalf("bob, removed, still gets presence: %s", env.Data)
			}
		}
		if env.Type == shared.TypeConversationUpdated && string(env.Data) != "" {
			var cv shared.Conversation
			json.Unmarshal(env.Data, &cv)
			if cv.ID == dm.ID {
				break
			}
		}
	}
}

// conversations.fetch pages only through the asker's own conversations,
// and a flood of it spends the read budget.
func TestConversationsFetchIsOwnAndBudgeted(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) { c.Chat.Limits.ReadRate, c.Chat.Limits.ReadBurst = 1, 5 })
	by := startBystanders(t, srv)
	_, hm := srv.MustSignUp(t, "mallory")
	w := srv.MustConnect(t, hm, nil)
	ack := w.MustAck(t, shared.TypeConversationsFetch, shared.ConversationsFetch{})
	if ack.Page == nil || ack.Page.Next != "" || len(ack.Page.Gaps) != 0 {
		t.Fatalf("a stranger's page: %+v", ack.Page)
	}
	// Nothing of the bystanders' conversation came before the ack either
	// (a page's conversations arrive as events before its ack): read what
	// is queued up to the answer of a ping sent after it.
	ping := shared.NewUUIDv7()
	w.MustSend(t, shared.TypePing, ping, nil)
	for {
		env := w.MustNext(t)
		if env.Type == shared.TypeConversationUpdated {
			t.Fatalf("a stranger was described a conversation: %s", env.Data)
		}
		if env.Type == shared.TypePong && env.ID == ping {
			break
		}
	}
	ids := map[string]bool{}
	for range 50 {
		id := shared.NewUUIDv7()
		ids[id] = true
		w.MustSend(t, shared.TypeConversationsFetch, id, shared.ConversationsFetch{After: by.conv.ID})
	}
	acked, errs := readReplies(t, w, ids)
	by.finish(t, "conversations.fetch flood")
	if acked > 6 || len(errs[shared.CodeRateLimited]) < 44 {
		t.Fatalf("fetch flood: %d acked, errors %v", acked, errs)
	}
}
