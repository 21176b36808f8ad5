package shared

import (
	"net/netip"
	"strings"
	"unicode/utf8"
)

// IsAddrSpec reports whether s is exactly one RFC 5322 addr-spec as Go's
// net/mail accepts it with ParseAddress and gives back unchanged: a
// dot-atom local part, "@", and a dot-atom domain or a bracketed IP
// literal. (A quoted local part, comments, spaces or a display name never
// come back unchanged, so ValidateEmail refused them already.)
//
// It exists because net/mail drags net, mime and net/textproto into the
// browser's wasm, which checks emails with the same rule as the server;
// addrspec_test.go compares the two on every input it tries. The message
// formatter uses it for mailto: links for the same reason.
func IsAddrSpec(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || !isDotAtom(local) {
		return false
	}
	if inner, ok := strings.CutPrefix(domain, "["); ok {
		inner, ok = strings.CutSuffix(inner, "]")
		return ok && isIPLiteral(inner)
	}
	return isDotAtom(domain)
}

// isDotAtom reports whether s is atext runes joined by single dots.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !isAtext(r) {
			return false
		}
		i += size
	}
	return true
}

// isAtext is RFC 5322's atext plus the dot, and any non-ASCII rune (as
// net/mail allows, for internationalized addresses).
func isAtext(r rune) bool {
	switch r {
	case '(', ')', '<', '>', '[', ']', ':', ';', '@', '\\', ',', '"':
		return false
	}
	return '!' <= r && r <= '~' || r >= utf8.RuneSelf
}

// isIPLiteral reports whether the inside of a domain literal is an IP
// address written as net.ParseIP reads it (no IPv6 zone).
func isIPLiteral(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == ""
}
