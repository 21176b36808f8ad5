package client

import (
	"time"

	"natter/shared"
)

// ConnState is what the connection indicator shows. The composer never
// disables itself for any of them: actions queue in the outbox regardless.
type ConnState string

// Connection states.
const (
	StateConnecting     ConnState = "connecting"      // first dial since start, nothing received yet
	StateConnected      ConnState = "connected"       // welcome received; see Status.CaughtUp
	StateReconnecting   ConnState = "reconnecting"    // waiting for Status.NextRetry after a failure
	StateOffline        ConnState = "offline"         // the browser says it is offline; no dial until online or RetryNow
	StateSignedOut      ConnState = "signed_out"      // the session is gone; the UI sends the user to sign in
	StateUpdateRequired ConnState = "update_required" // the server no longer speaks this protocol; reload the app
)

// Status describes the connection so the UI can say what is going on and
// when the next attempt happens, instead of a bare spinner.
type Status struct {
	State     ConnState
	NextRetry time.Time // zero unless State is reconnecting
	Attempt   int       // failed dials since the last successful welcome
	LastError string    // human-readable reason of the last failure
	// Code is the shared error code behind LastError when the server sent
	// one: for signed_out, CodeSessionRevoked, CodeAccountDisabled or
	// CodeUnauthorized says why.
	Code     string
	CaughtUp bool // the replay after welcome has ended; live traffic follows
}

// State is a consistent snapshot of everything the UI renders outside a
// single conversation. It is a copy: the UI may keep it across renders.
type State struct {
	Me     shared.User
	Status Status
	// StorageError is set when the browser refused or ran out of storage, so
	// the UI can say so: a full store is shown, never dropped silently.
	StorageError  string
	Conversations []ConvView // newest activity first, including ones created offline
	BodyMax       int        // the server's message length limit in characters
	// Outbox lists every queued action in queue order, messages included,
	// so the UI can show changes still waiting (a rename made offline) and
	// failures whose conversation is gone, each with Retry and Discard.
	Outbox []ActionView
}

// ActionView is one outbox entry as the UI shows it.
type ActionView struct {
	ID       string
	Type     string // a shared.Type... action type
	ConvID   string
	State    MsgState // queued, sending or failed
	Error    string
	Summary  string // the message body or the new title, when there is one
	QueuedAt time.Time
}

// ConvView is one conversation as the UI shows it.
type ConvView struct {
	shared.Conversation
	Unread   int64
	Pending  bool   // created offline and not yet acknowledged by the server
	Failed   string // why creating it failed, when it did
	Typing   []string
	Viewers  []shared.ReadPosition
	HasOlder bool // older messages exist that are not held; LoadOlder fetches them
	// LeftOut names the people this device's create left out (they blocked
	// the creator), for the notice shown after creating it.
	LeftOut []shared.LeftOut
	// Mentioned says an unread message mentions the user (the list's @).
	Mentioned bool

	// MutedUntil is when the person's mute of it ends (shared.MuteForever:
	// until turned back on); nil when not muted. See Engine.Muted.
	MutedUntil *time.Time

	// Rev changes whenever Messages of this conversation would return
	// something else, and only then: a component compares it instead of
	// the messages, and redraws nothing for the other changes (a read
	// mark, a typing signal).
	Rev uint64
}

// MsgState is the delivery state of a message as shown next to it.
type MsgState string

// Message states.
const (
	MsgQueued  MsgState = "queued"  // in the outbox, not on the wire
	MsgSending MsgState = "sending" // written to the connection, no ack yet
	MsgSent    MsgState = "sent"    // confirmed by the server, has a seq
	MsgFailed  MsgState = "failed"  // refused by the server; see Error, Retry or Discard
)

// MsgView is one message row: a confirmed message, or an own pending one.
type MsgView struct {
	shared.Message
	State    MsgState
	Error    string
	ActionID string
	QueuedAt time.Time
	// Change names a change to it still in the outbox ("edit", "delete",
	// "reaction"), already shown as if applied.
	Change string
}
