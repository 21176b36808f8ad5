package shared

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Search limits. A query is what a person types into a box, so these are
// far above real use and far below what costs the server anything.
const (
	// SearchQueryMax caps a query's length in characters.
	SearchQueryMax = 200
	// SearchWordsMax caps the words one query may combine (AND).
	SearchWordsMax = 8
	// SearchPageDefault and SearchPageMax size a page of results.
	SearchPageDefault = 20
	SearchPageMax     = 50
	// SearchPrefixMin is the shortest last word searched as a prefix (as one
	// types): a one-letter prefix matches most of any language and would
	// cost a scan of the whole index for nothing useful.
	SearchPrefixMin = 2
)

// Search error codes, each with a human message.
const (
	// CodeSearchInvalid refuses a query that cannot be understood: empty,
	// too long, a bad date, an unknown filter value.
	CodeSearchInvalid = "search_invalid"
	// CodeSearchTimeout says the query ran past its time budget; more words
	// or a filter make it cheaper.
	CodeSearchTimeout = "search_timeout"
)

// SearchRequest asks for a page of messages matching Query among the
// conversations the user is a member of. ConversationID, when set, limits it
// to that conversation (the box in a conversation's header). Cursor is ""
// for the first page and SearchResults.Next for the following ones.
type SearchRequest struct {
	Query          string `json:"query"`
	ConversationID string `json:"conversation_id,omitempty"`
	Cursor         string `json:"cursor,omitempty"`
	Limit          int    `json:"limit,omitempty"`
}

// SearchResults answers SearchRequest: hits ordered by relevance, newest
// first on ties. Next is the cursor of the following page, "" on the last.
type SearchResults struct {
	Hits []SearchHit `json:"hits"`
	Next string      `json:"next,omitempty"`
	// Local is set on results the browser computed from its own cache
	// (offline search); the UI says they come from this device only.
	Local bool `json:"local,omitempty"`
	// Recent is set when the words are so common that the server ranked
	// only their most recent matches (the newest thousand, at least twenty
	// per conversation) and left older ones out: ranking every one would
	// take too long for a list nobody reads to the end. The UI says so, and
	// that another word or a filter reaches older messages.
	Recent bool `json:"recent,omitempty"`
}

