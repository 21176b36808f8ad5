package ui

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"natter/shared"
)

// The message formatting of Natter: a small, safe subset parsed by our own
// code into a tree of a few node kinds, which markupNodes turns into go-app
// elements. User text is never HTML: every character reaches the DOM as a
// text node, and the only elements are the ones listed in markupElements.
// The raw text is what is stored and sent, and what "Copy text" copies.
//
//	*emphasis*   **strong**   `code`   ```fenced code```   > quote
//	http(s)://…, www.… and mailto:… links   @nickname mentions   line breaks

// MarkKind is the kind of a markup node.
type MarkKind uint8

// Markup node kinds.
const (
	MarkText    MarkKind = iota // Text, as is
	MarkBreak                   // a line break
	MarkEm                      // Children, emphasised
	MarkStrong                  // Children, strong
	MarkCode                    // Text, inline code
	MarkPre                     // Text, a fenced code block
	MarkQuote                   // Children, a quoted block
	MarkLink                    // Text shown, URL the target
	MarkMention                 // Text is "@nickname"
)

// Mark is one node of a parsed message.
type Mark struct {
	Kind     MarkKind
	Text     string
	URL      string
	Children []Mark
}

// markupElements are the only elements a message body can become.
var markupElements = []string{"em", "strong", "code", "pre", "blockquote", "a", "br", "span"}

// ParseMarkup parses a message body. It never fails: what is not markup is
// text.
func ParseMarkup(body string) []Mark {
	var out []Mark
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	brk := func() {
		if len(out) > 0 && !isBlock(out[len(out)-1].Kind) {
			out = append(out, Mark{Kind: MarkBreak})
		}
	}
	for i := 0; i < len(lines); {
		line := lines[i]
		switch {
		case strings.HasPrefix(strings.TrimSpace(line), "```"):
			// A fence runs to the closing fence, or to the end.
			var code []string
			j := i + 1
			for j < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[j]), "```") {
				code = append(code, lines[j])
				j++
			}
			if first := strings.TrimSpace(line)[3:]; strings.HasSuffix(first, "```") && len(first) >= 3 {
				// ```one line```
				code, j = []string{first[:len(first)-3]}, i
			} else if first != "" {
				// Text after the fence (a language name, or words) is
				// shown, not dropped: nothing typed disappears.
				code = append([]string{first}, code...)
			}
			trimBreak(&out)
			out = append(out, Mark{Kind: MarkPre, Text: strings.Join(code, "\n")})
			i = j + 1
		case strings.HasPrefix(line, ">"):
			var quoted []string
			for i < len(lines) && strings.HasPrefix(lines[i], ">") {
				q := strings.TrimPrefix(lines[i], ">")
				quoted = append(quoted, strings.TrimPrefix(q, " "))
				i++
			}
			trimBreak(&out)
			out = append(out, Mark{Kind: MarkQuote, Children: inlineLines(quoted)})
		default:
			if i > 0 && !strings.HasPrefix(lines[i-1], ">") && !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "```") {
				brk()
			}
			out = append(out, parseInline(line)...)
			i++
		}
	}
	return out
}

func isBlock(k MarkKind) bool { return k == MarkPre || k == MarkQuote }

// trimBreak drops a trailing break before a block: the block starts a line.
func trimBreak(out *[]Mark) {
	if n := len(*out); n > 0 && (*out)[n-1].Kind == MarkBreak {
		*out = (*out)[:n-1]
	}
}

// inlineLines parses lines of inline text joined by breaks.
func inlineLines(lines []string) []Mark {
	var out []Mark
	for i, l := range lines {
		if i > 0 {
			out = append(out, Mark{Kind: MarkBreak})
		}
		out = append(out, parseInline(l)...)
	}
	return out
}

// parseInline parses one line: code spans first (nothing inside them is
// markup), then strong, emphasis, links and mentions.
func parseInline(s string) []Mark {
	var out []Mark
	text := func(t string) {
		if t == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Kind == MarkText {
			out[n-1].Text += t
			return
		}
		out = append(out, Mark{Kind: MarkText, Text: t})
	}
	for s != "" {
		i := strings.IndexAny(s, "`*@hHwWmM")
		if i < 0 {
			text(s)
			break
		}
		text(s[:i])
		s = s[i:]
		if m, n := inlineAt(s, out); n > 0 {
			out = append(out, m)
			s = s[n:]
			continue
		}
		_, n := utf8.DecodeRuneInString(s)
		text(s[:n])
		s = s[n:]
	}
	return out
}

