package web_test

import (
	"encoding/json"
	"testing"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// mustSearch asks w for a page of results and fails the test unless acked.
func mustSearch(t *testing.T, w *webtest.WS, req shared.SearchRequest) shared.SearchResults {
	t.Helper()
	ack := w.MustAck(t, shared.TypeSearch, req)
	if ack.Search == nil {
		t.Fatalf("search %q: ack without results", req.Query)
	}
	return *ack.Search
}

func TestSearchOverWebSocketIsMembersOnly(t *testing.T) {
	srv := webtest.MustServer(t)
	by := startBystanders(t, srv)
	a, ha := srv.MustSignUp(t, "ann")
	b, hb := srv.MustSignUp(t, "bob")
	_, hm := srv.MustSignUp(t, "mallory")
	wa, wb, wm := srv.MustConnect(t, ha, nil), srv.MustConnect(t, hb, nil), srv.MustConnect(t, hm, nil)
	conv := mustConversation(t, wa, "melons", b)
	sent := wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "the melon is ripe"})

	res := mustSearch(t, wb, shared.SearchRequest{Query: "melo"})
	if len(res.Hits) != 1 || res.Hits[0].ConversationID != conv.ID || res.Hits[0].Seq != sent.Message.Seq || res.Hits[0].Sender != a.Nickname {
		t.Fatalf("bob's search: %+v", res)
	}
	for _, req := range []shared.SearchRequest{
		{Query: "melon"},
		{Query: "melon", ConversationID: conv.ID},
		{Query: "in:" + conv.ID + " ripe"},
		{Query: "still", ConversationID: by.conv.ID},
		{Query: "from:" + a.Nickname},
	} {
		if res := mustSearch(t, wm, req); len(res.Hits) != 0 {
			t.Fatalf("a stranger found %+v with %+v", res.Hits, req)
		}
	}
	for _, c := range []struct {
		data any
		code string
	}{
		{shared.SearchRequest{Query: ""}, shared.CodeSearchInvalid},
		{shared.SearchRequest{Query: "melon before:soon"}, shared.CodeSearchInvalid},
		{shared.SearchRequest{Query: "melon", Cursor: "nonsense"}, shared.CodeSearchInvalid},
		{shared.SearchRequest{Query: "melon", ConversationID: "not-a-uuid"}, shared.CodeNotFound},
		{json.RawMessage(`"melon"`), shared.CodeMalformed},
	} {
		if e := wm.MustError(t, shared.TypeSearch, shared.NewUUIDv7(), c.data); e.Code != c.code {
			t.Errorf("search %v: %+v, want %s", c.data, e, c.code)
		}
	}
	by.finish(t, "a stranger's searches")
}

// TestSearchFloodIsRefusedPerUser floods searches from two connections of
// one user: the search budget is the user's, so the second connection
// brings no more, and the bystanders keep chatting meanwhile.
func TestSearchFloodIsRefusedPerUser(t *testing.T) {
	const burst = 6
	srv := webtest.MustServer(t, func(c *web.Config) { c.Chat.Limits.SearchRate, c.Chat.Limits.SearchBurst = 0.5, burst })
	by := startBystanders(t, srv)
	v, _ := srv.MustSignUp(t, "victim")
	_, hm := srv.MustSignUp(t, "mallory")
	w1, w2 := srv.MustConnect(t, hm, nil), srv.MustConnect(t, hm, nil)
	conv := mustConversation(t, w1, "searches", v)
	w1.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "needle in a haystack"})

	const n = 20 // per connection: under the read burst, so only the search budget refuses
	var acked int
	errs := map[string][]shared.Error{}
	for _, w := range []*webtest.WS{w1, w2} {
		ids := map[string]bool{}
		for range n {
			id := shared.NewUUIDv7()
			ids[id] = true
			w.MustSend(t, shared.TypeSearch, id, shared.SearchRequest{Query: "needle"})
		}
		a, e := readReplies(t, w, ids)
		acked += a
		for k, v := range e {
			errs[k] = append(errs[k], v...)
		}
	}
	by.finish(t, "search flood")
	limited := errs[shared.CodeRateLimited]
	if acked < burst || acked > burst+2 || len(limited) != 2*n-acked || len(errs) != 1 {
		t.Fatalf("%d searches acked, errors %v; want about %d acked and the rest rate_limited", acked, errs, burst)
	}
	if limited[0].RetryAfter <= 0 {
		t.Fatalf("refused without retry_after: %+v", limited[0])
	}
	// Other people's searches are not charged to mallory's budget.
	_, hv := srv.MustSignUp(t, "vera")
	if res := mustSearch(t, srv.MustConnect(t, hv, nil), shared.SearchRequest{Query: "needle"}); len(res.Hits) != 0 {
		t.Fatalf("vera found %+v", res.Hits)
	}
}
