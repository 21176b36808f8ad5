//go:build !js

package client_test

import (
	"context"
	"errors"
	"testing"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// Jumping into the middle of a long conversation: the target is held after
// one request, the run between it and the newest messages is filled in the
// background, scrolling up from it still works, and a target already held
// (or one that does not exist) needs nothing more.
func TestLoadAroundJumpsIntoTheMiddle(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	const last = 1500
	mustSend(t, srv, bob, conv, 1, last)
	e := mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)
	if e.Holds(conv, 300) {
		t.Fatal("seq 300 held before the jump")
	}
	if err := e.LoadAround(context.Background(), conv, 300); err != nil {
		t.Fatal(err)
	}
	if !e.Holds(conv, 300) {
		t.Fatal("seq 300 not held after the jump")
	}
	// The gap up to the newest page fills by itself, so the held run is
	// gap-free again and resuming replays from the top.
	e.wait(t, "the gap filled", func() bool { return len(e.Messages(conv)) == last-(300-client.AroundPage/2)+1 })
	checkHeld(t, e, conv, 300-client.AroundPage/2, last)
	if v, _ := e.Conversation(conv); !v.HasOlder {
		t.Fatal("older messages exist but HasOlder is false")
	}
	if err := e.LoadOlder(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	checkHeld(t, e, conv, 300-client.AroundPage/2-client.HistoryPage, last)

	// Held: no request, so it works offline.
	e.goOffline(t)
	if err := e.LoadAround(context.Background(), conv, 1000); err != nil {
		t.Fatalf("a held message offline: %v", err)
	}
	if err := e.LoadAround(context.Background(), conv, 3); !errors.Is(err, client.ErrOffline) {
		t.Fatalf("a message not held, offline: %v", err)
	}
	e.SetOnline(true)
	e.waitCaughtUp(t)
	var se *shared.Error
	if err := e.LoadAround(context.Background(), conv, last+5); !errors.As(err, &se) || se.Code != shared.CodeSeqOutOfRange {
		t.Fatalf("a message that does not exist: %v", err)
	}
	// The start of the conversation: nothing older.
	if err := e.LoadAround(context.Background(), conv, 2); err != nil {
		t.Fatal(err)
	}
	e.wait(t, "everything held", func() bool { return len(e.Messages(conv)) == last })
	if v, _ := e.Conversation(conv); v.HasOlder {
		t.Fatal("HasOlder with the first message held")
	}
}
