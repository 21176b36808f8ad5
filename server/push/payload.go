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
func payloadFor(j job, conv shared.Conversation, t store.PushTarget) []byte {
	m := j.m
	pl := shared.PushPayload{Title: titleFor(conv, t.UserID), Tag: shared.PushTag(m.ConversationID),
		Path: shared.ConversationPath(m.ConversationID), Badge: t.Badge}
	if j.added != nil {
		pl.Body = m.Sender + " added you to this conversation"
		if j.created {
			pl.Body = m.Sender + " started a conversation with you"
		}
		b, _ := json.Marshal(pl)
		return b
	}
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

// titleFor is the conversation's name as the recipient reads it, like
// the app's: the given title, or the other members' names (the sender's
// alone in a one-to-one).
func titleFor(c shared.Conversation, userID int64) string {
	if c.Named {
		return c.Title
	}
	names := make([]string, 0, len(c.Members))
	for _, m := range c.Members {
		if m.UserID != userID {
			names = append(names, m.Nickname)
		}
	}
	if len(names) == 0 {
		return c.Title
	}
	return strings.Join(names, ", ")
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
