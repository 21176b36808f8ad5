package ui

import (
	"net/url"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Segment is a piece of a message body: plain text, or a link when URL is
// set. Bodies are split into segments instead of being rendered as HTML, so
// whatever a user types is always shown as text and only http(s) links
// become clickable.
type Segment struct {
	Text string
	URL  string
}

// Linkify splits s into text and link segments. Only absolute http and https
// URLs are links; trailing punctuation that usually ends a sentence is left
// out of the link, except a closing parenthesis that the URL itself opened.
func Linkify(s string) []Segment {
	var out []Segment
	text := func(t string) {
		if t == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].URL == "" {
			out[n-1].Text += t
			return
		}
		out = append(out, Segment{Text: t})
	}
	for s != "" {
		i := linkStart(s)
		if i < 0 {
			text(s)
			break
		}
		text(s[:i])
		end := i
		for end < len(s) && !isLinkBreak(s[end]) {
			end++
		}
		raw := trimLinkTail(s[i:end])
		if u, err := url.Parse(raw); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			// Not a usable link: keep the scheme as text and go on after it.
			n := strings.Index(s[i:], "//") + 2
			text(s[i : i+n])
			s = s[i+n:]
			continue
		}
		out = append(out, Segment{Text: raw, URL: raw})
		s = s[i+len(raw):]
	}
	return out
}

// linkStart returns the index of the next "http://" or "https://" (any case)
// that starts a word, or -1.
func linkStart(s string) int {
	lower := strings.ToLower(s)
	from := 0
	for {
		i := strings.Index(lower[from:], "http")
		if i < 0 {
			return -1
		}
		i += from
		rest := lower[i:]
		if (strings.HasPrefix(rest, "http://") || strings.HasPrefix(rest, "https://")) &&
			(i == 0 || !isWordByte(s[i-1])) {
			return i
		}
		from = i + 4
	}
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b >= 0x80
}

// isLinkBreak reports the bytes that can never be part of a link in running
// text: white space, quotes and angle brackets.
func isLinkBreak(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\r', '\f', '\v', '"', '<', '>', '`':
		return true
	}
	return false
}

// trimLinkTail drops sentence punctuation from the end of a link candidate.
func trimLinkTail(s string) string {
	for s != "" {
		last := s[len(s)-1]
		switch last {
		case '.', ',', ';', ':', '!', '?', '\'', '*':
			s = s[:len(s)-1]
			continue
		case ')', ']', '}':
			open := map[byte]byte{')': '(', ']': '[', '}': '{'}[last]
			if strings.Count(s, string(open)) < strings.Count(s, string(last)) {
				s = s[:len(s)-1]
				continue
			}
		}
		return s
	}
	return s
}

// bodyNodes renders a message body as text nodes and safe links; user text
// never reaches the DOM as HTML.
func bodyNodes(body string) []app.UI {
	segs := Linkify(body)
	nodes := make([]app.UI, 0, len(segs))
	for _, s := range segs {
		if s.URL == "" {
			nodes = append(nodes, app.Text(s.Text))
			continue
		}
		nodes = append(nodes, app.A().
			Href(s.URL).
			Target("_blank").
			Rel("noopener noreferrer").
			Class("link").
			Text(s.Text))
	}
	return nodes
}
