//go:build !js

package client_test

import (
	"context"
	"testing"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

func TestRefusedActionFailsWithoutBlockingOthers(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	direct := mustDirect(t, srv, ann, bob)
	w := srv.MustConnect(t, ann.header, nil)
	group := w.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "g", MemberIDs: []int64{bob.ID}}).Conversation.ID

	e := mustEngine(t, srv, bob, nil)
	e.waitCaughtUp(t)
	e.SetOnline(false)
	refused, err := e.Send(group, "too late")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Send(direct, "still fine"); err != nil {
		t.Fatal(err)
	}
	w.MustAck(t, shared.TypeConversationClose, shared.ConversationRef{ConversationID: group})
	e.SetOnline(true)

	e.waitSent(t, direct, 1)
	e.wait(t, "the refused message marked failed", func() bool {
		ms := e.Messages(group)
		return len(ms) == 1 && ms[0].State == client.MsgFailed
	})
	m := e.Messages(group)[0]
	if m.ActionID != refused || m.Error == "" {
		t.Errorf("failed row %+v, want the server's reason", m)
	}
	e.wait(t, "the other message acked", func() bool { return len(e.State().Outbox) == 1 })
	if ob := e.State().Outbox; ob[0].ID != refused || ob[0].State != client.MsgFailed {
		t.Errorf("State.Outbox = %+v", ob)
	}
	// Retry sends it again under the same id; it is refused again.
	e.Retry(refused)
	e.wait(t, "refused again", func() bool {
		ms := e.Messages(group)
		return len(ms) == 1 && ms[0].State == client.MsgFailed
	})
	e.Discard(refused)
	if ms := e.Messages(group); len(ms) != 0 {
		t.Errorf("discarded message still shown: %+v", ms)
	}
	e.waitAcked(t)
	if got := mustHistory(t, srv, ann, group); len(got) != 0 {
		t.Errorf("closed conversation holds %d messages", len(got))
	}
}

func TestBadResumeTokenFallsBackToCookie(t *testing.T) {
	srv := webtest.MustServer(t)
	ann := mustUser(t, srv, "ann")
	tokens := &client.MemoryTokens{}
	tokens.Set("tampered")
	st := client.NewMemoryStorage()
	e := client.New(client.Config{Storage: st, ResumeTokens: tokens,
		Transport: &client.WebSocketTransport{URL: srv.WSURL, Header: ann.header}})
	e.Start(context.Background())
	t.Cleanup(e.Stop)
	eng := &engine{Engine: e, st: st}
	eng.waitCaughtUp(t)
	if tok := tokens.Get(); tok == "" || tok == "tampered" {
		t.Errorf("token after welcome = %q, want the server's new one", tok)
	}
	if me := e.State().Me; me.ID != ann.ID {
		t.Errorf("signed in as %+v", me)
	}
}

func TestConversationLostWhileAwayIsDropped(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob, cat := mustUser(t, srv, "ann"), mustUser(t, srv, "bob"), mustUser(t, srv, "cat")
	w := srv.MustConnect(t, bob.header, nil)
	group := w.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "g", MemberIDs: []int64{ann.ID, cat.ID}}).Conversation.ID

	st := client.NewMemoryStorage()
	e := mustEngine(t, srv, ann, st)
	e.wait(t, "the group", func() bool { _, ok := e.Conversation(group); return ok })
	e.Stop()
	w.MustAck(t, shared.TypeMemberRemove, shared.MemberChange{ConversationID: group, UserID: ann.ID})

	off := client.New(client.Config{Storage: st, Transport: &client.WebSocketTransport{URL: srv.WSURL, Header: ann.header}})
	off.SetOnline(false)
	off.Start(context.Background())
	t.Cleanup(off.Stop)
	e = &engine{Engine: off, st: st}
	if _, ok := e.Conversation(group); !ok {
		t.Fatal("the cached group is not shown offline at start")
	}
	e.SetOnline(true)
	e.waitCaughtUp(t)
	if _, ok := e.Conversation(group); ok {
		t.Error("a conversation the user was removed from is still shown after caught_up")
	}
}
