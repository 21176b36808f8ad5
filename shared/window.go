package shared

import "time"

// ActionReplayWindow is how long the server keeps the idempotency record of
// an applied action (applied_actions: user, action id, result) before it may
// prune it. The server must keep every record at least this long.
//
// It bounds how old an action a client may replay: a replay is harmless only
// while the server still remembers the action id, because then it answers
// with the original result instead of running the action again. A client
// whose outbox holds an action first stored longer ago than this must not
// send it under its id (it could run twice: a member added again after
// someone removed them, an old title restored) and shows it as failed
// instead, so the user redoes it as a new action if they still want it.
//
// Kinds whose effect is keyed by an id in the payload that the server keeps
// forever are exempt: a message.send is recorded by its message row (unique
// on sender and action id), a conversation.create by the conversation id,
// and a seen.mark only ever moves a cursor forward, so running it twice
// changes nothing.
const ActionReplayWindow = 14 * 24 * time.Hour
