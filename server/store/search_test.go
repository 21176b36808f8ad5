package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"natter/server/store"
	"natter/shared"
)

// search runs a query for user and fails the test on error.
func search(tb testing.TB, s *store.Store, user int64, query string) shared.SearchResults {
	tb.Helper()
	res, err := s.SearchMessages(ctx, user, shared.SearchRequest{Query: query})
	if err != nil {
		tb.Fatalf("search %q: %v", query, err)
	}
	return res
}

// seqs lists the hits' seqs in order.
func seqs(res shared.SearchResults) []int64 {
	out := make([]int64, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.Seq
	}
	return out
}

func TestSearchFindsWordsAndPrefixes(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	m1 := MustSend(t, s, g.alice.ID, g.conv.ID, "Who brings the Kiwis tomorrow?")
	m2 := MustSend(t, s, g.bob.ID, g.conv.ID, "I bring kiwi and mango, see https://example.com/fruit")
	MustSend(t, s, g.carol.ID, g.conv.ID, "Nothing to see here")
	m4 := MustSend(t, s, g.carol.ID, g.conv.ID, "Grüße aus Köln: STRAßE und 日本語")

	tests := []struct {
		query string
		want  []int64
	}{
		{"kiwi", []int64{m2.Seq, m1.Seq}},   // prefix as one types: kiwi and kiwis
		{"kiwi ", []int64{m2.Seq}},          // a finished word matches only itself
		{"KIWI mango", []int64{m2.Seq}},     // every word, any case
		{"mango kiwi ", []int64{m2.Seq}},    // in any order
		{"example", []int64{m2.Seq}},        // words of a link are words
		{"k", nil},                          // one letter is no prefix
		{"grüße köln", []int64{m4.Seq}},     // letters beyond ASCII
		{"straße", []int64{m4.Seq}},         // lowercased beyond ASCII
		{"日本語", []int64{m4.Seq}},            // any script
		{"durian", nil},                     // nothing
		{"bring has:link", []int64{m2.Seq}}, // filter with words
		{"from:bob", []int64{m2.Seq}},       // a filter alone
		{"from:@Carol nothing", []int64{3}}, // nickname in any case, with @
		{"from:nobody kiwi", nil},           // unknown sender
		{`in:"bob, carol" kiwi`, nil},       // a title that is none
		{"in:" + g.conv.ID + " kiwi ", []int64{m2.Seq}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := seqs(search(t, s, g.alice.ID, tt.query))
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Fatalf("search %q = seqs %v, want %v", tt.query, got, tt.want)
			}
		})
	}

	t.Run("in: a title or another member's nickname", func(t *testing.T) {
		other := MustConv(t, s, g.alice.ID, "Fruit Stand", g.bob.ID)
		m := MustSend(t, s, g.bob.ID, other.ID, "kiwi crates arrive")
		for _, q := range []string{`in:"fruit stand" kiwi`, "in:" + other.ID + " crates"} {
			got := search(t, s, g.alice.ID, q).Hits
			if len(got) != 1 || got[0].ConversationID != other.ID || got[0].Seq != m.Seq {
				t.Fatalf("search %q = %+v, want the one message in %s", q, got, other.ID)
			}
		}
		direct := MustConv(t, s, g.bob.ID, "", g.dave.ID)
		MustSend(t, s, g.dave.ID, direct.ID, "kiwi for bob only")
		got := search(t, s, g.bob.ID, "in:dave kiwi").Hits
		if len(got) != 1 || got[0].ConversationID != direct.ID {
			t.Fatalf("in:dave = %+v, want the untitled conversation with dave", got)
		}
	})
}

func TestSearchRanksAndHighlights(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	once := MustSend(t, s, g.alice.ID, g.conv.ID, "a papaya for lunch")
	thrice := MustSend(t, s, g.bob.ID, g.conv.ID, "papaya papaya papaya!")
	tie := MustSend(t, s, g.alice.ID, g.conv.ID, "one papaya for dinner")
	res := search(t, s, g.carol.ID, "papaya")
	want := []int64{thrice.Seq, tie.Seq, once.Seq} // relevance first, then newest
	if got := seqs(res); !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v (ranks %v)", got, want, res.Hits)
	}
	h := res.Hits[1]
	if h.Sender != "alice" || h.SenderID != g.alice.ID || h.CreatedAt.IsZero() {
		t.Fatalf("hit = %+v, want alice's message with its time", h)
	}
	wantParts := []shared.SnippetPart{{Text: "one "}, {Text: "papaya", Hit: true}, {Text: " for dinner"}}
	if !slices.Equal(h.Snippet, wantParts) {
		t.Fatalf("snippet = %+v, want %+v", h.Snippet, wantParts)
	}

	t.Run("a long body is cut around the match", func(t *testing.T) {
		long := strings.Repeat("filler words here ", 60) + "the rambutan is here " + strings.Repeat("more filler ", 60)
		MustSend(t, s, g.alice.ID, g.conv.ID, long)
		parts := search(t, s, g.alice.ID, "rambutan").Hits[0].Snippet
		text, hits := "", 0
		for _, p := range parts {
			text += p.Text
			if p.Hit {
				hits++
				if p.Text != "rambutan" {
					t.Fatalf("highlighted %q", p.Text)
				}
			}
		}
		if hits != 1 || len(text) > 400 {
			t.Fatalf("snippet of %d bytes with %d highlights: %q", len(text), hits, text)
		}
	})

	t.Run("a body cannot forge a highlight", func(t *testing.T) {
		MustSend(t, s, g.alice.ID, g.conv.ID, "guava \uE000fake\uE001 <b>bold</b>")
		parts := search(t, s, g.alice.ID, "guava").Hits[0].Snippet
		for _, p := range parts {
			if p.Hit && p.Text != "guava" {
				t.Fatalf("forged highlight %q in %+v", p.Text, parts)
			}
		}
		if got := parts[len(parts)-1].Text; !strings.Contains(got, "<b>bold</b>") {
			t.Fatalf("markup was changed: %q", got)
		}
	})
}

