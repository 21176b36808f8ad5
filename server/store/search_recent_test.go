package store_test

import (
	"slices"
	"testing"

	"natter/server/store"
	"natter/shared"
)

// mustBulk inserts n messages by alice into conv with bodies made by body
// (given 1..n), in one statement, and moves the conversation's last_seq
// past them, as sends would.
func mustBulk(tb testing.TB, g group, conv string, n int, body string) {
	tb.Helper()
	exec(tb, g.s, `INSERT INTO messages (conversation_id, seq, sender_id, body)
		SELECT c.id, c.last_seq + i, ?, format(?, i) FROM conversations c, generate_series(1, ?) i WHERE c.id = ?`,
		g.alice.ID, body, n, conv)
	exec(tb, g.s, `UPDATE conversations SET last_seq = last_seq + ? WHERE id = ?`, n, conv)
}

// mustPages pages through a search with the plan forced and returns every
// hit, failing on an error, a hit seen twice or hits out of order (rank
// down, then newest first). recent picks the plan of the first page;
// between runs after each page.
func mustPages(tb testing.TB, s *store.Store, user int64, req shared.SearchRequest, recent bool, between func()) []shared.SearchHit {
	tb.Helper()
	var all []shared.SearchHit
	seen := map[[2]any]bool{}
	for {
		plan := store.PlanAll
		if recent {
			plan = store.PlanRecent
		}
		res, err := s.SearchMessagesPlan(ctx, user, req, plan)
		if err != nil {
			tb.Fatalf("search %+v: %v", req, err)
		}
		for _, h := range res.Hits {
			k := [2]any{h.ConversationID, h.Seq}
			if seen[k] {
				tb.Fatalf("hit %v on two pages", k)
			}
			seen[k] = true
			if n := len(all); n > 0 {
				p := all[n-1]
				if h.Rank > p.Rank || h.Rank == p.Rank && h.CreatedAt.After(p.CreatedAt) {
					tb.Fatalf("out of order: %+v after %+v", h, p)
				}
			}
			all = append(all, h)
		}
		if res.Next == "" {
			return all
		}
		req.Cursor = res.Next
		if between != nil {
			between()
		}
	}
}

func TestSearchRecentPagesThroughTheNewestMatches(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	// 1,080 matches of two ranks in one conversation, and noise.
	mustBulk(t, g, g.conv.ID, 1200, "date %s"+" and date"+" x")
	exec(t, s, `UPDATE messages SET body = body || ' date' WHERE conversation_id = ? AND seq % 7 = 0`, g.conv.ID)
	exec(t, s, `UPDATE messages SET body = 'nothing ' || seq WHERE conversation_id = ? AND seq % 10 = 0`, g.conv.ID)
	var matches []int64
	if err := s.DB.NewRaw(`SELECT seq FROM messages WHERE conversation_id = ? AND body LIKE 'date%' ORDER BY seq DESC`,
		g.conv.ID).Scan(ctx, &matches); err != nil {
		t.Fatal(err)
	}
	newest := matches[:store.SearchRecent] // one conversation gives its newest thousand

	sent := 0
	hits := mustPages(t, s, g.bob.ID, shared.SearchRequest{Query: "date", Limit: 50}, true, func() {
		// Messages sent while one pages are not among the candidates: the
		// pages go on through the same set, skipping nothing.
		MustSend(t, s, g.carol.ID, g.conv.ID, "date date date date")
		sent++
	})
	got := make([]int64, len(hits))
	for i, h := range hits {
		got[i] = h.Seq
	}
	slices.Sort(got)
	slices.Reverse(got)
	if !slices.Equal(got, newest) {
		t.Fatalf("%d hits (seqs %v...), want the newest %d matches (%v...); %d sent while paging",
			len(got), got[:min(5, len(got))], len(newest), newest[:5], sent)
	}
	// Ranks first: the messages with the word three times come first.
	if hits[0].Rank <= hits[len(hits)-1].Rank {
		t.Fatalf("ranks %v .. %v", hits[0].Rank, hits[len(hits)-1].Rank)
	}

	t.Run("a new search ranks what was sent meanwhile", func(t *testing.T) {
		res, err := s.SearchMessagesPlan(ctx, g.bob.ID, shared.SearchRequest{Query: "date"}, store.PlanRecent)
		if err != nil {
			t.Fatal(err)
		}
		if h := res.Hits[0]; h.Sender != "carol" {
			t.Fatalf("top hit %+v, want one of carol's four-date messages", h)
		}
	})
}

func TestSearchRecentTakesFromEveryConversation(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	quiet := MustConv(t, s, g.alice.ID, "quiet", g.bob.ID)
	mustBulk(t, g, quiet.ID, 5, "plum %s")
	mustBulk(t, g, g.conv.ID, 1200, "plum %s")
	hits := mustPages(t, s, g.bob.ID, shared.SearchRequest{Query: "plum ", Limit: 50}, true, nil)
	per := map[string][]int64{}
	for _, h := range hits {
		per[h.ConversationID] = append(per[h.ConversationID], h.Seq)
	}
	const each = store.SearchRecent / 2 // two conversations
	if len(per[quiet.ID]) != 5 || len(per[g.conv.ID]) != each {
		t.Fatalf("%d hits from the quiet conversation and %d from the busy one, want 5 and %d",
			len(per[quiet.ID]), len(per[g.conv.ID]), each)
	}
	busy := per[g.conv.ID]
	if slices.Min(busy) != 1200-each+1 {
		t.Fatalf("the busy conversation's oldest candidate is seq %d, want %d", slices.Min(busy), 1200-each+1)
	}
	// Equal ranks: newest first.
	if !slices.IsSortedFunc(busy, func(a, b int64) int { return int(b - a) }) {
		t.Fatalf("ties not newest first: %v", busy[:10])
	}
}

