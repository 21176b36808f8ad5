package main

import (
	"strings"
	"testing"
)

func TestSearchLanguage(t *testing.T) {
	e := newAdminEnv(t)
	if out := e.mustRun("search-language"); !strings.Contains(out, `"simple"`) {
		t.Fatalf("default: %s", out)
	}
	if out := e.mustRun("search-language", "english"); !strings.Contains(out, `"english"`) {
		t.Fatalf("after setting english: %s", out)
	}
	if _, err := e.run("", "search-language", "no_such_language"); err == nil {
		t.Fatal("an unknown configuration was accepted")
	}
	if out := e.mustRun("search-language"); !strings.Contains(out, `"english"`) {
		t.Fatalf("a refused change changed it: %s", out)
	}
}