func TestSearchPages(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	const n = 47
	for i := range n {
		body := "lychee " + strings.Repeat("x ", i%5) // a few ranks, many ties
		MustSend(t, s, g.alice.ID, g.conv.ID, body)
	}
	seen := map[int64]bool{}
	var cursor string
	pages := 0
	var prev shared.SearchHit
	for {
		res, err := s.SearchMessages(ctx, g.bob.ID, shared.SearchRequest{Query: "lychee", Cursor: cursor, Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, h := range res.Hits {
			if seen[h.Seq] {
				t.Fatalf("seq %d on two pages", h.Seq)
			}
			seen[h.Seq] = true
			if prev.Seq != 0 && (h.Rank > prev.Rank || h.Rank == prev.Rank && h.Seq > prev.Seq) {
				t.Fatalf("out of order: %+v after %+v", h, prev)
			}
			prev = h
		}
		if res.Next == "" {
			break
		}
		cursor = res.Next
	}
	if len(seen) != n || pages != 3 {
		t.Fatalf("%d messages in %d pages, want %d in 3", len(seen), pages, n)
	}
}

func TestSearchRespectsMembershipAndDeletion(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	m := MustSend(t, s, g.alice.ID, g.conv.ID, "the secret is quince")
	private := MustConv(t, s, g.dave.ID, "dave's", g.alice.ID)
	MustSend(t, s, g.dave.ID, private.ID, "another quince")

	if got := search(t, s, g.dave.ID, "quince").Hits; len(got) != 1 || got[0].ConversationID != private.ID {
		t.Fatalf("dave found %+v, want only his own conversation", got)
	}
	res, err := s.SearchMessages(ctx, g.dave.ID, shared.SearchRequest{Query: "quince", ConversationID: g.conv.ID})
	if err != nil || len(res.Hits) != 0 {
		t.Fatalf("dave scoped to a conversation he is not in: %+v, %v", res, err)
	}
	if got := search(t, s, g.dave.ID, "in:"+g.conv.ID+" quince").Hits; len(got) != 0 {
		t.Fatalf("in: a stranger's conversation found %+v", got)
	}
	if got := search(t, s, g.bob.ID, "quince").Hits; len(got) != 1 || got[0].Seq != m.Seq {
		t.Fatalf("bob found %+v, want the group's message only", got)
	}
	if _, err := s.RemoveMember(ctx, g.alice.ID, act(), g.conv.ID, g.bob.ID); err != nil {
		t.Fatal(err)
	}
	if got := search(t, s, g.bob.ID, "quince").Hits; len(got) != 0 {
		t.Fatalf("a removed member still finds %+v", got)
	}

	// Deleting sets deleted_at, erasing empties the body: either way the
	// message no longer matches, whoever deletes it and however.
	del := MustSend(t, s, g.alice.ID, g.conv.ID, "quince to delete")
	erase := MustSend(t, s, g.alice.ID, g.conv.ID, "quince to erase")
	exec(t, s, `UPDATE messages SET deleted_at = now() WHERE conversation_id = ? AND seq = ?`, g.conv.ID, del.Seq)
	exec(t, s, `UPDATE messages SET body = '' WHERE conversation_id = ? AND seq = ?`, g.conv.ID, erase.Seq)
	if got := seqs(search(t, s, g.alice.ID, "in:"+g.conv.ID+" quince")); !slices.Equal(got, []int64{m.Seq}) {
		t.Fatalf("after delete and erase: %v, want only %d", got, m.Seq)
	}
	edited := MustSend(t, s, g.alice.ID, g.conv.ID, "typo quinse")
	exec(t, s, `UPDATE messages SET body = 'fixed quince', edited_at = now() WHERE conversation_id = ? AND seq = ?`, g.conv.ID, edited.Seq)
	if got := search(t, s, g.alice.ID, "quinse").Hits; len(got) != 0 {
		t.Fatalf("an edit's old text still matches: %+v", got)
	}
	if _, err := s.SystemMessage(ctx, g.conv.ID, "system says quince"); err != nil {
		t.Fatal(err)
	}
	if got := len(search(t, s, g.alice.ID, "quince").Hits); got != 3 {
		t.Fatalf("%d hits, want 3 (dave's, the first and the edited one; no system message)", got)
	}
}

func TestSearchDates(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	old := MustSend(t, s, g.alice.ID, g.conv.ID, "fig season")
	mid := MustSend(t, s, g.alice.ID, g.conv.ID, "fig jam")
	exec(t, s, `UPDATE messages SET created_at = '2026-10-31 23:59:59+00' WHERE conversation_id = ? AND seq = ?`, g.conv.ID, old.Seq)
	exec(t, s, `UPDATE messages SET created_at = '2026-11-02 00:00:00+00' WHERE conversation_id = ? AND seq = ?`, g.conv.ID, mid.Seq)
	for q, want := range map[string][]int64{
		"fig before:2026-11-01": {old.Seq},
		"fig after:2026-11-01":  {mid.Seq},
		"fig after:2026-11-02":  nil,
		"before:2026-11-02":     {old.Seq},
	} {
		if got := seqs(search(t, s, g.bob.ID, q)); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("%q = %v, want %v", q, got, want)
		}
	}
}

func TestSearchRefusesBadInput(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	for _, tt := range []struct {
		name string
		req  shared.SearchRequest
		code string
	}{
		{"empty", shared.SearchRequest{Query: "  "}, shared.CodeSearchInvalid},
		{"punctuation only", shared.SearchRequest{Query: "?!"}, shared.CodeSearchInvalid},
		{"too long", shared.SearchRequest{Query: strings.Repeat("a", shared.SearchQueryMax+1)}, shared.CodeSearchInvalid},
		{"too many words", shared.SearchRequest{Query: strings.Repeat("w ", shared.SearchWordsMax+1)}, shared.CodeSearchInvalid},
		{"bad date", shared.SearchRequest{Query: "fig before:yesterday"}, shared.CodeSearchInvalid},
		{"unknown has", shared.SearchRequest{Query: "has:kiwi"}, shared.CodeSearchInvalid},
		{"bad utf8", shared.SearchRequest{Query: "a\xffb"}, shared.CodeSearchInvalid},
		{"bad cursor", shared.SearchRequest{Query: "fig", Cursor: "1/'; DROP TABLE messages"}, shared.CodeSearchInvalid},
		{"junk conversation", shared.SearchRequest{Query: "fig", ConversationID: "x'; --"}, shared.CodeNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.SearchMessages(ctx, g.alice.ID, tt.req)
			wantCode(t, err, tt.code)
		})
	}
	// Quotes and operators are no syntax to the search: they are spaces.
	MustSend(t, s, g.alice.ID, g.conv.ID, "it's o'clock & time | !")
	if got := search(t, s, g.alice.ID, `'s & o':* | !clock`).Hits; len(got) != 1 {
		t.Fatalf("tsquery syntax in a query: %+v", got)
	}
}

