package shared_test

import (
	"regexp"
	"strings"
	"testing"

	"natter/shared"
)

// conversationPaths are paths around the conversation route's edges.
var conversationPaths = []string{
	"", "/", "/c/", "/c", "c/", "/signin", "/c/nope",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
	"/c/0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5bb",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5g",
	"/c/------------------------------------",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/m/",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/m/1",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/m/007",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/m/123456789012345678",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/m/1234567890123456789",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/m/12x",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/m/-3",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/x/1",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/m/1/x",
	"x/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\n",
	"/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5é",
}

// TestIsConversationPathMatchesThePattern holds the app's route matcher to
// the server's regular expression.
func TestIsConversationPathMatchesThePattern(t *testing.T) {
	re := regexp.MustCompile(shared.RouteConversationPattern)
	for _, p := range conversationPaths {
		t.Run(p, func(t *testing.T) {
			if got, want := shared.IsConversationPath(p), re.MatchString(p); got != want {
				t.Fatalf("IsConversationPath(%q) = %v, the pattern says %v", p, got, want)
			}
		})
	}
}

// FuzzIsConversationPath compares the matcher with the pattern on any path.
func FuzzIsConversationPath(f *testing.F) {
	for _, p := range conversationPaths {
		f.Add(p)
	}
	f.Add(shared.MessagePath(strings.Repeat("a", 36), 4711))
	re := regexp.MustCompile(shared.RouteConversationPattern)
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := shared.IsConversationPath(p), re.MatchString(p); got != want {
			t.Fatalf("IsConversationPath(%q) = %v, the pattern says %v", p, got, want)
		}
	})
}
