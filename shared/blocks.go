package shared

import (
	"strconv"
	"time"
)

// Blocking (issue 7, consent). A person may block another: the blocked
// person can no longer start a one-to-one with the blocker nor bring them
// into a conversation. Conversations they already share are left alone, so
// blocking never deletes anything anyone wrote.

// APIBlocks lists (GET) and adds (POST) the signed-in user's blocks;
// BlockPath names one for DELETE. Blocks live on HTTP, not in the outbox:
// they are rare, need an answer now, and matter only when the server is
// reachable anyway.
const APIBlocks = "/api/blocks"

// BlockPath returns the endpoint that removes the block of userID.
func BlockPath(userID int64) string { return APIBlocks + "/" + strconv.FormatInt(userID, 10) }

// Error codes of blocking. CodeBlocked answers an action that would bring
// someone into a conversation with a person they blocked; its message names
// them neutrally ("ann is not accepting new conversations from you.").
const (
	CodeBlocked       = "blocked"
	CodeTooManyBlocks = "too_many_blocks"
)

// MaxBlocks caps how many people one user may block, so the table cannot be
// used to store data without bound; nobody needs more.
const MaxBlocks = 10000

// BlockRequest blocks one person.
type BlockRequest struct {
	UserID int64 `json:"user_id"`
}

// Block is one person the user blocked, as their profile lists it.
type Block struct {
	UserID    int64     `json:"user_id"`
	Nickname  string    `json:"nickname"`
	CreatedAt time.Time `json:"created_at"`
}

// BlockList answers GET APIBlocks: the people the user blocked, newest
// first.
type BlockList struct {
	Blocks []Block `json:"blocks"`
}

// LeftOut names a person a new conversation was created without, and why,
// so the creator learns it instead of wondering why they never answer.
// Reason is a code, such as CodeBlocked.
type LeftOut struct {
	UserID   int64  `json:"user_id"`
	Nickname string `json:"nickname"`
	Reason   string `json:"reason"`
}
