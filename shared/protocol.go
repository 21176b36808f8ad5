package shared

import (
	"encoding/json"
	"time"
)

// ProtocolVersion is the version of the wire protocol this build speaks.
// Within a version fields are only added and unknown fields and types are
// ignored; a breaking change bumps it. The server accepts clients from
// MinProtocolVersion to ProtocolVersion and tells older ones to update.
const (
	ProtocolVersion    = 1
	MinProtocolVersion = 1
)

// Envelope is one message on the WebSocket, in both directions. Client
// actions carry ID, the action id (a UUIDv7 the browser stored with the action
// before the first send); the server's ack or error repeats it. Durable events
// carry Seq, the conversation sequence number a client resumes from.
// A server frame may hold several envelopes separated by newlines.
type Envelope struct {
	V    int             `json:"v,omitempty"`
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Seq  int64           `json:"seq,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Client actions and requests.
const (
	TypeHello              = "hello"
	TypePing               = "ping"
	TypePong               = "pong"
	TypeMessageSend        = "message.send"
	TypeConversationCreate = "conversation.create"
	TypeConversationRename = "conversation.rename"
	TypeConversationClose  = "conversation.close"
	TypeConversationLeave  = "conversation.leave"
	TypeMemberAdd          = "member.add"
	TypeMemberRemove       = "member.remove"
	TypeOwnerTransfer      = "owner.transfer"
	TypeSeenMark           = "seen.mark"
	TypeHistoryFetch       = "history.fetch"
	TypeSeenQuery          = "seen.query"
	// TypeConversationsFetch asks for a page of the user's conversations,
	// after the replay was capped (CaughtUp.MoreConversations).
	TypeConversationsFetch = "conversations.fetch"
	TypeConversationMute   = "conversation.mute" // ConversationMute; see push.go
	TypeTyping             = "typing"
	TypeReadPosition       = "read.position"
	// Changes to existing messages (shared/edits.go).
	TypeMessageEdit   = "message.edit"
	TypeMessageDelete = "message.delete"
	TypeReactionSet   = "reaction.set"
	TypeEditsQuery    = "message.edits"
	// TypeHistoryAround asks for the messages around one seq, to open a
	// conversation in the middle (a permalink, a search result).
	TypeHistoryAround = "history.around"
	// TypeSearch asks for a page of full-text search results (shared/search.go).
	TypeSearch = "search"
)

// Server replies and events.
const (
	TypeWelcome             = "welcome"
	TypeAck                 = "ack"
	TypeError               = "error"
	TypeCaughtUp            = "caught_up"
	TypeMessageCreated      = "message.created"
	TypeConversationUpdated = "conversation.updated"
	TypeConversationRemoved = "conversation.removed"
	TypeSeenMoved           = "seen.moved"
	TypePresence            = "presence"
	TypeTypingEvent         = "typing.event"
	TypeReadPositionEvent   = "read.position.event"
	// TypeMessagesChanged carries edited, deleted and reacted-to messages
	// (shared.MessagesChanged).
	TypeMessagesChanged = "messages.changed"
	TypeMuteChanged     = "mute.changed" // Mute, to the person's own devices
)

// Durable reports whether an action type changes server state and so goes
// through the outbox and the applied-actions record. Requests that only read
// (history, seen query) and ephemeral signals are not durable.
func Durable(actionType string) bool {
	switch actionType {
	case TypeMessageSend, TypeConversationCreate, TypeConversationRename, TypeConversationClose,
		TypeConversationLeave, TypeMemberAdd, TypeMemberRemove, TypeOwnerTransfer, TypeSeenMark,
		TypeMessageEdit, TypeMessageDelete, TypeReactionSet, TypeConversationMute:
		return true
	}
	return false
}

// Hello opens every connection. Cursors maps conversation id to the highest
// seq the client holds without a gap below it; the server replays what follows.
type Hello struct {
	Protocol    int              `json:"protocol"`
	Device      string           `json:"device,omitempty"`
	ResumeToken string           `json:"resume_token,omitempty"`
	Cursors     map[string]int64 `json:"cursors,omitempty"`
	// PageConversations, when set, says the client fetches conversations
	// beyond the replay's first page itself (conversations.fetch); the
	// server then replays at most that many (capped at
	// ReplayConversationsMax). Without it every conversation is replayed.
	PageConversations int `json:"page_conversations,omitempty"`
	// EventCursors maps conversation id to the client's event cursor
	// (shared.MessagesChanged); the server replays what changed after it.
	EventCursors map[string]int64 `json:"event_cursors,omitempty"`
	// Focus names the conversation on the person's screen. The server
	// replays it before the others of its page, so a link opened while
	// other conversations have thousands of missed messages shows its own
	// at once instead of after theirs. A conversation that is not the
	// user's, or not in the page, changes nothing.
	Focus string `json:"focus,omitempty"`
}

// Welcome answers Hello. After it the server sends, for every conversation of
// the user, conversation.updated and the missed messages (at most
// ReplayPageMax per conversation, newest last; Gap marks older ones not sent),
// then caught_up, then live traffic.
type Welcome struct {
	Protocol    int       `json:"protocol"`
	User        User      `json:"user"`
	ServerTime  time.Time `json:"server_time"`
	ResumeToken string    `json:"resume_token,omitempty"`
	Resumed     bool      `json:"resumed,omitempty"` // true when the resume token was accepted
	BodyMax     int       `json:"body_max"`
	Heartbeat   int       `json:"heartbeat_ms"` // how often each side pings
}

// CaughtUp ends the replay. Gaps lists conversations whose replay was cut to
// the newest page; the client fetches older history as the user scrolls.
type CaughtUp struct {
	Gaps map[string]int64 `json:"gaps,omitempty"` // conversation id -> lowest seq sent
	// MoreConversations says the replay described only the most recently
	// active conversations: the client pages through the rest with
	// conversations.fetch before it forgets any it holds.
	MoreConversations bool `json:"more_conversations,omitempty"`
	// Mutes are the person's mute states (every conversation whose mute
	// was ever changed), so a device that was away learns them.
	Mutes []Mute `json:"mutes,omitempty"`
}

// ReplayConversationsMax caps the conversations described in one replay;
// the rest are fetched in pages of at most as many.
const ReplayConversationsMax = 100

// ConversationsFetch asks for the user's conversations after a cursor (""
// for the first page), in a stable order.
type ConversationsFetch struct {
	After string `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// ConversationPage answers ConversationsFetch. The page's conversations and
// their missed messages arrive as events just before it (as in a replay), so
// Conversations is empty from the server; Gaps is as in CaughtUp; Next is ""
// on the last page.
type ConversationPage struct {
	Conversations []Conversation   `json:"conversations"`
	Next          string           `json:"next,omitempty"`
	Gaps          map[string]int64 `json:"gaps,omitempty"`
}

// ReplayPageMax caps the missed messages replayed per conversation on resume.
const ReplayPageMax = 200

// Error is the payload of an error envelope. ID on the envelope names the
// action it answers. Fatal errors are followed by the server closing the
// connection: the browser cannot see close codes, so the reason travels here.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Fatal   bool   `json:"fatal,omitempty"`
	// RetryAfter is set with CodeRateLimited, in milliseconds.
	RetryAfter int `json:"retry_after_ms,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Permanent reports whether retrying the same action can never succeed, so
// the outbox marks it failed instead of retrying it.
func (e *Error) Permanent() bool {
	switch e.Code {
	case CodeInternal, CodeRateLimited, CodeUnavailable, CodeQuotaExceeded, CodeTooManyConnections:
		return false
	}
	return true
}

// Error codes. Each comes with a human message; the code is for programs.
const (
	CodeMalformed          = "malformed"
	CodeUnknownType        = "unknown_type"
	CodeUnsupportedVersion = "unsupported_version"
	CodeUnauthorized       = "unauthorized"
	CodeSessionRevoked     = "session_revoked"
	CodeTokenInvalid       = "resume_token_invalid"
	CodeNotFound           = "conversation_not_found"
	CodeUserNotFound       = "user_not_found"
	CodeNotMember          = "not_member"
	CodeAlreadyMember      = "already_member"
	CodeNotOwner           = "not_owner"
	CodeClosed             = "conversation_closed"
	CodeEmptyBody          = "empty_body"
	CodeBodyTooLong        = "body_too_long"
	CodeTitleTooLong       = "title_too_long"
	CodeTooManyMembers     = "too_many_members"
	CodeRateLimited        = "rate_limited"
	CodeTooLarge           = "frame_too_large"
	CodeInvalid            = "invalid"
	CodeInternal           = "internal"
	CodeUnavailable        = "unavailable"
	CodeOwnerCannotLeave   = "owner_cannot_leave"
	// CodeQuotaExceeded refuses an action past a per-hour quota (creating
	// conversations, adding people); RetryAfter says when it would pass.
	CodeQuotaExceeded = "quota_exceeded"
	// CodeTooManyConnections refuses a connection past the per-user cap.
	CodeTooManyConnections = "too_many_connections"
	// CodeInvalidText closes a connection whose frame is not valid UTF-8.
	CodeInvalidText = "invalid_text"
	// Refusals of changes to messages (shared/edits.go).
	CodeMessageNotFound = "message_not_found"
	CodeNotAuthor       = "not_author"
	CodeMessageDeleted  = "message_deleted"
	// CodeSeqOutOfRange refuses a history.around whose seq the
	// conversation does not have (below 1 or above its newest message).
	CodeSeqOutOfRange = "seq_out_of_range"

	CodeNicknameLength  = "nickname_length"
	CodeNicknameChars   = "nickname_chars"
	CodeNicknameTaken   = "nickname_taken"
	CodeEmailInvalid    = "email_invalid"
	CodeEmailTaken      = "email_taken"
	CodePasswordShort   = "password_too_short"
	CodePasswordLong    = "password_too_long"
	CodeWrongPassword   = "wrong_password"
	CodeBadCredentials  = "bad_credentials"
	CodeAccountDisabled = "account_disabled"
	CodeThrottled       = "throttled"
)

// MessageSend posts a message. The envelope id is the action id.
type MessageSend struct {
	ConversationID string `json:"conversation_id"`
	Body           string `json:"body"`
	// ReplyTo is the seq of the message this one answers; ReplyToAction
	// names it by its send's action id while it is still queued (see
	// shared/edits.go).
	ReplyTo       int64  `json:"reply_to,omitempty"`
	ReplyToAction string `json:"reply_to_action,omitempty"`
}

// ConversationCreate starts a conversation. ID is made by the client so that
// messages queued offline can name the conversation before it exists; for a
// one-to-one that already exists the ack returns the existing conversation and
// the client moves its queued messages there.
type ConversationCreate struct {
	ID        string  `json:"id"`
	Title     string  `json:"title,omitempty"`
	MemberIDs []int64 `json:"member_ids"` // others than the creator
}

// ConversationRef names a conversation for close and leave.
type ConversationRef struct {
	ConversationID string `json:"conversation_id"`
}

// ConversationRename changes the title; empty restores the derived title.
type ConversationRename struct {
	ConversationID string `json:"conversation_id"`
	Title          string `json:"title"`
}

// MemberChange adds or removes a member, or transfers ownership to them.
type MemberChange struct {
	ConversationID string `json:"conversation_id"`
	UserID         int64  `json:"user_id"`
}

// SeenMark moves the sender's read cursor forward; it never moves back.
type SeenMark struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
}

// HistoryFetch asks for messages before a seq (0 means the newest), newest
// last in the answer.
type HistoryFetch struct {
	ConversationID string `json:"conversation_id"`
	Before         int64  `json:"before,omitempty"`
	Limit          int    `json:"limit,omitempty"`
}

// History answers HistoryFetch.
type History struct {
	ConversationID string    `json:"conversation_id"`
	Messages       []Message `json:"messages"`
	More           bool      `json:"more"` // older messages exist
	// Newer says newer messages exist than the last one sent; only
	// history.around sets it.
	Newer bool `json:"newer,omitempty"`
}

// HistoryAround asks for up to Limit messages centred on Seq, oldest first
// in the answer (a History). A seq the conversation does not have is
// refused with CodeSeqOutOfRange.
type HistoryAround struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	Limit          int    `json:"limit,omitempty"`
}

// SeenQuery asks who had seen message Seq and when.
type SeenQuery struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
}

// SeenBy answers SeenQuery: one entry per member who saw it, with the time
// their cursor first reached it.
type SeenBy struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	Seen           []Seen `json:"seen"`
}

// Ack is the payload of an ack. Exactly one field is set, by action type.
type Ack struct {
	Message      *Message          `json:"message,omitempty"`
	Conversation *Conversation     `json:"conversation,omitempty"`
	Seen         *Seen             `json:"seen,omitempty"`
	History      *History          `json:"history,omitempty"`
	SeenBy       *SeenBy           `json:"seen_by,omitempty"`
	Page         *ConversationPage `json:"page,omitempty"`
	Search       *SearchResults    `json:"search,omitempty"`
	// LeftOut comes with Conversation on a conversation.create ack: the
	// people the conversation was created without (see shared/blocks.go).
	LeftOut []LeftOut `json:"left_out,omitempty"`
	// Edits answers message.edits.
	Edits *Edits `json:"edits,omitempty"`
	// Mute answers conversation.mute.
	Mute *Mute `json:"mute,omitempty"`
}

// ConversationRemoved tells a client a conversation is no longer theirs.
type ConversationRemoved struct {
	ConversationID string `json:"conversation_id"`
	Reason         string `json:"reason"` // "left" or "removed"
}

// SeenMoved tells members that someone's read cursor moved.
type SeenMoved struct {
	ConversationID string `json:"conversation_id"`
	Seen
}

// Typing is an ephemeral signal; receivers show it until Until.
type Typing struct {
	ConversationID string    `json:"conversation_id"`
	UserID         int64     `json:"user_id,omitempty"`
	Nickname       string    `json:"nickname,omitempty"`
	Until          time.Time `json:"until,omitempty"`
}

// ReadPosition is where a reader is in a conversation: anchored to a message
// seq plus an offset in thousandths of that message's height, so it means the
// same on every screen. Others see it as a "ghost".
type ReadPosition struct {
	ConversationID string `json:"conversation_id"`
	UserID         int64  `json:"user_id,omitempty"`
	Nickname       string `json:"nickname,omitempty"`
	Seq            int64  `json:"seq"`
	Offset         int    `json:"offset"`
}

// Presence lists who is viewing a conversation right now.
type Presence struct {
	ConversationID string         `json:"conversation_id"`
	Viewers        []ReadPosition `json:"viewers"`
}

// NewEnvelope marshals data into an envelope of the given type.
func NewEnvelope(typ, id string, seq int64, data any) (Envelope, error) {
	env := Envelope{Type: typ, ID: id, Seq: seq}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return env, err
		}
		env.Data = b
	}
	return env, nil
}
