package shared

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on user input. They are enforced by the server and checked early by
// the browser so the user sees the message next to the field before sending.
const (
	NicknameMin        = 2
	NicknameMax        = 32
	EmailMax           = 254
	PasswordMin        = 10
	PasswordMax        = 128 // argon2 hashes any length; the cap stops denial of service
	TitleMax           = 120
	DefaultBodyMax     = 4000 // characters; the server's limit is configurable
	MaxMembers         = 1000
	MaxFrameBytes      = 64 << 10
	HistoryPageDefault = 50
	HistoryPageMax     = 200
)

// FieldError is a validation failure attached to one form field, so the UI can
// announce it next to that field.
type FieldError struct {
	Field   string `json:"field,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// ValidateNickname checks length and characters: letters, digits, '.', '_'
// and '-', starting with a letter or digit, so names are easy to mention.
// Invisible and text-direction characters get their own code,
// CodeInvisibleChars, so the user learns what is wrong with a name that
// looks right.
func ValidateNickname(s string) *FieldError {
	if r, ok := firstInvisible(s, false); ok {
		return &FieldError{Field: "nickname", Code: CodeInvisibleChars,
			Message: fmt.Sprintf("Nickname may not contain invisible, control or text-direction characters (found %U).", r)}
	}
	n := utf8.RuneCountInString(s)
	if n < NicknameMin || n > NicknameMax {
		return &FieldError{Field: "nickname", Code: CodeNicknameLength,
			Message: fmt.Sprintf("Nickname must be %d to %d characters long.", NicknameMin, NicknameMax)}
	}
	for i, r := range s {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r) || (i > 0 && (r == '.' || r == '_' || r == '-'))
		if !ok {
			return &FieldError{Field: "nickname", Code: CodeNicknameChars,
				Message: "Nickname may use letters, digits, '.', '_' and '-', and must start with a letter or digit."}
		}
	}
	return nil
}

// NormalizeEmail trims spaces; emails compare case-insensitively in the store.
func NormalizeEmail(s string) string { return strings.TrimSpace(s) }

// ValidateEmail checks that s is a single plain address (no display name).
func ValidateEmail(s string) *FieldError {
	if s == "" || len(s) > EmailMax {
		return &FieldError{Field: "email", Code: CodeEmailInvalid, Message: "Enter a valid email address, like name@example.com."}
	}
	if !IsAddrSpec(s) || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return &FieldError{Field: "email", Code: CodeEmailInvalid, Message: "Enter a valid email address, like name@example.com."}
	}
	return nil
}

// ValidatePassword checks the length in characters; field names the form
// field ("password" or "new_password") so the message lands in the right place.
func ValidatePassword(field, s string) *FieldError {
	n := utf8.RuneCountInString(s)
	switch {
	case n < PasswordMin:
		return &FieldError{Field: field, Code: CodePasswordShort, Message: fmt.Sprintf("Password must be at least %d characters long.", PasswordMin)}
	case n > PasswordMax:
		return &FieldError{Field: field, Code: CodePasswordLong, Message: fmt.Sprintf("Password must be at most %d characters long.", PasswordMax)}
	}
	return nil
}

// NormalizeBody trims trailing white space only: leading indentation can be
// meaningful (code), trailing blank lines never are.
func NormalizeBody(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }

// ValidateBody checks a message body against the server's limit in characters.
func ValidateBody(s string, max int) *FieldError {
	if strings.TrimSpace(s) == "" {
		return &FieldError{Field: "body", Code: CodeEmptyBody, Message: "A message cannot be empty."}
	}
	if !utf8.ValidString(s) {
		return &FieldError{Field: "body", Code: CodeInvalid, Message: "A message must be valid UTF-8 text."}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return &FieldError{Field: "body", Code: CodeBodyTooLong, Message: fmt.Sprintf("A message can be at most %d characters long (this one has %d).", max, n)}
	}
	return nil
}

// ValidateTitle checks a conversation title; empty means "use the members'
// nicknames". Invisible, control and text-direction characters are refused
// with CodeInvisibleChars: a title is shown in every member's list.
func ValidateTitle(s string) *FieldError {
	if utf8.RuneCountInString(s) > TitleMax {
		return &FieldError{Field: "title", Code: CodeTitleTooLong, Message: fmt.Sprintf("A title can be at most %d characters long.", TitleMax)}
	}
	if !utf8.ValidString(s) {
		return &FieldError{Field: "title", Code: CodeInvalid, Message: "A title must be valid UTF-8 text."}
	}
	if r, ok := firstInvisible(s, true); ok {
		return &FieldError{Field: "title", Code: CodeInvisibleChars,
			Message: fmt.Sprintf("A title may not contain invisible, control or text-direction characters (found %U).", r)}
	}
	return nil
}

// CodeInvisibleChars refuses a nickname or title holding a character that
// renders as nothing or reorders the text around it. Names and titles are
// shown beside other people's, so such characters only serve to impersonate
// ("ann\u200b" looks like "ann") or to spoof (U+202E turns "gnp.exe" around).
// Message bodies may keep them: emoji sequences need U+200D.
const CodeInvisibleChars = "invisible_chars"

// hangulFillers are letters by category (Lo) that render blank; they are the
// usual way to make an "empty" name that passes a letters-only rule.
var hangulFillers = [...]rune{0x115F, 0x1160, 0x3164, 0xFFA0}

// firstInvisible returns the first rune of s that is a control character
// (Cc), a format character (Cf: the bidi controls U+202A-U+202E,
// U+2066-U+2069, U+200E, U+200F, U+061C, the zero-width U+200B-U+200D,
// U+2060-U+2064, U+FEFF, the soft hyphen U+00AD, tag characters...), a line
// or paragraph separator, or a Hangul filler. With emojiJoins, a zero-width
// joiner between two emoji is allowed: it is what makes "👩‍💻" one picture,
// and it hides nothing there.
func firstInvisible(s string, emojiJoins bool) (rune, bool) {
	var prev rune
	for i, r := range s {
		if emojiJoins && r == '\u200D' && isEmojiPart(prev) {
			next, size := utf8.DecodeRuneInString(s[i+len(string(r)):])
			if size > 0 && next != utf8.RuneError && unicode.Is(unicode.So, next) {
				prev = r
				continue
			}
		}
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return r, true
		}
		for _, f := range hangulFillers {
			if r == f {
				return r, true
			}
		}
		prev = r
	}
	return 0, false
}

// isEmojiPart reports whether r can end an emoji that a zero-width joiner
// continues: a pictographic symbol, a variation selector or a skin tone.
func isEmojiPart(r rune) bool {
	return unicode.Is(unicode.So, r) || r == '\uFE0F' || (r >= 0x1F3FB && r <= 0x1F3FF)
}