// SearchHit is one matching message with a snippet of its body.
type SearchHit struct {
	ConversationID string    `json:"conversation_id"`
	Seq            int64     `json:"seq"`
	SenderID       int64     `json:"sender_id,omitempty"`
	Sender         string    `json:"sender,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	Rank           float32   `json:"rank"`
	// Snippet is the part of the body around the matches, cut into pieces
	// so the UI renders highlighted words as elements: no HTML ever travels.
	Snippet []SnippetPart `json:"snippet"`
}

// SnippetPart is a piece of a snippet; Hit marks a matching word.
type SnippetPart struct {
	Text string `json:"text"`
	Hit  bool   `json:"hit,omitempty"`
}

// SearchQuery is a parsed query: the words to match (all of them) and the
// filters.
type SearchQuery struct {
	// Words are normalised as SearchWords does; the last one is a prefix
	// when Prefix is set.
	Words  []string
	Prefix bool
	// From is a sender's nickname (from:nickname).
	From string
	// In is a conversation id or title (in:conversation).
	In string
	// Before and After bound the message time: before:2026-11-01 keeps
	// messages sent before that day began, after:2026-11-01 those sent after
	// it ended, both in UTC. Zero means unbounded.
	Before, After time.Time
	// HasLink keeps messages holding a link (has:link).
	HasLink bool
}

// Empty reports whether the query asks for nothing at all.
func (q SearchQuery) Empty() bool {
	return len(q.Words) == 0 && q.From == "" && q.In == "" && !q.HasLink && q.Before.IsZero() && q.After.IsZero()
}

// wordRune tells the characters words are made of. PostgreSQL's
// [[:alnum:]] under the C.UTF-8 locale, which the messages' search column
// keeps (migrations/20261127170000_search), is letters and digits; marks
// are kept too so a combining accent does not split a word.
func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// SearchWords splits text into the normalised words that search matches:
// maximal runs of letters and digits, lowercased. The server's index and
// the browser's offline index both index exactly these, so one message
// matches the same words online and offline.
func SearchWords(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !wordRune(r) }) {
		out = append(out, strings.ToLower(f))
	}
	return out
}

// ParseSearch parses what a person typed. Filters are name:value pairs
// (a value with spaces goes in double quotes); every other piece is words.
// The last word is a prefix unless the query ends with a space, so results
// follow the typing.
func ParseSearch(text string) (SearchQuery, *FieldError) {
	var q SearchQuery
	bad := func(msg string) (SearchQuery, *FieldError) {
		return SearchQuery{}, &FieldError{Field: "query", Code: CodeSearchInvalid, Message: msg}
	}
	if !utf8.ValidString(text) {
		return bad("A search must be valid UTF-8 text.")
	}
	if n := utf8.RuneCountInString(text); n > SearchQueryMax {
		return bad(fmt.Sprintf("A search can be at most %d characters long (this one has %d).", SearchQueryMax, n))
	}
	lastIsWord := false
	for _, tok := range searchTokens(text) {
		name, value, isFilter := strings.Cut(tok, ":")
		name = strings.ToLower(name)
		switch {
		case isFilter && name == "from" && value != "":
			q.From = strings.TrimPrefix(value, "@")
		case isFilter && name == "in" && value != "":
			q.In = value
		case isFilter && (name == "before" || name == "after") && value != "":
			d, err := time.Parse(time.DateOnly, value)
			if err != nil {
				return bad(fmt.Sprintf("%s: needs a date like 2026-11-27, not %q.", name, value))
			}
			if name == "before" {
				q.Before = d
			} else {
				q.After = d.AddDate(0, 0, 1)
			}
		case isFilter && name == "has":
			if strings.ToLower(value) != "link" {
				return bad(fmt.Sprintf("has: knows only has:link, not %q.", value))
			}
			q.HasLink = true
		default:
			ws := SearchWords(tok)
			q.Words = append(q.Words, ws...)
			lastIsWord = len(ws) > 0
			continue
		}
		lastIsWord = false
	}
	if len(q.Words) > SearchWordsMax {
		return bad(fmt.Sprintf("A search can combine at most %d words.", SearchWordsMax))
	}
	endsOpen := text != "" && !unicode.IsSpace(rune(text[len(text)-1]))
	if lastIsWord && endsOpen && utf8.RuneCountInString(q.Words[len(q.Words)-1]) >= SearchPrefixMin {
		q.Prefix = true
	}
	if q.Empty() {
		return bad("Type a word to search for, or a filter such as from:nickname.")
	}
	return q, nil
}

// searchTokens splits on spaces outside double quotes and drops the quotes.
func searchTokens(text string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range text {
		switch {
		case r == '"':
			quoted = !quoted
		case unicode.IsSpace(r) && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// Matches reports whether a message body holds every word of q (the last
// as a prefix when q.Prefix), by the same rule as the server's index.
func (q SearchQuery) Matches(words map[string]bool) bool {
	for i, w := range q.Words {
		if i == len(q.Words)-1 && q.Prefix {
			found := false
			for have := range words {
				if strings.HasPrefix(have, w) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
			continue
		}
		if !words[w] {
			return false
		}
	}
	return true
}

// LinkPattern is what has:link looks for, as a PostgreSQL regular
// expression (case-insensitive); HasLink is the same test in Go.
const LinkPattern = `(https?://|www\.)[^[:space:]]`

// HasLink reports whether body holds a link, as has:link understands it.
func HasLink(body string) bool {
	b := strings.ToLower(body)
	for _, p := range []string{"http://", "https://", "www."} {
		if i := strings.Index(b, p); i >= 0 && i+len(p) < len(b) && !unicode.IsSpace(rune(b[i+len(p)])) {
			return true
		}
	}
	return false
}

// Highlight cuts body into snippet parts, marking the words q matches (the
// last as a prefix when q.Prefix), and keeps about maxRunes characters
// around the first match. The offline search uses it; the server uses
// PostgreSQL's ts_headline.
func Highlight(body string, q SearchQuery, maxRunes int) []SnippetPart {
	want := map[string]bool{}
	for _, w := range q.Words {
		want[w] = true
	}
	hit := func(w string) bool {
		lw := strings.ToLower(w)
		if want[lw] {
			return true
		}
		return q.Prefix && len(q.Words) > 0 && strings.HasPrefix(lw, q.Words[len(q.Words)-1])
	}
	rs := []rune(body)
	var parts []SnippetPart
	first := -1
	add := func(s string, h bool) {
		if n := len(parts); n > 0 && parts[n-1].Hit == h {
			parts[n-1].Text += s
			return
		}
		parts = append(parts, SnippetPart{Text: s, Hit: h})
	}
	start, pos := 0, 0
	for i := 0; i <= len(rs); i++ {
		if i < len(rs) && wordRune(rs[i]) {
			continue
		}
		if i > start {
			w := string(rs[start:i])
			h := hit(w)
			if h && first < 0 {
				first = start
			}
			add(string(rs[pos:start]), false)
			add(w, h)
			pos = i
		}
		start = i + 1
	}
	add(string(rs[pos:]), false)
	return trimSnippet(parts, first, maxRunes)
}

// trimSnippet keeps about maxRunes characters of parts, starting a little
// before the rune offset first (the first match), with ellipses where it cut.
func trimSnippet(parts []SnippetPart, first, maxRunes int) []SnippetPart {
	total := 0
	for _, p := range parts {
		total += utf8.RuneCountInString(p.Text)
	}
	if maxRunes <= 0 || total <= maxRunes {
		return dropEmpty(parts)
	}
	from := max(0, first-maxRunes/4)
	to := from + maxRunes
	var out []SnippetPart
	off := 0
	for _, p := range parts {
		rs := []rune(p.Text)
		lo, hi := max(from-off, 0), min(to-off, len(rs))
		if lo < hi {
			out = append(out, SnippetPart{Text: string(rs[lo:hi]), Hit: p.Hit})
		}
		off += len(rs)
	}
	if from > 0 {
		out = append([]SnippetPart{{Text: "…"}}, out...)
	}
	if to < total {
		out = append(out, SnippetPart{Text: "…"})
	}
	return dropEmpty(out)
}

func dropEmpty(parts []SnippetPart) []SnippetPart {
	out := parts[:0]
	for _, p := range parts {
		if p.Text != "" {
			out = append(out, p)
		}
	}
	return out
}
