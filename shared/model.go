package shared

import "time"

// User is the public face of an account: what other people and the user's
// own devices are allowed to know. The password hash never leaves the store.
type User struct {
	ID        int64     `json:"id"`
	Nickname  string    `json:"nickname"`
	Email     string    `json:"email,omitempty"` // only sent to the user themself
	Admin     bool      `json:"admin,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Member is a user's place in a conversation: whether they own it and how far
// they have read. The read cursor is what "Seen by" and unread counts use.
type Member struct {
	UserID   int64      `json:"user_id"`
	Nickname string     `json:"nickname"`
	Owner    bool       `json:"owner,omitempty"`
	SeenSeq  int64      `json:"seen_seq"`
	SeenAt   *time.Time `json:"seen_at,omitempty"`
}

// Conversation is the state of one conversation as a member sees it. The
// server sends it whole on every change, so a client never has to replay a
// chain of membership events to know who is in it.
type Conversation struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`           // shown title: the given one, or the members' nicknames
	Named     bool       `json:"named,omitempty"` // true when Title was given by a person
	Direct    bool       `json:"direct,omitempty"`
	CreatedBy int64      `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
	LastSeq   int64      `json:"last_seq"`
	LastAt    *time.Time `json:"last_at,omitempty"`
	Members   []Member   `json:"members"`
	// Preview is the newest message, for the dashboard.
	Preview *Message `json:"preview,omitempty"`
	// Delta marks a membership event that carries only the members whose
	// entry changed, with Removed listing those who are gone: a change to a
	// conversation of a thousand people then costs one entry, not a
	// thousand. The client merges it with MergeDelta.
	Delta   bool    `json:"delta,omitempty"`
	Removed []int64 `json:"removed,omitempty"`
}

// MergeDelta applies a delta event to the conversation a client holds: the
// conversation's own fields come from the delta, members are updated,
// added and removed. A delta for a conversation the client does not hold
// cannot be merged; the caller keeps it as it is until a whole one arrives.
func MergeDelta(held, delta Conversation) Conversation {
	out := delta
	out.Delta, out.Removed = false, nil
	if out.Preview == nil {
		out.Preview = held.Preview
	}
	gone := make(map[int64]bool, len(delta.Removed))
	for _, id := range delta.Removed {
		gone[id] = true
	}
	changed := make(map[int64]Member, len(delta.Members))
	for _, m := range delta.Members {
		changed[m.UserID] = m
	}
	members := make([]Member, 0, len(held.Members)+len(delta.Members))
	for _, m := range held.Members {
		if gone[m.UserID] {
			continue
		}
		if c, ok := changed[m.UserID]; ok {
			m = c
			delete(changed, m.UserID)
		}
		members = append(members, m)
	}
	for _, m := range delta.Members {
		if _, ok := changed[m.UserID]; ok {
			members = append(members, m)
		}
	}
	out.Members = members
	return out
}

// Owner returns the user id of the conversation's owner, or 0.
func (c *Conversation) Owner() int64 {
	for _, m := range c.Members {
		if m.Owner {
			return m.UserID
		}
	}
	return 0
}

// Member returns the member entry of a user, or nil when they are not in it.
func (c *Conversation) Member(userID int64) *Member {
	for i := range c.Members {
		if c.Members[i].UserID == userID {
			return &c.Members[i]
		}
	}
	return nil
}

// Message kinds.
const (
	KindText   = "text"
	KindSystem = "system" // announcements and membership notes; no sender
)

// Message is one message in a conversation. Seq is gap-free per conversation
// and assigned by the server in the inserting transaction; ActionID is the
// client's idempotency key, so the sender's device can match its pending copy.
type Message struct {
	ID             int64      `json:"id"`
	ConversationID string     `json:"conversation_id"`
	Seq            int64      `json:"seq"`
	SenderID       int64      `json:"sender_id,omitempty"`
	Sender         string     `json:"sender,omitempty"` // nickname at the time of reading
	Kind           string     `json:"kind,omitempty"`
	Body           string     `json:"body"`
	ActionID       string     `json:"action_id,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	EditedAt       *time.Time `json:"edited_at,omitempty"`
	DeletedAt      *time.Time `json:"deleted_at,omitempty"`
	// EventSeq is the conversation event that last changed the message
	// (0: never changed); ReplyTo and Reactions: see shared/edits.go.
	EventSeq  int64       `json:"event_seq,omitempty"`
	ReplyTo   *ReplyQuote `json:"reply_to,omitempty"`
	Reactions []Reaction  `json:"reactions,omitempty"`
}

// Seen says that a user had seen a conversation up to a message at a time.
type Seen struct {
	UserID   int64     `json:"user_id"`
	Nickname string    `json:"nickname,omitempty"`
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
}

// Session is a signed-in device as the owner and the operator see it.
type Session struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	UserAgent  string     `json:"user_agent"`
	CreatedAt  time.Time  `json:"created_at"`
	LastSeenAt time.Time  `json:"last_seen_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Current    bool       `json:"current,omitempty"`
}