func TestSearchPlansAgreeOnFewMatches(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	other := MustConv(t, s, g.bob.ID, "other", g.alice.ID)
	MustSend(t, s, g.alice.ID, g.conv.ID, "pear and apple")
	MustSend(t, s, g.bob.ID, g.conv.ID, "pear pear, pears!")
	MustSend(t, s, g.carol.ID, g.conv.ID, "apple pie")
	MustSend(t, s, g.bob.ID, other.ID, "a pear for alice")
	MustSend(t, s, g.dave.ID, MustConv(t, s, g.dave.ID, "not alice's", g.bob.ID).ID, "pear")
	for _, q := range []string{"pear ", "pea", "apple pear", "in:other pear", "pie", "zzz"} {
		t.Run(q, func(t *testing.T) {
			req := shared.SearchRequest{Query: q, Limit: 2}
			all := mustPages(t, s, g.alice.ID, req, false, nil)
			recent := mustPages(t, s, g.alice.ID, req, true, nil)
			if !slices.EqualFunc(all, recent, func(a, b shared.SearchHit) bool {
				return a.ConversationID == b.ConversationID && a.Seq == b.Seq && a.Rank == b.Rank
			}) {
				t.Fatalf("all matches %+v\nrecent matches %+v", all, recent)
			}
		})
	}
}

func TestSearchPlanFollowsStatistics(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	mustBulk(t, g, g.conv.ID, 400, "everywhere %s")
	exec(t, s, `UPDATE messages SET body = body || ' seldom' WHERE conversation_id = ? AND seq % 100 = 0`, g.conv.ID)
	exec(t, s, `ANALYZE messages`)
	for _, tt := range []struct{ query, want string }{
		{"everywhere ", "recent"},
		{"every", "recent"}, // a prefix of a common word
		{"seldom ", "all"},
		{"everywhere seldom ", "all"},
		{"everywhere from:alice", "all"},
		{"everywhere after:2020-01-01", "all"},
		{"everywhere has:link", "all"},
		{"from:alice", "all"},
		{"nowhere ", "all"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			if got, err := s.SearchPlanFor(ctx, g.bob.ID, tt.query); err != nil || got != tt.want {
				t.Fatalf("plan for %q = %q, %v; want %q", tt.query, got, err, tt.want)
			}
		})
	}
	t.Run("the results say when older matches were left out", func(t *testing.T) {
		if search(t, s, g.bob.ID, "everywhere ").Recent {
			t.Fatal("Recent set while every one of 400 matches was a candidate")
		}
	})
	t.Run("the common word's pages end after the newest matches", func(t *testing.T) {
		mustBulk(t, g, g.conv.ID, store.SearchRecent, "everywhere %s")
		var n int
		req := shared.SearchRequest{Query: "everywhere ", Limit: shared.SearchPageMax}
		for {
			res, err := s.SearchMessages(ctx, g.bob.ID, req)
			if err != nil {
				t.Fatal(err)
			}
			n += len(res.Hits)
			if !res.Recent {
				t.Fatalf("a page without Recent: %+v", res)
			}
			if res.Next == "" {
				break
			}
			req.Cursor = res.Next
		}
		if n != store.SearchRecent {
			t.Fatalf("%d hits, want the newest %d of 1,400", n, store.SearchRecent)
		}
		if search(t, s, g.bob.ID, "seldom ").Recent {
			t.Fatal("Recent set on a rare word's results")
		}
	})
}

func TestSearchCursors(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	for range 3 {
		MustSend(t, s, g.alice.ID, g.conv.ID, "kiwi")
	}
	first, err := s.SearchMessages(ctx, g.bob.ID, shared.SearchRequest{Query: "kiwi", Limit: 1})
	if err != nil || first.Next == "" {
		t.Fatalf("first page %+v, %v", first, err)
	}
	for _, tt := range []struct {
		cursor string
		code   string
	}{
		{first.Next, ""},
		{"0.06/999999", ""},                    // a position past everything: an empty page
		{"0.06/999999/999999", ""},             // the same among recent matches
		{"0.06/5/4", shared.CodeSearchInvalid}, // the candidates' bound below the position
		{"0.06/5/x", shared.CodeSearchInvalid},
		{"0.06/5/6/7", shared.CodeSearchInvalid},
		{"0.06", shared.CodeSearchInvalid},
	} {
		t.Run(tt.cursor, func(t *testing.T) {
			_, err := s.SearchMessages(ctx, g.bob.ID, shared.SearchRequest{Query: "kiwi", Cursor: tt.cursor})
			if tt.code == "" && err != nil {
				t.Fatal(err)
			}
			if tt.code != "" {
				wantCode(t, err, tt.code)
			}
		})
	}
}
