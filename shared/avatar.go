package shared

import (
	"hash/fnv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AvatarColors is how many avatar palettes web/app.css defines
// (data-c="0".."7").
const AvatarColors = 8

// AvatarColor picks a stable palette for a key (a person's or a
// conversation's), so someone keeps their colour on every screen, and the
// page the server draws matches the one the app then draws over it.
func AvatarColor(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % AvatarColors)
}

// Initials returns the one or two letters an avatar shows: the first letter
// of each of the name's first two parts (split at '.', '_', '-' and
// spaces), upper-cased, or "?" for a name without any.
func Initials(name string) string {
	var out []rune
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == '_' || r == '-' || unicode.IsSpace(r) }) {
		r, _ := utf8.DecodeRuneInString(part)
		out = append(out, unicode.ToUpper(r))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}
