//go:build !js

package client_test

import (
	"context"
	"strconv"
	"testing"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// A person in more conversations than one replay describes gets them all,
// each with what they missed, and forgets only the ones truly gone.
func TestConversationsBeyondTheFirstPage(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) { c.Chat.Limits.CreatesPerHour, c.Chat.Limits.AddsPerHour = 1000, 1000 })
	ann := mustUser(t, srv, "ann")
	const n = shared.ReplayConversationsMax*2 + 30
	w := srv.MustConnect(t, ann.header, nil)
	others := make([]user, 0, n)
	var convs []string
	for i := range n {
		var o user
		if i < 5 { // the ones who act need a session
			o = mustUser(t, srv, "p"+strconv.Itoa(i))
		} else {
			rec, err := srv.Store.CreateUser(context.Background(), "pages"+strconv.Itoa(i)+"@example.com", "pages"+strconv.Itoa(i), "not-a-hash")
			if err != nil {
				t.Fatal(err)
			}
			o = user{User: rec.User}
		}
		others = append(others, o)
		ack := w.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "c" + strconv.Itoa(i), MemberIDs: []int64{o.ID}})
		convs = append(convs, ack.Conversation.ID)
	}
	w.Conn.CloseNow()

	st := client.NewMemoryStorage()
	e := mustEngine(t, srv, ann, st)
	e.wait(t, "every conversation", func() bool { return len(e.State().Conversations) == n })
	e.Stop()

	// While ann is away: messages in convs[0], then in a hundred others, so
	// convs[0] is not among the most recently active and its news must come
	// with a later page; and she loses one conversation.
	mustSend(t, srv, others[0], convs[0], 0, 3)
	for i := n - shared.ReplayConversationsMax; i < n; i++ {
		mustSend(t, srv, others[i], convs[i], 0, 1)
	}
	wo := srv.MustConnect(t, others[1].header, nil)
	wo.MustAck(t, shared.TypeConversationLeave, shared.ConversationRef{ConversationID: convs[1]}) // the owner is ann; others[1] leaves
	wo.Conn.CloseNow()
	wa := srv.MustConnect(t, ann.header, nil)
	wa.MustAck(t, shared.TypeConversationClose, shared.ConversationRef{ConversationID: convs[2]})
	wa.Conn.CloseNow()
	if _, err := srv.Store.LeaveConversation(context.Background(), others[3].ID, shared.NewUUIDv7(), convs[3]); err != nil {
		t.Fatal(err)
	}
	// ann loses convs[4]: its owner hands it over and removes her.
	wa = srv.MustConnect(t, ann.header, nil)
	wa.MustAck(t, shared.TypeOwnerTransfer, shared.MemberChange{ConversationID: convs[4], UserID: others[4].ID})
	wa.Conn.CloseNow()
	wo = srv.MustConnect(t, others[4].header, nil)
	wo.MustAck(t, shared.TypeMemberRemove, shared.MemberChange{ConversationID: convs[4], UserID: ann.ID})
	wo.Conn.CloseNow()

	e = mustEngine(t, srv, ann, st)
	e.wait(t, "the paged conversations", func() bool {
		_, gone := e.Conversation(convs[4])
		v, _ := e.Conversation(convs[0])
		return !gone && v.LastSeq == 3 && len(e.Messages(convs[0])) == 3
	})
	if got := len(e.State().Conversations); got != n-1 {
		t.Fatalf("%d conversations held, want %d", got, n-1)
	}
	if v, _ := e.Conversation(convs[2]); v.ClosedAt == nil {
		t.Error("the closed conversation is not shown closed")
	}
}

// A group created through the outbox with someone who blocked the creator
// is made without them, and the creator's device says so.
func TestCreateLeavesOutWhoBlockedTheCreator(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob, cat := mustUser(t, srv, "ann"), mustUser(t, srv, "bob"), mustUser(t, srv, "cat")
	if _, err := srv.Store.BlockUser(context.Background(), bob.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	e := mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)
	id, err := e.CreateConversation("team", []shared.User{bob.User, cat.User})
	if err != nil {
		t.Fatal(err)
	}
	e.waitAcked(t)
	v, _ := e.Conversation(id)
	if len(v.LeftOut) != 1 || v.LeftOut[0].UserID != bob.ID || v.Member(bob.ID) != nil || v.Member(cat.ID) == nil {
		t.Fatalf("left out %+v, members %+v", v.LeftOut, v.Members)
	}
}
