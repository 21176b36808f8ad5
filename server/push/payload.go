package push

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"natter/server/store"
	"natter/shared"
)

// previewMax is the longest preview in a push, in characters: a
// notification shows about two lines, and the payload must stay far below
// the 4 KiB a push service accepts.
const previewMax = 120

// payloadFor is what t's device is told about m: the conversation (the
// sender's name for a one-to-one), the sender and a short preview, or only
// "New message" when the person hides previews; the conversation's tag
// and deep link; the person's unread total for the app badge.
func payloadFor(m shared.Message, title string, t store.PushTarget) []byte {
	pl := shared.PushPayload{Title: title, Tag: shared.PushTag(m.ConversationID),
		Path: shared.ConversationPath(m.ConversationID), Badge: t.Badge}
	preview := m.Body
	if m.Sender != "" && pl.Title != m.Sender {
		preview = m.Sender + ": " + preview
	}
	pl.Body = cut(strings.Join(strings.Fields(preview), " "), previewMax)
	if t.HidePreviews {
		pl.Body = "New message"
	}
	b, _ := json.Marshal(pl)
	return b
}

// cut shortens s to n characters with an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// topic names a conversation for the push service's Topic header, so a
// device that is offline is kept only the newest push of each
// conversation. RFC 8030 allows at most 32 base64url characters, and the
// push service need not learn the conversation id: a hash is both.
func topic(convID string) string {
	h := sha256.Sum256([]byte("natter-topic:" + convID))
	return base64.RawURLEncoding.EncodeToString(h[:24]) // 32 characters
}
