package shared

import (
	"fmt"
	"net/mail"
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
func ValidateNickname(s string) *FieldError {
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
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
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
// nicknames".
func ValidateTitle(s string) *FieldError {
	if utf8.RuneCountInString(s) > TitleMax {
		return &FieldError{Field: "title", Code: CodeTitleTooLong, Message: fmt.Sprintf("A title can be at most %d characters long.", TitleMax)}
	}
	if !utf8.ValidString(s) {
		return &FieldError{Field: "title", Code: CodeInvalid, Message: "A title must be valid UTF-8 text."}
	}
	return nil
}
