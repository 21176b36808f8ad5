package ui

import (
	"slices"
	"testing"

	"natter/shared"
)

func TestGroupHitsKeepsRankingByConversation(t *testing.T) {
	hits := []shared.SearchHit{
		{ConversationID: "b", Seq: 9}, {ConversationID: "a", Seq: 4}, {ConversationID: "b", Seq: 2}, {ConversationID: "c", Seq: 1}, {ConversationID: "a", Seq: 1},
	}
	var got []string
	for _, g := range groupHits(hits) {
		s := g.convID + ":"
		for _, h := range g.hits {
			s += string(rune('0' + h.Seq))
		}
		got = append(got, s)
	}
	if want := []string{"b:92", "a:41", "c:1"}; !slices.Equal(got, want) {
		t.Fatalf("groups = %q, want %q", got, want)
	}
	if p := messagePath("0191b2c3-0000-7000-8000-000000000000", 42); p != "/c/0191b2c3-0000-7000-8000-000000000000/m/42" {
		t.Fatalf("messagePath = %q", p)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{512: "512 bytes", 2048: "2.0 KB", 5 << 20: "5.0 MB", 300 << 20: "300 MB", 3 << 30: "3.0 GB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
