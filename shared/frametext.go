package shared

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrInvalidUTF8 means a text frame is not valid UTF-8. RFC 6455 requires
// the receiver to fail the connection with status 1007 (invalid frame
// payload data); coder/websocket does not check text frames itself, and
// encoding/json would silently turn the bad bytes into U+FFFD, so the
// server must call CheckFrameText before decoding.
var ErrInvalidUTF8 = errors.New("shared: text frame is not valid UTF-8")

// ErrLoneSurrogate means a JSON string in the frame escapes half of a UTF-16
// surrogate pair (`\ud800` without a following low-surrogate escape, or a
// low surrogate on its own). The frame is valid UTF-8, so this is bad input
// rather than a broken frame: the server answers CodeInvalid and stores
// nothing, instead of letting encoding/json store U+FFFD in its place.
var ErrLoneSurrogate = errors.New("shared: JSON string escapes a lone UTF-16 surrogate")

// CheckFrameText checks a raw text frame before it is decoded. It returns an
// error wrapping ErrInvalidUTF8 when the bytes are not UTF-8, or one wrapping
// ErrLoneSurrogate when a `\uXXXX` escape names a surrogate that is not part
// of a valid pair; nil otherwise. It does not check that the frame is JSON:
// the decoder does that.
//
// Escapes are only legal inside JSON strings, and inside a string every
// backslash starts an escape, so a left-to-right scan that skips each escape
// whole stays aligned without tracking quotes: `\\ud800` is an escaped
// backslash followed by text, not an escape. Outside strings a backslash
// makes the frame invalid JSON, which the decoder refuses anyway.
func CheckFrameText(b []byte) error {
	if !utf8.Valid(b) {
		return ErrInvalidUTF8
	}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 {
			return nil
		}
		i += j
		if i+1 >= len(b) {
			return nil // a trailing backslash: not JSON, the decoder says so
		}
		if b[i+1] != 'u' {
			i += 2 // \" \\ \/ \b \f \n \r \t, or an invalid escape the decoder refuses
			continue
		}
		r, ok := hex4(b, i+2)
		if !ok {
			i += 2 // bad \u escape: not JSON
			continue
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return fmt.Errorf("%w (\\u%04x at byte %d)", ErrLoneSurrogate, r, i)
		case r >= 0xD800 && r <= 0xDBFF:
			// encoding/json pairs it only with an immediately following
			// `\uDC00`-`\uDFFF` escape; anything else becomes U+FFFD.
			if i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
				if lo, ok := hex4(b, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 12
					continue
				}
			}
			return fmt.Errorf("%w (\\u%04x at byte %d)", ErrLoneSurrogate, r, i)
		}
		i += 6
	}
}

// hex4 reads the four hex digits of a \u escape starting at b[at].
func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
