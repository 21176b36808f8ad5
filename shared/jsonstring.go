package shared

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Strings for jsonReader (jsonread.go), unescaped as encoding/json does.

// str reads a string.
func (r *jsonReader) str() (string, error) {
	if r.peek() != '"' {
		return "", r.errorf("want a string")
	}
	r.i++
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			s := string(r.b[start:r.i])
			r.i++
			return s, nil
		case c == '\\' || c >= utf8.RuneSelf:
			return r.strSlow(start)
		case c < 0x20:
			return "", r.errorf("control character in a string")
		}
		r.i++
	}
	return "", r.errorf("unterminated string")
}

// strSlow finishes a string with escapes or non-ASCII bytes from start.
func (r *jsonReader) strSlow(start int) (string, error) {
	var sb strings.Builder
	sb.Write(r.b[start:r.i])
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return sb.String(), nil
		case c < 0x20:
			return "", r.errorf("control character in a string")
		case c >= utf8.RuneSelf:
			ru, n := utf8.DecodeRune(r.b[r.i:])
			sb.WriteRune(ru) // an invalid byte is RuneError, U+FFFD
			r.i += n
		case c != '\\':
			sb.WriteByte(c)
			r.i++
		default:
			r.i++
			if r.i >= len(r.b) {
				return "", r.errorf("unterminated string")
			}
			e := r.b[r.i]
			r.i++
			switch e {
			case '"', '\\', '/':
				sb.WriteByte(e)
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			case 'u':
				ru, err := r.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(ru) {
					lo := rune(-1)
					if r.i+1 < len(r.b) && r.b[r.i] == '\\' && r.b[r.i+1] == 'u' {
						save := r.i
						r.i += 2
						if l, err := r.hex4(); err == nil {
							lo = l
						}
						if dec := utf16.DecodeRune(ru, lo); dec != utf8.RuneError {
							sb.WriteRune(dec)
							continue
						}
						r.i = save // not a pair: the second escape stands alone
					}
					ru = utf8.RuneError
				}
				sb.WriteRune(ru)
			default:
				return "", r.errorf("invalid escape \\%c", e)
			}
		}
	}
	return "", r.errorf("unterminated string")
}

// hex4 reads the four hex digits of a \u escape.
func (r *jsonReader) hex4() (rune, error) {
	if r.i+4 > len(r.b) {
		return 0, r.errorf("short \\u escape")
	}
	var v rune
	for _, c := range r.b[r.i : r.i+4] {
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, r.errorf("invalid \\u escape")
		}
	}
	r.i += 4
	return v, nil
}
