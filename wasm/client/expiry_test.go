package client

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"natter/shared"
)

// clock is a test clock the engine reads through Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestOldActionsAreNotReplayed: past shared.ActionReplayWindow the server
// may have forgotten an action id, so changes queued longer ago fail with a
// reason instead of being sent; messages, creations and read marks, which
// the server recognises for ever, still go. Retry makes the change anew,
// under a new id, at its old place in the queue.
func TestOldActionsAreNotReplayed(t *testing.T) {
	st := NewMemoryStorage()
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	e := mustOfflineEngine(t, st)
	e.cfg.Now = clk.Now
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, 3)

	if err := e.Rename(conv, "old plan"); err != nil {
		t.Fatal(err)
	}
	sendID, err := e.Send(conv, "typed on the plane")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.AddMember(conv, shared.User{ID: 9, Nickname: "cy"}); err != nil {
		t.Fatal(err)
	}
	e.MarkSeen(conv, 3)
	created, err := e.CreateConversation("trip", []shared.User{{ID: 8, Nickname: "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	queue := e.State().Outbox
	if len(queue) != 5 {
		t.Fatalf("queued %d actions, want 5", len(queue))
	}

	// Just inside the window everything still goes.
	clk.Add(shared.ActionReplayWindow - time.Minute)
	e.mu.Lock()
	e.expireOld()
	e.mu.Unlock()
	for _, a := range e.State().Outbox {
		if a.State != MsgQueued {
			t.Fatalf("inside the window %s is %s (%s)", a.Type, a.State, a.Error)
		}
	}

	// Past it, only the kinds recognised for ever are sent.
	clk.Add(2 * time.Minute)
	e.mu.Lock()
	out, _ := e.nextToSend(clk.Now())
	e.mu.Unlock()
	var sent []string
	for _, a := range out {
		sent = append(sent, a.Type)
	}
	want := []string{shared.TypeMessageSend, shared.TypeSeenMark, shared.TypeConversationCreate}
	if strings.Join(sent, ",") != strings.Join(want, ",") {
		t.Fatalf("sent %v, want %v", sent, want)
	}
	if out[0].ID != sendID || out[2].Conv != created {
		t.Errorf("sent the wrong actions: %+v", out)
	}
	var failed []ActionView
	for _, a := range e.State().Outbox {
		if a.State == MsgFailed {
			failed = append(failed, a)
		}
	}
	if len(failed) != 2 || failed[0].Type != shared.TypeConversationRename || failed[1].Type != shared.TypeMemberAdd {
		t.Fatalf("failed %+v, want the rename and the member add", failed)
	}
	for _, a := range failed {
		if a.Error != ExpiredMessage {
			t.Errorf("%s failed with %q, want %q", a.Type, a.Error, ExpiredMessage)
		}
	}
	// The failure is durable: a reload shows it without sending anything.
	e2 := mustOfflineEngine(t, st)
	e2.cfg.Now = clk.Now
	if got := e2.State().Outbox; got[0].State != MsgFailed || got[0].Error != ExpiredMessage {
		t.Errorf("after reload the rename is %s %q", got[0].State, got[0].Error)
	}

	// Retry: a new id, a fresh queued time, the same place in the queue.
	renameID := failed[0].ID
	oldKey := e.findAction(renameID).key
	e.Retry(renameID)
	ob := e.State().Outbox
	if ob[0].Type != shared.TypeConversationRename || ob[0].ID == renameID || ob[0].State != MsgQueued ||
		!ob[0].QueuedAt.Equal(clk.Now()) || ob[0].Summary != "old plan" {
		t.Fatalf("after Retry the head of the queue is %+v, want the rename under a new id, queued now", ob[0])
	}
	kvs, _ := st.List(context.Background(), BucketOutbox)
	keys := map[string]bool{}
	for _, kv := range kvs {
		keys[kv.Key] = true
	}
	newKey := e.findAction(ob[0].ID).key
	if keys[oldKey] || !keys[newKey] || keyOrder(newKey) != keyOrder(oldKey) || newKey > kvs[1].Key {
		t.Errorf("storage keys %v: old %s should be gone, new %s first", keys, oldKey, newKey)
	}
	e.mu.Lock()
	out, _ = e.nextToSend(clk.Now())
	e.mu.Unlock()
	if len(out) != 1 || out[0].ID != ob[0].ID {
		t.Errorf("after Retry sent %+v, want the renewed rename", out)
	}

	// Discard drops the other one for good.
	e.Discard(failed[1].ID)
	if a := e.findAction(failed[1].ID); a != nil {
		t.Errorf("discarded action still queued: %+v", a)
	}
}
