package client

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"natter/shared"
)

func TestRetentionKeepsAMonthAndAtLeastTheNewest(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	msgs := func(ages ...int) []shared.Message { // ages in days, oldest first
		out := make([]shared.Message, len(ages))
		for i, a := range ages {
			out[i] = shared.Message{Seq: int64(i + 1), CreatedAt: now.AddDate(0, 0, -a)}
		}
		return out
	}
	r := Retention{Days: 30, Min: 2}
	for _, tt := range []struct {
		name string
		in   []shared.Message
		want int64 // first seq kept; 0 for none
	}{
		{"all recent", msgs(20, 10, 1), 1},
		{"old ones evicted", msgs(90, 60, 31, 29, 1), 4},
		{"at least the newest Min however old", msgs(90, 80, 70), 2},
		{"fewer than Min", msgs(400), 1},
		{"a suffix: it ends at the newest old message", msgs(60, 10, 45, 5, 1), 4},
		{"nothing", nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := r.keep(tt.in, now)
			if tt.want == 0 {
				if len(got) != 0 {
					t.Fatalf("kept %d", len(got))
				}
				return
			}
			if got[0].Seq != tt.want || got[len(got)-1].Seq != int64(len(tt.in)) {
				t.Fatalf("kept %d..%d, want %d..%d", got[0].Seq, got[len(got)-1].Seq, tt.want, len(tt.in))
			}
		})
	}
	if d := (Retention{}).orDefault(); d != DefaultRetention {
		t.Fatalf("zero retention = %+v", d)
	}
}

// localSeqs runs an offline search and returns the seqs found, in order.
func localSeqs(tb testing.TB, e *Engine, query string) []int64 {
	tb.Helper()
	res, err := e.SearchLocal(shared.SearchRequest{Query: query, Limit: shared.SearchPageMax})
	if err != nil {
		tb.Fatalf("search %q: %v", query, err)
	}
	if !res.Local {
		tb.Fatal("offline results not marked Local")
	}
	var out []int64
	for _, h := range res.Hits {
		out = append(out, h.Seq)
	}
	return out
}

func TestLocalSearchFollowsEditsDeletesAndReloads(t *testing.T) {
	st := NewMemoryStorage()
	e := mustOfflineEngine(t, st)
	conv := shared.NewUUIDv7()
	now := time.Now()
	e.mu.Lock()
	c := newConv(shared.Conversation{ID: conv, Title: "Fruit", Named: true, Members: []shared.Member{{UserID: 7, Nickname: "ann"}, {UserID: 8, Nickname: "bob"}}})
	for i, body := range []string{"a kiwi for ann", "KIWI kiwi kiwi!", "see https://example.com/kiwi", "mango", "typo kiwj"} {
		c.merge(shared.Message{ConversationID: conv, Seq: int64(i + 1), SenderID: 8, Sender: "bob", Kind: shared.KindText, Body: body, CreatedAt: now})
	}
	e.convs[conv] = c
	e.dirty.conv(conv)
	e.mu.Unlock()

	if got := localSeqs(t, e, "kiwi "); !slices.Equal(got, []int64{2, 3, 1}) {
		t.Fatalf("kiwi = %v, want the triple first, then newest first", got)
	}
	if got := localSeqs(t, e, "kiw"); !slices.Equal(got, []int64{2, 5, 3, 1}) {
		t.Fatalf("kiw (prefix) = %v", got)
	}
	for q, want := range map[string][]int64{
		"example has:link":        {3},
		"from:BOB mango":          {4},
		"from:ann mango":          nil,
		"in:fruit mango":          {4},
		"in:other mango":          nil,
		"in:" + conv + " mango":   {4},
		"mango before:2000-01-01": nil,
	} {
		if got := localSeqs(t, e, q); !slices.Equal(got, want) {
			t.Errorf("%q = %v, want %v", q, got, want)
		}
	}
	res, _ := e.SearchLocal(shared.SearchRequest{Query: "ann"})
	want := []shared.SnippetPart{{Text: "a kiwi for "}, {Text: "ann", Hit: true}}
	if len(res.Hits) != 1 || !slices.Equal(res.Hits[0].Snippet, want) {
		t.Fatalf("snippet = %+v, want %+v", res.Hits, want)
	}
	if _, err := e.SearchLocal(shared.SearchRequest{Query: "has:nothing"}); err == nil {
		t.Fatal("bad filter accepted")
	}

	// An edit replaces the words, a delete removes them: before and after
	// the write to Storage.
	e.mu.Lock()
	edited := now.Add(time.Minute)
	e.mergeMessage(shared.Message{ConversationID: conv, Seq: 5, SenderID: 8, Sender: "bob", Kind: shared.KindText, Body: "typo kiwi fixed", CreatedAt: now, EditedAt: &edited})
	e.mergeMessage(shared.Message{ConversationID: conv, Seq: 2, SenderID: 8, Sender: "bob", Kind: shared.KindText, Body: "", CreatedAt: now, DeletedAt: &edited})
	e.mu.Unlock()
	check := func(when string) {
		t.Helper()
		if got := localSeqs(t, e, "kiwi "); !slices.Equal(got, []int64{5, 3, 1}) {
			t.Fatalf("%s: kiwi = %v, want the edit in and the deleted one out", when, got)
		}
		if got := localSeqs(t, e, "kiwj"); len(got) != 0 {
			t.Fatalf("%s: the edit's old word still matches: %v", when, got)
		}
	}
	check("before the write")
	e.Flush()
	check("after the write")

	b, ok, _ := st.Get(context.Background(), BucketWords, conv)
	var ix wordIndex
	if !ok || json.Unmarshal(b, &ix) != nil || !slices.Equal(ix.Words["kiwi"], []int64{1, 3, 5}) || ix.Words["kiwj"] != nil {
		t.Fatalf("stored index: %s", b)
	}
	e.Stop()

	// After a reload the stored index is read on the first local search,
	// not at start. To tell it from one rebuilt from the messages, the
	// stored one gains a word no message holds ("papaya" -> seq 4).
	ix.Words["papaya"] = []int64{4}
	planted, _ := json.Marshal(ix)
	if err := st.Put(context.Background(), BucketWords, conv, planted); err != nil {
		t.Fatal(err)
	}
	e2 := mustOfflineEngine(t, st)
	e2.mu.Lock()
	atStart := e2.index[conv]
	e2.mu.Unlock()
	if atStart != nil {
		t.Fatal("the index was read at start; it should wait for a search")
	}
	if got := localSeqs(t, e2, "kiwi "); !slices.Equal(got, []int64{5, 3, 1}) {
		t.Fatalf("after reload: %v", got)
	}
	if got := localSeqs(t, e2, "papaya"); !slices.Equal(got, []int64{4}) {
		t.Fatalf("papaya = %v: the stored index was not read", got)
	}
}

