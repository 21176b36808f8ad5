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

// The conversation on screen when the engine connects is replayed before
// the user's more recently active ones (Hello.Focus): a deep link fills
// first, whatever else was missed.
func TestFocusedConversationReplaysFirst(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	var convs []string
	w := srv.MustConnect(t, ann.header, nil)
	for _, title := range []string{"oldest", "middle", "newest"} {
		ack := w.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: title, MemberIDs: []int64{bob.ID}})
		w.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: ack.Conversation.ID, Body: title})
		convs = append(convs, ack.Conversation.ID)
	}
	w.Conn.CloseNow()

	var mu sync.Mutex
	var order []string
	tp := newTap(&client.WebSocketTransport{URL: srv.WSURL, Header: bob.header})
	tp.cut = func(envs []shared.Envelope) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, env := range envs {
			if env.Type == shared.TypeConversationUpdated {
				var c shared.Conversation
				if err := decodeData(env, &c); err == nil {
					order = append(order, c.ID)
				}
			}
		}
		return false
	}
	e := client.New(client.Config{Storage: client.NewMemoryStorage(), Transport: tp, Device: "test", Rand: func() float64 { return 0.05 }})
	e.Focus(convs[0])
	e.Start(context.Background())
	t.Cleanup(e.Stop)
	b := &engine{Engine: e, tap: tp}
	b.waitCaughtUp(t)

	mu.Lock()
	defer mu.Unlock()
	if len(order) < 3 || order[0] != convs[0] {
		t.Fatalf("replayed conversations in order %v, want the focused %s first", order, convs[0])
	}
	if order[1] != convs[2] || order[2] != convs[1] {
		t.Errorf("the others came in order %v, want the most recently active first (%s, %s)", order[1:], convs[2], convs[1])
	}
}
