package web_test

import (
	"testing"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// history.around answers members only, refuses a seq the conversation does
// not have with its own code, and a flood of it spends the read budget
// while the bystanders keep chatting.
func TestHistoryAroundAccessAndBudget(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) { c.Chat.Limits.ReadRate, c.Chat.Limits.ReadBurst = 1, 5 })
	by := startBystanders(t, srv)
	_, ha := srv.MustSignUp(t, "ann")
	b, _ := srv.MustSignUp(t, "ben")
	_, hm := srv.MustSignUp(t, "mallory")
	wa := srv.MustConnect(t, ha, nil)
	wm := srv.MustConnect(t, hm, nil)
	conv := mustConversation(t, wa, "ours", b)
	for _, body := range []string{"one", "two", "three"} {
		wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: body})
	}

	ack := wa.MustAck(t, shared.TypeHistoryAround, shared.HistoryAround{ConversationID: conv.ID, Seq: 2, Limit: 10})
	if ack.History == nil || len(ack.History.Messages) != 3 || ack.History.Messages[1].Body != "two" || ack.History.More || ack.History.Newer {
		t.Fatalf("around 2: %+v", ack.History)
	}
	for _, c := range []struct {
		ws   *webtest.WS
		req  shared.HistoryAround
		code string
	}{
		{wm, shared.HistoryAround{ConversationID: conv.ID, Seq: 2}, shared.CodeNotFound},
		{wm, shared.HistoryAround{ConversationID: by.conv.ID, Seq: 1}, shared.CodeNotFound},
		{wa, shared.HistoryAround{ConversationID: conv.ID, Seq: 0}, shared.CodeSeqOutOfRange},
		{wa, shared.HistoryAround{ConversationID: conv.ID, Seq: 4}, shared.CodeSeqOutOfRange},
	} {
		if e := c.ws.MustError(t, shared.TypeHistoryAround, shared.NewUUIDv7(), c.req); e.Code != c.code {
			t.Errorf("around %+v: %+v, want %s", c.req, e, c.code)
		}
	}

	ids := map[string]bool{}
	for range 50 {
		id := shared.NewUUIDv7()
		ids[id] = true
		wa.MustSend(t, shared.TypeHistoryAround, id, shared.HistoryAround{ConversationID: conv.ID, Seq: 2})
	}
	acked, errs := readReplies(t, wa, ids)
	by.finish(t, "history.around flood")
	if acked > 6 || len(errs[shared.CodeRateLimited]) < 44 {
		t.Fatalf("around flood: %d acked, errors %v", acked, errs)
	}
}