// TestLocalSearchIndexesWhatIsNotStored: a conversation whose index was
// never stored (a cache from before the index, or one lost) is indexed
// from its messages on the first search, and that index is kept.
func TestLocalSearchIndexesWhatIsNotStored(t *testing.T) {
	st := NewMemoryStorage()
	e := mustOfflineEngine(t, st)
	conv := shared.NewUUIDv7()
	e.mu.Lock()
	c := newConv(shared.Conversation{ID: conv, Title: "Fruit", Named: true, Members: []shared.Member{{UserID: 7, Nickname: "ann"}}})
	c.merge(shared.Message{ConversationID: conv, Seq: 1, SenderID: 7, Sender: "ann", Kind: shared.KindText, Body: "lychee", CreatedAt: time.Now()})
	e.convs[conv] = c
	e.dirty.conv(conv)
	e.mu.Unlock()
	e.Flush()
	if err := st.Delete(context.Background(), BucketWords, conv); err != nil {
		t.Fatal(err)
	}
	e.Stop()

	e2 := mustOfflineEngine(t, st)
	if got := localSeqs(t, e2, "lychee"); !slices.Equal(got, []int64{1}) {
		t.Fatalf("lychee = %v", got)
	}
	e2.mu.Lock()
	kept := e2.index[conv]
	e2.mu.Unlock()
	if kept == nil || !slices.Equal(kept.Words["lychee"], []int64{1}) {
		t.Fatalf("the index built by the search was not kept: %+v", kept)
	}
}

func TestLocalSearchPages(t *testing.T) {
	e := mustOfflineEngine(t, NewMemoryStorage())
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, 45) // bodies m1..m45
	var got []int64
	cursor := ""
	for {
		res, err := e.SearchLocal(shared.SearchRequest{Query: "m", Cursor: cursor, Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			got = append(got, h.Seq)
		}
		if res.Next == "" {
			break
		}
		cursor = res.Next
	}
	// "m" is one letter: no prefix, and no message is the word "m".
	if len(got) != 0 {
		t.Fatalf("one-letter word matched %v", got)
	}
	res, _ := e.SearchLocal(shared.SearchRequest{Query: "m4", Limit: 4})
	if len(res.Hits) != 4 || res.Next != "4" {
		t.Fatalf("first page of m4*: %+v", res)
	}
	res, _ = e.SearchLocal(shared.SearchRequest{Query: "m4", Cursor: "4", Limit: 4})
	if len(res.Hits) != 3 || res.Next != "" { // m4, m40..m45: 7 in all
		t.Fatalf("second page: %d hits, next %q", len(res.Hits), res.Next)
	}
}
