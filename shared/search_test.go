package shared

import (
	"slices"
	"testing"
	"time"
)

func TestSearchWords(t *testing.T) {
	got := SearchWords("Hello, WORLD! it's example.com/Path_x 3.14 Grüße 日本語")
	want := []string{"hello", "world", "it", "s", "example", "com", "path", "x", "3", "14", "grüße", "日本語"}
	if !slices.Equal(got, want) {
		t.Fatalf("SearchWords = %q, want %q", got, want)
	}
}

func TestParseSearch(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tt := range []struct {
		in   string
		want SearchQuery
	}{
		{"kiwi", SearchQuery{Words: []string{"kiwi"}, Prefix: true}},
		{"kiwi ", SearchQuery{Words: []string{"kiwi"}}},
		{"Kiwi M", SearchQuery{Words: []string{"kiwi", "m"}}}, // one letter is no prefix
		{"from:@Bob in:\"Fruit Stand\" kiwi", SearchQuery{Words: []string{"kiwi"}, Prefix: true, From: "Bob", In: "Fruit Stand"}},
		{"kiwi has:LINK", SearchQuery{Words: []string{"kiwi"}, HasLink: true}},
		{"before:2026-11-01 after:2026-10-01 x", SearchQuery{Words: []string{"x"}, Before: day("2026-11-01"), After: day("2026-10-02")}},
		{"http://example.com", SearchQuery{Words: []string{"http", "example", "com"}, Prefix: true}},
	} {
		got, fe := ParseSearch(tt.in)
		if fe != nil {
			t.Fatalf("%q: %v", tt.in, fe)
		}
		if !slices.Equal(got.Words, tt.want.Words) || got.Prefix != tt.want.Prefix || got.From != tt.want.From ||
			got.In != tt.want.In || got.HasLink != tt.want.HasLink || !got.Before.Equal(tt.want.Before) || !got.After.Equal(tt.want.After) {
			t.Errorf("%q = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "  ", "!!", "has:pics", "before:tomorrow", "a b c d e f g h i"} {
		if _, fe := ParseSearch(bad); fe == nil || fe.Code != CodeSearchInvalid {
			t.Errorf("%q accepted: %v", bad, fe)
		}
	}
}

func TestHighlight(t *testing.T) {
	q, _ := ParseSearch("kiw")
	got := Highlight("A kiwi, kiwis & KIWI-fruit.", q, 0)
	want := []SnippetPart{{Text: "A "}, {Text: "kiwi", Hit: true}, {Text: ", "}, {Text: "kiwis", Hit: true},
		{Text: " & "}, {Text: "KIWI", Hit: true}, {Text: "-fruit."}}
	if !slices.Equal(got, want) {
		t.Fatalf("Highlight = %+v", got)
	}
	long := Highlight("aaaa bbbb cccc dddd kiwi eeee ffff gggg", q, 16)
	if long[0].Text != "…" || long[len(long)-1].Text != "…" || !slices.ContainsFunc(long, func(p SnippetPart) bool { return p.Hit }) {
		t.Fatalf("cut snippet = %+v", long)
	}
	if !HasLink("see https://x.org") || !HasLink("WWW.x.org") || HasLink("https:// nothing") {
		t.Fatal("HasLink")
	}
}
