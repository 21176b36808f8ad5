package web_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStyleSheetBlocksClose reads the app's own style sheets and checks
// that every block closes and that no rule opens inside a style rule. The
// sheets use no CSS nesting, so a rule inside a rule is a merge that lost a
// closing brace: browsers then read everything after it as nested under
// that selector (or at-rule) and none of it applies, silently. Merging the
// search branch did that once, after ".reaction.mine {", and took the
// search panel's scrolling, the permalinks' colour and the mute menu's
// layout with it.
func TestStyleSheetBlocksClose(t *testing.T) {
	for _, name := range []string{"app.css", filepath.Join("fonts", "emoji.css")} {
		css, err := os.ReadFile(filepath.Join("..", "..", "web", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range cssBlockProblems(string(css)) {
			t.Errorf("web/%s: %s", name, p)
		}
	}
}

// cssBlockProblems scans a style sheet's braces, outside comments and
// strings, and describes each block that opens inside a style rule, each
// stray closing brace and each block left open.
func cssBlockProblems(css string) []string {
	type block struct {
		prelude string
		line    int
		atRule  bool
	}
	var (
		stack   []block
		out     []string
		prelude strings.Builder
	)
	line := 1
	for i := 0; i < len(css); i++ {
		c := css[i]
		switch {
		case c == '\n':
			line++
			prelude.WriteByte(' ')
		case c == '/' && i+1 < len(css) && css[i+1] == '*':
			end := strings.Index(css[i+2:], "*/")
			if end < 0 {
				return append(out, "a comment is never closed")
			}
			line += strings.Count(css[i:i+2+end+2], "\n")
			i += 2 + end + 1
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(css) && css[j] != c && css[j] != '\n' {
				if css[j] == '\\' {
					j++
				}
				j++
			}
			prelude.WriteString(css[i:min(j+1, len(css))])
			i = j
		case c == ';':
			prelude.Reset()
		case c == '{':
			p := strings.Join(strings.Fields(prelude.String()), " ")
			prelude.Reset()
			b := block{prelude: p, line: line, atRule: strings.HasPrefix(p, "@")}
			if n := len(stack); n > 0 && !stack[n-1].atRule {
				out = append(out, fmt.Sprintf("line %d: %q opens inside the rule %q of line %d (a lost closing brace?)", line, p, stack[n-1].prelude, stack[n-1].line))
			}
			stack = append(stack, b)
		case c == '}':
			prelude.Reset()
			if len(stack) == 0 {
				out = append(out, fmt.Sprintf("line %d: a closing brace closes nothing", line))
				continue
			}
			stack = stack[:len(stack)-1]
		default:
			prelude.WriteByte(c)
		}
	}
	for _, b := range stack {
		out = append(out, fmt.Sprintf("line %d: %q is never closed", b.line, b.prelude))
	}
	return out
}
