//go:build !js

package client_test

import (
	"context"
	"sync"
	"testing"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// TestMuteThroughTheOutbox: a mute made offline is shown at once, kept
// across a restart, applied once when the device is back, and reaches the
// person's other device, which then does not notify for that conversation
// while its unread count still grows.
func TestMuteThroughTheOutbox(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	var mu sync.Mutex
	var notified []string
	phone := mustEngineWith(t, srv, bob, client.Config{OnIncoming: func(m shared.Message, _ client.ConvView) {
		mu.Lock()
		defer mu.Unlock()
		notified = append(notified, m.Body)
	}})
	laptop := mustEngine(t, srv, bob, nil)
	laptop.waitCaughtUp(t)
	phone.waitCaughtUp(t)

	laptop.SetOnline(false)
	if err := laptop.Mute(conv, nil, true); err != nil {
		t.Fatal(err)
	}
	if !laptop.Muted(conv) || len(laptop.State().Outbox) != 1 {
		t.Fatalf("offline mute: muted %v, outbox %+v", laptop.Muted(conv), laptop.State().Outbox)
	}
	if v, _ := laptop.Conversation(conv); v.MutedUntil == nil || !v.MutedUntil.Equal(shared.MuteForever) {
		t.Fatalf("view = %+v", v.MutedUntil)
	}
	laptop.Flush()
	laptop.Stop()

	again := mustEngine(t, srv, bob, laptop.st) // the laptop restarts, back online
	if !again.Muted(conv) {
		t.Fatal("the mute was lost across the restart")
	}
	again.waitAcked(t)
	if u, err := srv.Store.MutedUntil(context.Background(), bob.ID, conv); err != nil || u == nil {
		t.Fatalf("server: muted until %v, %v", u, err)
	}
	phone.wait(t, "the mute on the other device", func() bool { return phone.Muted(conv) })

	a := mustEngine(t, srv, ann, nil)
	a.waitCaughtUp(t)
	if _, err := a.Send(conv, "psst"); err != nil {
		t.Fatal(err)
	}
	phone.wait(t, "the message, unread", func() bool { v, _ := phone.Conversation(conv); return v.Unread == 1 })
	if err := phone.Mute(conv, nil, false); err != nil { // unmute from the phone
		t.Fatal(err)
	}
	again.wait(t, "the unmute on the laptop", func() bool { return !again.Muted(conv) })
	if _, err := a.Send(conv, "hello?"); err != nil {
		t.Fatal(err)
	}
	phone.wait(t, "the second message", func() bool { v, _ := phone.Conversation(conv); return v.Unread == 2 })
	mu.Lock()
	defer mu.Unlock()
	if len(notified) != 1 || notified[0] != "hello?" {
		t.Fatalf("notified %v, want only the message after unmuting", notified)
	}
}
