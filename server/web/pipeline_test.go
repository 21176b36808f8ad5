package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// A connection's sends are pipelined into the group commit, yet every
// answer comes back in the order the actions were sent (an error never
// overtakes an earlier ack), each conversation's messages are numbered in
// the order they were sent, and other actions see the sends before them.
func TestPipelinedActionsKeepTheirOrder(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) {
		c.Chat.Limits.ActionBurst, c.Chat.Limits.ActionRate, c.Chat.Limits.QueueMax = 10_000, 10_000, 10_000
	})
	_, ha := srv.MustSignUp(t, "ann")
	b, _ := srv.MustSignUp(t, "bob")
	c, _ := srv.MustSignUp(t, "cid")
	w := srv.MustConnect(t, ha, nil)
	convs := []shared.Conversation{mustConversation(t, w, "one", b), mustConversation(t, w, "two", c)}

	type sent struct {
		id, conv, body string
		wantErr        bool
	}
	var order []sent
	for i := range 600 {
		conv := convs[(i/7)%2].ID // runs of seven on each conversation
		s := sent{id: shared.NewUUIDv7(), conv: conv, body: fmt.Sprint("m", i)}
		switch {
		case i%50 == 25:
			s.body, s.wantErr = "   ", true // empty: refused by the store, in the middle of a batch
			w.MustSend(t, shared.TypeMessageSend, s.id, shared.MessageSend{ConversationID: conv, Body: s.body})
		case i%90 == 45:
			// Another kind of action between sends: it sees every send
			// before it (the read cursor may reach the newest of them).
			w.MustSend(t, shared.TypeSeenMark, s.id, shared.SeenMark{ConversationID: conv, Seq: 1})
			s.body = ""
		default:
			w.MustSend(t, shared.TypeMessageSend, s.id, shared.MessageSend{ConversationID: conv, Body: s.body})
		}
		order = append(order, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), webtest.Timeout)
	defer cancel()
	next := 0
	lastSeq := map[string]int64{}
	for next < len(order) {
		env, err := w.Await(ctx, func(e shared.Envelope) bool { return e.Type == shared.TypeAck || e.Type == shared.TypeError })
		if err != nil {
			t.Fatalf("after %d answers: %v", next, err)
		}
		want := order[next]
		if env.ID != want.id {
			got := -1
			for i, o := range order {
				if o.id == env.ID {
					got = i
				}
			}
			t.Fatalf("answer %d is for action %d (%s %s), want %s (%q): answers came out of order", next, got, env.Type, env.Data, want.id, want.body)
		}
		if (env.Type == shared.TypeError) != want.wantErr {
			t.Fatalf("answer %d (%q): %s %s", next, want.body, env.Type, env.Data)
		}
		if env.Type == shared.TypeAck && want.body != "" {
			var ack shared.Ack
			json.Unmarshal(env.Data, &ack)
			if ack.Message == nil || ack.Message.Body != want.body || ack.Message.Seq <= lastSeq[want.conv] {
				t.Fatalf("answer %d: %+v after seq %d", next, ack.Message, lastSeq[want.conv])
			}
			lastSeq[want.conv] = ack.Message.Seq
		}
		next++
	}
}

// The sender of a message gets its ack and the message's echo in one
// frame (one write), the ack first, and every other member gets the echo.
func TestSendAckAndEchoInOneFrame(t *testing.T) {
	srv := webtest.MustServer(t)
	_, ha := srv.MustSignUp(t, "ann")
	b, hb := srv.MustSignUp(t, "bob")
	w := srv.MustConnect(t, ha, nil)
	conv := mustConversation(t, w, "one", b)
	wb := srv.MustConnect(t, hb, nil)
	ctx, cancel := context.WithTimeout(context.Background(), webtest.Timeout)
	defer cancel()
	for i := range 5 {
		id := shared.NewUUIDv7()
		w.MustSend(t, shared.TypeMessageSend, id, shared.MessageSend{ConversationID: conv.ID, Body: fmt.Sprint("m", i)})
		for {
			_, data, err := w.Conn.Read(ctx)
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			envs, err := shared.DecodeFrame(data)
			if err != nil {
				t.Fatal(err)
			}
			ack := slices.IndexFunc(envs, func(e shared.Envelope) bool { return e.Type == shared.TypeAck && e.ID == id })
			if ack < 0 {
				continue // an earlier event (the conversation's)
			}
			if ack+1 >= len(envs) || envs[ack+1].Type != shared.TypeMessageCreated {
				t.Fatalf("message %d: the ack came without its echo right after it: %s", i, data)
			}
			var m shared.Message
			if err := json.Unmarshal(envs[ack+1].Data, &m); err != nil || m.ActionID != id {
				t.Fatalf("message %d: the echo after the ack is another message: %s", i, envs[ack+1].Data)
			}
			break
		}
		got := wb.MustAwait(t, "bob's copy", func(e shared.Envelope) bool { return e.Type == shared.TypeMessageCreated })
		var m shared.Message
		if err := json.Unmarshal(got.Data, &m); err != nil || m.ActionID != id {
			t.Fatalf("message %d: bob got %s", i, got.Data)
		}
	}
}