// inlineAt recognises a construct at the start of s and returns it with
// the bytes it spans, or n == 0. prev is what came before on the line,
// which decides whether a word starts here.
func inlineAt(s string, prev []Mark) (Mark, int) {
	wordStart := true
	if n := len(prev); n > 0 {
		if last := prev[n-1]; last.Kind == MarkText {
			r, _ := utf8.DecodeLastRuneInString(last.Text)
			wordStart = !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
		} else {
			wordStart = false
		}
	}
	switch s[0] {
	case '`':
		if j := strings.IndexByte(s[1:], '`'); j > 0 {
			return Mark{Kind: MarkCode, Text: s[1 : 1+j]}, j + 2
		}
	case '*':
		if strings.HasPrefix(s, "**") {
			if j := closing(s[2:], "**"); j > 0 {
				return Mark{Kind: MarkStrong, Children: parseInline(s[2 : 2+j])}, j + 4
			}
			return Mark{}, 0
		}
		if j := closing(s[1:], "*"); j > 0 {
			return Mark{Kind: MarkEm, Children: parseInline(s[1 : 1+j])}, j + 2
		}
	case '@':
		if !wordStart {
			return Mark{}, 0
		}
		j := 1
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if !shared.NickRune(r) {
				break
			}
			j += n
		}
		name := strings.TrimRight(s[1:j], "._-")
		if utf8.RuneCountInString(name) >= shared.NicknameMin {
			return Mark{Kind: MarkMention, Text: "@" + name}, 1 + len(name)
		}
	default:
		if wordStart {
			if u, n := linkAt(s); n > 0 {
				return Mark{Kind: MarkLink, Text: s[:n], URL: u}, n
			}
		}
	}
	return Mark{}, 0
}

// closing finds the closing delimiter of an emphasis: the content must not
// start or end with a space, and a single * does not close on a **.
func closing(s, delim string) int {
	if s == "" || s[0] == ' ' || strings.HasPrefix(s, delim) {
		return -1
	}
	for from := 0; from < len(s); {
		j := strings.Index(s[from:], delim)
		if j < 0 {
			return -1
		}
		j += from
		if delim == "*" && strings.HasPrefix(s[j:], "**") {
			from = j + 2
			continue
		}
		if s[j-1] != ' ' {
			return j
		}
		from = j + len(delim)
	}
	return -1
}

// linkAt recognises a link at the start of s: http(s)://, www. (shown as
// typed, opened over https) or mailto:, and returns its target and length.
func linkAt(s string) (string, int) {
	lower := strings.ToLower(s[:min(len(s), 8)])
	end := 0
	for end < len(s) && !isLinkBreak(s[end]) {
		end++
	}
	raw := trimLinkTail(s[:end])
	switch {
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		if u, err := url.Parse(raw); err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
			return raw, len(raw)
		}
	case strings.HasPrefix(lower, "www."):
		if u, err := url.Parse("https://" + raw); err == nil && strings.Contains(u.Host, ".") && len(u.Host) > 5 {
			return "https://" + raw, len(raw)
		}
	case strings.HasPrefix(lower, "mailto:") && len(raw) > len("mailto:"):
		addr := raw[len("mailto:"):]
		if shared.IsAddrSpec(addr) && !strings.ContainsAny(addr, "?&") {
			return "mailto:" + addr, len(raw)
		}
	}
	return "", 0
}

// PlainText is the text a parsed body shows, without markup: what the
// reader sees, for tests, the conversation list's preview and the
// accessible name of a quote. A quote or a code block is a line of its
// own, as drawn, so its text does not run into the next line's.
func PlainText(ms []Mark) string {
	var b strings.Builder
	var walk func([]Mark)
	walk = func(ms []Mark) {
		for _, m := range ms {
			if isBlock(m.Kind) && b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
				b.WriteByte('\n')
			}
			switch m.Kind {
			case MarkBreak:
				b.WriteByte('\n')
			case MarkEm, MarkStrong, MarkQuote:
				walk(m.Children)
			default:
				b.WriteString(m.Text)
			}
			if isBlock(m.Kind) {
				b.WriteByte('\n')
			}
		}
	}
	walk(ms)
	return strings.TrimSuffix(b.String(), "\n")
}
