package shared

import "strings"

// IsConversationPath reports whether path is a conversation page, exactly
// as RouteConversationPattern matches it: "/c/", 36 characters of hex
// digits and dashes, then optionally "/m/" and 1 to 18 digits. The app
// routes with it instead of the pattern because a regular expression
// would link package regexp into the wasm (about 0.5 MB raw); the server
// keeps the pattern, and a test holds the two to the same answers.
func IsConversationPath(path string) bool {
	const idLen = 36
	rest, ok := strings.CutPrefix(path, RouteConversation)
	if !ok || len(rest) < idLen {
		return false
	}
	for i := range idLen {
		if c := rest[i]; !isHex(c) && c != '-' {
			return false
		}
	}
	rest = rest[idLen:]
	if rest == "" {
		return true
	}
	digits, ok := strings.CutPrefix(rest, messageInfix)
	if !ok || len(digits) == 0 || len(digits) > 18 {
		return false
	}
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
