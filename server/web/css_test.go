package web_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestAppCSSBlocksClose guards web/app.css against a block left open (a
// merge that cut a rule in half did this once): the browser then reads
// every later rule as nested in the open one and silently drops them, so
// whole features render unstyled while every test of markup still passes.
func TestAppCSSBlocksClose(t *testing.T) {
	b, err := os.ReadFile("../../web/app.css")
	if err != nil {
		t.Fatalf("read web/app.css: %v", err)
	}
	// Comments and strings go, their line breaks stay, so line numbers hold.
	css := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllStringFunc(string(b), func(c string) string {
		return strings.Repeat("\n", strings.Count(c, "\n"))
	})
	css = regexp.MustCompile(`"[^"\n]*"|'[^'\n]*'`).ReplaceAllString(css, `""`)
	depth := 0
	for i, line := range strings.Split(css, "\n") {
		depth += strings.Count(line, "{") - strings.Count(line, "}")
		if depth < 0 {
			t.Fatalf("web/app.css: a } without its { near line %d", i+1)
		}
		// Top-level rules start at column 0; nested ones are indented.
		if depth > 1 && len(line) > 0 && line[0] != ' ' && line[0] != '}' && line[0] != '\t' {
			t.Fatalf("web/app.css: %q starts at column 0 inside an open block (line %d): a rule above is not closed", line, i+1)
		}
	}
	if depth != 0 {
		t.Fatalf("web/app.css: %d blocks left open at the end", depth)
	}
}
