package clustertest

import (
	"testing"

	"natter/server/webtest"
	"natter/shared"
)

// Two people on different nodes chat and see each other's presence, typing
// and read position; a person's second device on a third node sees their
// reads; membership changes reach whoever they concern, wherever.
func TestLiveAcrossNodes(t *testing.T) {
	eachBroker(t, func(t *testing.T, nodes []*webtest.Server) {
		ann, ha := nodes[0].MustSignUp(t, "ann")
		bob, hb := nodes[1].MustSignUp(t, "bob")
		carl, hc := nodes[2].MustSignUp(t, "carl")
		wa := nodes[0].MustConnect(t, ha, nil)
		wb := nodes[1].MustConnect(t, hb, nil)
		wb2 := nodes[2].MustConnect(t, hb, nil) // bob's phone, on another node
		wc := nodes[2].MustConnect(t, hc, nil)

		conv := *wa.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID}}).Conversation
		for _, w := range []*webtest.WS{wb, wb2} {
			w.MustAwait(t, "the new conversation", is(shared.TypeConversationUpdated))
		}

		t.Run("messages", func(t *testing.T) {
			wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "hi bob"})
			for _, w := range []*webtest.WS{wb, wb2} {
				m := decode[shared.Message](t, w.MustAwait(t, "ann's message", is(shared.TypeMessageCreated)))
				if m.Seq != 1 || m.SenderID != ann.ID || m.Body != "hi bob" {
					t.Fatalf("bob got %+v", m)
				}
			}
		})
		t.Run("typing", func(t *testing.T) {
			wa.MustSend(t, shared.TypeTyping, "", shared.Typing{ConversationID: conv.ID})
			ty := decode[shared.Typing](t, wb.MustAwait(t, "ann typing", is(shared.TypeTypingEvent)))
			if ty.UserID != ann.ID || ty.ConversationID != conv.ID {
				t.Fatalf("typing %+v", ty)
			}
		})
		t.Run("presence and ghosts", func(t *testing.T) {
			wa.MustSend(t, shared.TypeReadPosition, "", shared.ReadPosition{ConversationID: conv.ID, Seq: 1, Offset: 500})
			wb.MustSend(t, shared.TypeReadPosition, "", shared.ReadPosition{ConversationID: conv.ID, Seq: 1, Offset: 200})
			both := func(e shared.Envelope) bool {
				if e.Type != shared.TypePresence {
					return false
				}
				p := decode[shared.Presence](t, e)
				return len(p.Viewers) == 2 && p.Viewers[0].UserID == min(ann.ID, bob.ID) && p.Viewers[1].UserID == max(ann.ID, bob.ID)
			}
			for name, w := range map[string]*webtest.WS{"ann": wa, "bob": wb, "bob's phone": wb2} {
				p := decode[shared.Presence](t, w.MustAwait(t, name+" sees both viewers", both))
				for _, v := range p.Viewers {
					if v.UserID == ann.ID && (v.Seq != 1 || v.Offset != 500) {
						t.Fatalf("%s sees ann's ghost at %+v", name, v)
					}
				}
			}
		})
		t.Run("reads sync across devices", func(t *testing.T) {
			wb.MustAck(t, shared.TypeSeenMark, shared.SeenMark{ConversationID: conv.ID, Seq: 1})
			for name, w := range map[string]*webtest.WS{"bob's phone": wb2, "ann": wa} {
				sm := decode[shared.SeenMoved](t, w.MustAwait(t, name+" sees bob's read", is(shared.TypeSeenMoved)))
				if sm.UserID != bob.ID || sm.Seq != 1 {
					t.Fatalf("%s got %+v", name, sm)
				}
			}
		})
		t.Run("membership", func(t *testing.T) {
			group := *wa.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "team", MemberIDs: []int64{bob.ID}}).Conversation
			wa.MustAck(t, shared.TypeMemberAdd, shared.MemberChange{ConversationID: group.ID, UserID: carl.ID})
			got := decode[shared.Conversation](t, wc.MustAwait(t, "carl added", is(shared.TypeConversationUpdated)))
			if got.ID != group.ID || got.Member(carl.ID) == nil {
				t.Fatalf("carl got %+v", got)
			}
			wa.MustAck(t, shared.TypeMemberRemove, shared.MemberChange{ConversationID: group.ID, UserID: carl.ID})
			rm := decode[shared.ConversationRemoved](t, wc.MustAwait(t, "carl removed", is(shared.TypeConversationRemoved)))
			if rm.ConversationID != group.ID {
				t.Fatalf("carl got %+v", rm)
			}
		})
	})
}
