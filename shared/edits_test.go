package shared

import (
	"slices"
	"strings"
	"testing"
)

func TestMentions(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"hi @Ann and @bob.", []string{"ann", "bob"}},
		{"@ann @ANN", []string{"ann"}},
		{"mail ann@example.com", nil},
		{"@a is too short", nil},
		{"(@zoë)", []string{"zoë"}},
		{"@@x_y-", []string{"x_y"}},
	}
	for _, tt := range tests {
		if got := Mentions(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Mentions(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if !Mentioned("ok @Bob2", "bob2") || Mentioned("ok @Bob22", "bob2") || Mentioned("x", "") {
		t.Error("Mentioned")
	}
}

func TestFirstLine(t *testing.T) {
	for in, want := range map[string]string{
		"\n\n  > quoted\nrest":              "quoted",
		"```\ncode\n```":                    "code",
		strings.Repeat("é", QuoteLineMax+5): strings.Repeat("é", QuoteLineMax) + "…",
		"":                                  "",
	} {
		if got := FirstLine(in); got != want {
			t.Errorf("FirstLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReactionsAreBuiltIn(t *testing.T) {
	for _, e := range QuickReactions {
		if !ValidEmoji(e) {
			t.Errorf("quick reaction %q is not in the picker", e)
		}
	}
	if ValidEmoji("<b>") || ValidEmoji("") || len(QuickReactions) != 6 {
		t.Error("ValidEmoji accepts what the picker does not offer")
	}
}