// TestSearchTimeout holds a lock the search must wait for, so the statement
// timeout fires without depending on how fast the machine is.
func TestSearchTimeout(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	MustSend(t, s, g.alice.ID, g.conv.ID, "plum")
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `LOCK TABLE messages IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	short := *s
	short.SearchTimeout = 50 * time.Millisecond
	_, err = short.SearchMessages(ctx, g.alice.ID, shared.SearchRequest{Query: "plum"})
	wantCode(t, err, shared.CodeSearchTimeout)
	tx.Rollback()
	if got := search(t, s, g.alice.ID, "plum").Hits; len(got) != 1 {
		t.Fatalf("after the lock: %+v", got)
	}
}

func TestSearchLanguage(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	if lang, err := s.SearchLanguage(ctx); err != nil || lang != "simple" {
		t.Fatalf("default language %q, %v", lang, err)
	}
	MustSend(t, s, g.alice.ID, g.conv.ID, "she was running home")
	if got := search(t, s, g.bob.ID, "run ").Hits; len(got) != 0 {
		t.Fatalf("simple stems nothing, yet found %+v", got)
	}
	if err := s.SetSearchLanguage(ctx, "english"); err != nil {
		t.Fatal(err)
	}
	if lang, _ := s.SearchLanguage(ctx); lang != "english" {
		t.Fatalf("language after the change: %q", lang)
	}
	if got := search(t, s, g.bob.ID, "run ").Hits; len(got) != 1 {
		t.Fatalf("english stems running to run, yet found %+v", got)
	}
	MustSend(t, s, g.alice.ID, g.conv.ID, "new messages are indexed in english too: runs")
	if got := search(t, s, g.bob.ID, "run ").Hits; len(got) != 2 {
		t.Fatalf("after a new message: %+v", got)
	}
	if err := s.SetSearchLanguage(ctx, "klingon'; DROP TABLE messages; --"); err == nil {
		t.Fatal("an unknown configuration was accepted")
	}
	if err := s.SetSearchLanguage(ctx, "simple"); err != nil {
		t.Fatal(err)
	}
	if got := search(t, s, g.bob.ID, "running ").Hits; len(got) != 1 {
		t.Fatalf("back to simple: %+v", got)
	}
}
