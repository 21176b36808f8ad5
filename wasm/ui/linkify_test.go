package ui

import (
	"reflect"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func TestLinkify(t *testing.T) {
	link := func(u string) Segment { return Segment{Text: u, URL: u} }
	text := func(s string) Segment { return Segment{Text: s} }
	tests := []struct {
		name string
		in   string
		want []Segment
	}{
		{"plain", "hello there", []Segment{text("hello there")}},
		{"empty", "", nil},
		{"only link", "https://example.com", []Segment{link("https://example.com")}},
		{"link in sentence", "see https://example.com/a?b=1. ok",
			[]Segment{text("see "), link("https://example.com/a?b=1"), text(". ok")}},
		{"http and case", "HTTP://Example.com/x", []Segment{link("HTTP://Example.com/x")}},
		{"balanced parens kept", "(https://en.wikipedia.org/wiki/Go_(language))",
			[]Segment{text("("), link("https://en.wikipedia.org/wiki/Go_(language)"), text(")")}},
		{"javascript is text", "javascript:alert(1)", []Segment{text("javascript:alert(1)")}},
		{"ftp is text", "ftp://example.com", []Segment{text("ftp://example.com")}},
		{"no host is text", "https:// nothing", []Segment{text("https:// nothing")}},
		{"inside a word is text", "xhttps://example.com", []Segment{text("xhttps://example.com")}},
		{"html stays text", `<a href="https://evil.example">x</a>`,
			[]Segment{text(`<a href="`), link("https://evil.example"), text(`">x</a>`)}},
		{"two links", "a http://a.io b https://b.io",
			[]Segment{text("a "), link("http://a.io"), text(" b "), link("https://b.io")}},
		{"newline ends link", "https://a.io\nnext", []Segment{link("https://a.io"), text("\nnext")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Linkify(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Linkify(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
			}
			var joined strings.Builder
			for _, s := range got {
				joined.WriteString(s.Text)
			}
			if joined.String() != tt.in {
				t.Fatalf("segments lost text: %q != %q", joined.String(), tt.in)
			}
		})
	}
}

func TestBodyNodesNeverRenderHTML(t *testing.T) {
	body := `<img src=x onerror="alert(1)"> & <script>alert(2)</script> https://ok.example/p`
	html := app.HTMLString(app.Div().Body(bodyNodes(body)...))
	for _, bad := range []string{"<img", "<script", "onerror=\""} {
		if strings.Contains(html, bad) {
			t.Fatalf("user text rendered as HTML (%q found): %s", bad, html)
		}
	}
	for _, want := range []string{`href="https://ok.example/p"`, `target="_blank"`, `rel="noopener noreferrer"`, "&lt;script&gt;"} {
		if !strings.Contains(html, want) {
			t.Fatalf("missing %q in %s", want, html)
		}
	}
}
