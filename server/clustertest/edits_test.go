package clustertest

import (
	"testing"

	"natter/server/webtest"
	"natter/shared"
)

// Changes to messages made on one node reach members on the others live,
// and a device that was away resumes them on yet another node, once each.
func TestMessageChangesAcrossNodes(t *testing.T) {
	eachBroker(t, func(t *testing.T, nodes []*webtest.Server) {
		_, ha := nodes[0].MustSignUp(t, "ann")
		bob, hb := nodes[1].MustSignUp(t, "bob")
		wa := nodes[0].MustConnect(t, ha, nil)
		wb := nodes[1].MustConnect(t, hb, nil)
		conv := *wa.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID}}).Conversation
		wb.MustAwait(t, "the conversation", is(shared.TypeConversationUpdated))
		m := wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "v1"}).Message
		wb.MustAwait(t, "the message", is(shared.TypeMessageCreated))
		at := shared.MessageRef{ConversationID: conv.ID, Seq: m.Seq}

		wa.MustAck(t, shared.TypeMessageEdit, shared.MessageEdit{MessageRef: at, Body: "v2"})
		mc := decode[shared.MessagesChanged](t, wb.MustAwait(t, "the edit", is(shared.TypeMessagesChanged)))
		if mc.EventSeq != 1 || mc.Messages[0].Body != "v2" {
			t.Fatalf("bob got %+v", mc)
		}
		wb.MustAck(t, shared.TypeReactionSet, shared.ReactionSet{MessageRef: at, Emoji: "👍", On: true})
		wa.MustAck(t, shared.TypeMessageEdit, shared.MessageEdit{MessageRef: at, Body: "v3"})

		// Bob's phone was away since event 1; it comes back on node 2.
		w := nodes[2].MustDial(t, hb)
		w.MustHello(t, shared.Hello{Protocol: shared.ProtocolVersion,
			Cursors: map[string]int64{conv.ID: m.Seq}, EventCursors: map[string]int64{conv.ID: 1}})
		var got []shared.Message
		for _, env := range w.Replay {
			if env.Type == shared.TypeMessagesChanged {
				got = append(got, decode[shared.MessagesChanged](t, env).Messages...)
			}
		}
		// The replay from the database carries the message once, at its
		// newest state. Live changes that node 2 hears over the broker
		// while the phone attaches may repeat earlier ones around it (a
		// NOTIFY is slower than a commit); the client applies a change only
		// when it is newer than what it holds, so those change nothing.
		var newest shared.Message
		for _, m := range got {
			if m.EventSeq > newest.EventSeq {
				newest = m
			}
		}
		if newest.Body != "v3" || len(newest.Reactions) != 1 || newest.EventSeq != 3 {
			t.Fatalf("resumed on node 2: newest %+v of %+v", newest, got)
		}
	})
}
