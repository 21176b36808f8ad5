//go:build !js

package client_test

import (
	"context"
	"testing"
	"time"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// TestOldChangeIsNotReplayedButOldMessageIs: a rename and a message queued
// offline longer ago than shared.ActionReplayWindow. The message goes out
// exactly once; the rename never reaches the server and waits, failed, with
// the reason; Retry applies it as a new action.
func TestOldChangeIsNotReplayedButOldMessageIs(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	w := srv.MustConnect(t, ann.header, nil)
	group := w.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "plans", MemberIDs: []int64{bob.ID}}).Conversation.ID
	w.Conn.CloseNow()

	// Weeks ago: the engine synced, went offline, and queued two actions.
	st := client.NewMemoryStorage()
	longAgo := time.Now().Add(-shared.ActionReplayWindow - 24*time.Hour)
	tp := newTap(&client.WebSocketTransport{URL: srv.WSURL, Header: ann.header})
	old := &engine{Engine: client.New(client.Config{Storage: st, Transport: tp, Device: "test",
		Rand: func() float64 { return 0.05 }, Now: func() time.Time { return longAgo }}), st: st, tap: tp}
	old.Start(context.Background())
	old.waitCaughtUp(t)
	old.SetOnline(false)
	if err := old.Rename(group, "renamed long ago"); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Send(group, "typed long ago"); err != nil {
		t.Fatal(err)
	}
	renameID := old.State().Outbox[0].ID
	old.Stop()

	// Today, back online.
	e := mustEngine(t, srv, ann, st)
	e.waitSent(t, group, 1)
	e.wait(t, "the rename refused", func() bool {
		ob := e.State().Outbox
		return len(ob) == 1 && ob[0].State == client.MsgFailed
	})
	if a := e.State().Outbox[0]; a.ID != renameID || a.Error != client.ExpiredMessage {
		t.Fatalf("outbox %+v, want the rename failed with %q", a, client.ExpiredMessage)
	}
	if acks := e.tap.acksOf(renameID); len(acks) != 0 {
		t.Fatalf("the expired rename reached the server: %+v", acks)
	}
	if c, err := srv.Store.ConversationByID(context.Background(), group); err != nil || c.Title != "plans" {
		t.Fatalf("server title %q (%v), want it unchanged", c.Title, err)
	}
	if got := mustHistory(t, srv, bob, group); len(got) != 1 || got[0].Body != "typed long ago" {
		t.Fatalf("server holds %+v, want the old message once", got)
	}

	e.Retry(renameID)
	e.waitAcked(t)
	if c, _ := srv.Store.ConversationByID(context.Background(), group); c.Title != "renamed long ago" {
		t.Errorf("after Retry the title is %q", c.Title)
	}
	if acks := e.tap.acksOf(renameID); len(acks) != 0 {
		t.Errorf("Retry reused the expired id")
	}
}
