package shared

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Editing, deleting and reacting to a message, and replying to one.
//
// Each change to a message that exists is its own durable action (with its
// own action id, through the outbox) that names its target by the
// conversation and the target's seq. A target still in the sender's outbox
// has no seq yet: the action then names it by TargetAction, the action id
// of the send that will create it; the server resolves that among the
// actor's own messages (only your own messages can be pending on your
// device).
//
// Every applied change advances the conversation's event sequence
// (separate from the message seq, which only sends advance) and stamps the
// changed messages with it, so a client that resumes after any gap asks for
// what changed after its event cursor and gets each changed message once,
// in its current state: MessagesChanged.

// MessageRef names the message an action targets.
type MessageRef struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq,omitempty"`
	// TargetAction is the action id of the actor's own send, for a target
	// that was still queued when this action was made.
	TargetAction string `json:"target_action,omitempty"`
}

// MessageEdit replaces the body of the actor's own message.
type MessageEdit struct {
	MessageRef
	Body string `json:"body"`
}

// MessageDelete erases a message: its author, or the conversation's owner,
// may delete it. The body, its edit history and its reactions are erased
// from the database; the row stays, so seqs stay gap-free.
type MessageDelete struct {
	MessageRef
}

// ReactionSet adds (On) or removes one of the actor's reactions. It sets a
// state rather than toggling one, so a resend changes nothing and two
// devices converge on whatever the server applied last.
type ReactionSet struct {
	MessageRef
	Emoji string `json:"emoji"`
	On    bool   `json:"on"`
}

// EditsQuery asks for the earlier versions of a message (a read request).
type EditsQuery struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
}

// Edits answers EditsQuery: the bodies a message had before each edit,
// oldest first, each with the time it was replaced.
type Edits struct {
	ConversationID string    `json:"conversation_id"`
	Seq            int64     `json:"seq"`
	Versions       []Version `json:"versions"`
}

// Version is one earlier body of an edited message.
type Version struct {
	Body       string    `json:"body"`
	ReplacedAt time.Time `json:"replaced_at"`
}

// Reaction is one emoji on a message with the people who chose it, in the
// order they did.
type Reaction struct {
	Emoji   string  `json:"emoji"`
	UserIDs []int64 `json:"user_ids"`
}

// ReplyQuote is what a reply shows of the message it answers: who wrote it
// and its first line, as it is now (Deleted once it is gone).
type ReplyQuote struct {
	Seq      int64  `json:"seq"`
	SenderID int64  `json:"sender_id,omitempty"`
	Sender   string `json:"sender,omitempty"`
	Line     string `json:"line,omitempty"`
	Deleted  bool   `json:"deleted,omitempty"`
}

// MessagesChanged carries messages of one conversation in their state as of
// event EventSeq. Live, it is one event (From = EventSeq-1); in a resume it
// covers every event in (From, EventSeq], with each changed message once.
// A client whose event cursor is at least From has everything up to
// EventSeq afterwards; one behind From applies the messages (they are
// newer state either way) and keeps its cursor until the gap is filled.
type MessagesChanged struct {
	ConversationID string    `json:"conversation_id"`
	From           int64     `json:"from"`
	EventSeq       int64     `json:"event_seq"`
	Messages       []Message `json:"messages"`
}

// QuoteLineMax caps the first line a reply quotes, in characters.
const QuoteLineMax = 120

// FirstLine is the line a reply quotes: the first non-empty line of body,
// cut to QuoteLineMax characters.
func FirstLine(body string) string {
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), ">"))
		if l == "" || strings.HasPrefix(l, "```") {
			continue
		}
		if utf8.RuneCountInString(l) > QuoteLineMax {
			r := []rune(l)
			l = string(r[:QuoteLineMax]) + "…"
		}
		return l
	}
	return ""
}

// QuickReactions are the six offered in one click.
var QuickReactions = []string{"👍", "❤️", "😂", "😮", "😢", "🎉"}

// Emojis is the built-in picker's set (no remote assets). A reaction must be
// one of them, so no one can react with arbitrary text.
var Emojis = []string{
	"👍", "👎", "❤️", "😂", "😮", "😢", "🎉", "🙏", "👏", "🔥",
	"😀", "😃", "😄", "😁", "😅", "🤣", "😊", "😇", "🙂", "😉",
	"😍", "🥰", "😘", "😎", "🤔", "🤨", "😐", "🙄", "😬", "😴",
	"😷", "🤯", "🥳", "😱", "😡", "🤝", "👀", "💯", "✅", "❌",
	"⭐", "🚀", "💡", "🎂", "☕", "🍕", "🌟", "💪", "👋", "🙈",
}

// ValidEmoji reports whether e may be used as a reaction.
func ValidEmoji(e string) bool { return slices.Contains(Emojis, e) }

// Mentions returns the nicknames mentioned in body as "@nickname", lower
// case, each once. A mention starts at the beginning or after a character
// that is not part of a name, so an e-mail address is not one.
func Mentions(body string) []string {
	var out []string
	for i := 0; i < len(body); i++ {
		if body[i] != '@' {
			continue
		}
		if i > 0 {
			r, _ := utf8.DecodeLastRuneInString(body[:i])
			if NickRune(r) {
				continue
			}
		}
		j := i + 1
		for j < len(body) {
			r, n := utf8.DecodeRuneInString(body[j:])
			if !NickRune(r) {
				break
			}
			j += n
		}
		name := strings.TrimRight(body[i+1:j], "._-")
		if utf8.RuneCountInString(name) >= NicknameMin {
			if l := strings.ToLower(name); !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
		i = j - 1
	}
	return out
}

// Mentioned reports whether body mentions nickname. The browser's local
// notifications ask it, so a mention notifies even in a muted conversation
// (wasm/client/handle.go); Web Push finds the same people on the server
// with store.MentionedMembers, which also leaves out whoever blocked the
// sender.
func Mentioned(body, nickname string) bool {
	return nickname != "" && slices.Contains(Mentions(body), strings.ToLower(nickname))
}

// NickRune reports whether r can be part of a nickname (ValidateNickname).
func NickRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-'
}
