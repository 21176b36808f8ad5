package ui

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func txt(s string) Mark { return Mark{Kind: MarkText, Text: s} }

var brk = Mark{Kind: MarkBreak}

func TestParseMarkup(t *testing.T) {
	tests := []struct {
		in   string
		want []Mark
	}{
		{"plain", []Mark{txt("plain")}},
		{"*em* and **strong**", []Mark{{Kind: MarkEm, Children: []Mark{txt("em")}}, txt(" and "), {Kind: MarkStrong, Children: []Mark{txt("strong")}}}},
		{"**bold *and em* too**", []Mark{{Kind: MarkStrong, Children: []Mark{txt("bold "), {Kind: MarkEm, Children: []Mark{txt("and em")}}, txt(" too")}}}},
		{"2 * 3 * 4", []Mark{txt("2 * 3 * 4")}},
		{"a*b", []Mark{txt("a*b")}},
		{"`*not em*` x", []Mark{{Kind: MarkCode, Text: "*not em*"}, txt(" x")}},
		{"`unclosed", []Mark{txt("`unclosed")}},
		{"line one\nline two", []Mark{txt("line one"), brk, txt("line two")}},
		{"a\n\nb", []Mark{txt("a"), brk, brk, txt("b")}},
		{"```\ncode *x*\n<b>\n```\nafter", []Mark{{Kind: MarkPre, Text: "code *x*\n<b>"}, txt("after")}},
		{"```go\nunclosed", []Mark{{Kind: MarkPre, Text: "go\nunclosed"}}}, // nothing typed is dropped
		{"```one```", []Mark{{Kind: MarkPre, Text: "one"}}},
		{"> quoted *em*\n> two\nreply", []Mark{{Kind: MarkQuote, Children: []Mark{txt("quoted "), {Kind: MarkEm, Children: []Mark{txt("em")}}, brk, txt("two")}}, txt("reply")}},
		{"see https://example.com/a_(b). ok", []Mark{txt("see "), {Kind: MarkLink, Text: "https://example.com/a_(b)", URL: "https://example.com/a_(b)"}, txt(". ok")}},
		{"www.example.org/x, then", []Mark{{Kind: MarkLink, Text: "www.example.org/x", URL: "https://www.example.org/x"}, txt(", then")}},
		{"mail mailto:ann@example.com!", []Mark{txt("mail "), {Kind: MarkLink, Text: "mailto:ann@example.com", URL: "mailto:ann@example.com"}, txt("!")}},
		{"javascript:alert(1) and jshttp://x", []Mark{txt("javascript:alert(1) and jshttp://x")}},
		{"mailto:javascript:x", []Mark{txt("mailto:javascript:x")}},
		{"hi @ann_b. and bob@example.com", []Mark{txt("hi "), {Kind: MarkMention, Text: "@ann_b"}, txt(". and bob@example.com")}},
		{"<script>alert(1)</script>", []Mark{txt("<script>alert(1)</script>")}},
	}
	for _, tt := range tests {
		got := ParseMarkup(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseMarkup(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
		}
	}
}

// TestPlainText: blocks stay lines of their own (the conversation list's
// preview read "see youThe plan:go test" before).
func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"> sure @bob see you\nThe *plan*:\n```\ngo test\n```\nmail": "sure @bob see you\nThe plan:\ngo test\nmail",
		"**a** `b`\nc":   "a b\nc",
		"> q":            "q",
		"x\n> q\n> r\ny": "x\nq\nr\ny",
	} {
		if got := PlainText(ParseMarkup(in)); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkupRendersTextNotHTML(t *testing.T) {
	html := app.HTMLString(app.Div().Body(markupNodes("**<img src=x onerror=alert(1)>** @ann hi @bob", "Ann")...))
	if strings.Contains(html, "<img") || !strings.Contains(html, "&lt;img") {
		t.Fatalf("user text became HTML: %s", html)
	}
	if !strings.Contains(html, `class="mention mention-me"`) || strings.Count(html, "mention") != 3 {
		t.Fatalf("mentions: %s", html)
	}
}

var tagRe = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9-]*)`)

// FuzzMarkup: the parser never panics, renders only allowed elements, and
// loses no text that is not markup.
func FuzzMarkup(f *testing.F) {
	for _, s := range []string{"*a* **b** `c`", "```\nx\n```", "> q\n> r", "http://a.b/c www.d.ef mailto:g@h.ij",
		"@ann", "<script>x</script>", "***", "**a*b**c*", "`", "> ```\n```", "\r\n*", "www.", "@@a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms := ParseMarkup(s)
		html := app.HTMLString(app.Div().Body(renderMarks(ms, "ann")...))
		for _, m := range tagRe.FindAllStringSubmatch(html, -1) {
			if tag := strings.ToLower(m[2]); tag != "div" && !slices.Contains(markupElements, tag) {
				t.Fatalf("element <%s> from %q: %s", tag, s, html)
			}
		}
		// Every letter and digit typed is shown (markup only takes
		// punctuation and the '>' of quotes away).
		count := func(s string) int {
			n := 0
			for _, r := range s {
				if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
					n++
				}
			}
			return n
		}
		if got, want := count(PlainText(ms)), count(s); got != want {
			t.Fatalf("%q shows %d letters, has %d: %#v", s, got, want, ms)
		}
	})
}
