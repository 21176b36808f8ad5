//go:build !js

package client_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"natter/server/webtest"
	"natter/shared"
)

// TestLocalSearchAgreesWithServer sends messages that exercise the word
// rule (case, accents, scripts, punctuation, links) and checks that, for a
// table of queries, the device's offline index finds exactly the messages
// the server's PostgreSQL index finds among those cached.
func TestLocalSearchAgreesWithServer(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob, cid := mustUser(t, srv, "ann"), mustUser(t, srv, "bob"), mustUser(t, srv, "cid")
	wb := srv.MustConnect(t, bob.header, nil)
	group := wb.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "Fruit Stand", MemberIDs: []int64{ann.ID, cid.ID}}).Conversation.ID
	direct := wb.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{ann.ID}}).Conversation.ID
	private := wb.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{cid.ID}}).Conversation.ID
	wc := srv.MustConnect(t, cid.header, nil)
	bodies := map[string][]string{
		group: {
			"Kiwis and MANGOES on sale",
			"kiwi, kiwi; kiwi!",
			"Order at https://shop.example.com/kiwi?x=1 or www.fruit.example",
			"Grüße aus Köln, Straße 5",
			"日本語のテキスト and Ελληνικά",
			"it's o'clock — 3.14 e-mail foo_bar x@y.org",
			"<b>kiwi</b> &amp; tags",
			"no match here",
		},
		direct:  {"a kiwi just for you", "mango smoothie?"},
		private: {"cid and bob's kiwi secret"},
	}
	for conv, bs := range bodies {
		for _, b := range bs {
			wb.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv, Body: b})
		}
	}
	wc.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: group, Body: "cid likes kiwi too"})

	e := mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)
	e.wait(t, "every message", func() bool {
		return len(e.Messages(group)) == len(bodies[group])+1 && len(e.Messages(direct)) == len(bodies[direct])
	})

	queries := []string{
		"kiwi", "kiwi ", "kiw", "KIWI mango", "mango", "mangoes ",
		"example", "shop", "https", "has:link", "kiwi has:link",
		"grüße", "STRASSE", "straße", "köln 5", "日本語のテキスト", "ελληνικά",
		"o clock", "it's", "3 14", "foo", "bar", "x y org", "e mail",
		"b", "amp", "tags",
		"from:" + bob.Nickname + " kiwi", "from:" + cid.Nickname, "from:nobody kiwi",
		`in:"fruit stand" kiwi`, "in:" + bob.Nickname + " mango", "in:" + direct + " kiwi",
		"kiwi after:2000-01-01", "kiwi before:2000-01-01",
		"secret",
	}
	ctx := context.Background()
	found := 0
	for _, q := range queries {
		t.Run(q, func(t *testing.T) {
			server := allHits(t, q, func(cursor string) (shared.SearchResults, error) {
				return e.Search(ctx, shared.SearchRequest{Query: q, Cursor: cursor})
			})
			local := allHits(t, q, func(cursor string) (shared.SearchResults, error) {
				return e.SearchLocal(shared.SearchRequest{Query: q, Cursor: cursor})
			})
			if !slices.Equal(server, local) {
				t.Fatalf("server found %v, this device %v", server, local)
			}
			if len(server) > 0 {
				found++
			}
		})
	}
	if found < len(queries)*2/3 {
		t.Fatalf("only %d of %d queries found anything: the table tests too little", found, len(queries))
	}
	if got := allHits(t, "secret", func(string) (shared.SearchResults, error) {
		return e.Search(ctx, shared.SearchRequest{Query: "secret"})
	}); len(got) != 0 {
		t.Fatalf("ann found bob and cid's message: %v", got)
	}
}

// allHits pages through a search and returns "conversation/seq" of every
// hit, sorted (the two rank differently; they must find the same).
func allHits(t *testing.T, q string, page func(cursor string) (shared.SearchResults, error)) []string {
	t.Helper()
	var out []string
	cursor := ""
	for {
		res, err := page(cursor)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		for _, h := range res.Hits {
			out = append(out, fmt.Sprintf("%s/%d", h.ConversationID, h.Seq))
		}
		if res.Next == "" {
			slices.Sort(out)
			return out
		}
		cursor = res.Next
	}
}
