//go:build !js

package client_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// olderFixture is ann's engine on a conversation with three pages of
// history older than the replay, and the seq of the oldest message held.
func olderFixture(t *testing.T) (srv *webtest.Server, e *engine, bob user, conv string, oldest int64) {
	t.Helper()
	srv = webtest.MustServer(t)
	ann := mustUser(t, srv, "ann")
	bob = mustUser(t, srv, "bob")
	conv = mustDirect(t, srv, ann, bob)
	last := shared.ReplayPageMax + 3*client.HistoryPage
	mustSend(t, srv, bob, conv, 0, last)
	e = mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)
	oldest = int64(last - shared.ReplayPageMax + 1)
	checkHeld(t, e, conv, oldest, int64(last))
	return srv, e, bob, conv, oldest
}

// TestOlderHistoryIsReadAhead: after one step up, the next page is asked
// for at once, and the next step merges it without the server: here the
// server has stopped answering by then.
func TestOlderHistoryIsReadAhead(t *testing.T) {
	_, e, _, conv, oldest := olderFixture(t)
	if err := e.LoadOlder(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	oldest -= client.HistoryPage
	checkHeld(t, e, conv, oldest, oldest+shared.ReplayPageMax+client.HistoryPage-1)
	e.tap.waitFor(t, "the page read ahead", func() bool { return e.tap.historyAcks() == 2 })

	// From now on the connection says nothing: a step that needed the
	// server would wait until its deadline.
	e.tap.mu.Lock()
	e.tap.silent = func(int) bool { return true }
	e.tap.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.LoadOlder(ctx, conv); err != nil {
		t.Fatalf("the second step waited for the server: %v", err)
	}
	oldest -= client.HistoryPage
	if ms := e.Messages(conv); ms[0].Seq != oldest {
		t.Fatalf("after the second step the oldest held is %d, want %d", ms[0].Seq, oldest)
	}
}

// TestReadAheadPageNeverShowsAnOldState: a message edited after its page
// was read ahead shows the edit once the reader gets there, whether the
// edit arrived live or was made while this device was away (then the
// hello's replay of changes drops the page, and so would the new
// connection).
func TestReadAheadPageNeverShowsAnOldState(t *testing.T) {
	for _, away := range []bool{false, true} {
		t.Run(fmt.Sprintf("away=%v", away), func(t *testing.T) {
			srv, e, bob, conv, oldest := olderFixture(t)
			if err := e.LoadOlder(context.Background(), conv); err != nil {
				t.Fatal(err)
			}
			e.tap.waitFor(t, "the page read ahead", func() bool { return e.tap.historyAcks() == 2 })
			target := oldest - client.HistoryPage - 10 // in the page read ahead

			if away {
				e.goOffline(t)
			}
			w := srv.MustConnect(t, bob.header, nil)
			w.MustAck(t, shared.TypeMessageEdit, shared.MessageEdit{MessageRef: shared.MessageRef{ConversationID: conv, Seq: target}, Body: "edited later"})
			if away {
				e.SetOnline(true)
				e.waitCaughtUp(t)
			} else {
				e.tap.waitFor(t, "the edit", func() bool { return e.tap.frames(shared.TypeMessagesChanged) == 1 })
			}
			if err := e.LoadOlder(context.Background(), conv); err != nil {
				t.Fatal(err)
			}
			if m := row(t, e, conv, target); m.Body != "edited later" || m.EditedAt == nil {
				t.Fatalf("seq %d shows %q (edited %v), want the edit", target, m.Body, m.EditedAt)
			}
		})
	}
}
