package chat

import (
	"time"

	"natter/shared"
)

// Limits are the budgets of one user and of each of their connections. A
// frame is charged against both when it arrives: a limit that a user could
// multiply by opening more connections would be no limit, and a limit
// charged only when a frame is processed lets a flood in while earlier
// frames are committing. The defaults are far above what a person or a
// small company's busiest client does (an outbox replaying days of offline
// work uses the burst), and far below what a script needs to hurt anyone.
type Limits struct {
	// ActionRate and ActionBurst bound durable actions (send, create, seen,
	// membership...) per connection, per second.
	ActionRate  float64
	ActionBurst int
	// UserActionRate and UserActionBurst bound the same per user, over all
	// their connections.
	UserActionRate  float64
	UserActionBurst int
	// ReadRate and ReadBurst bound requests that only read (history, seen
	// queries) per connection; the user's budget is twice that.
	ReadRate  float64
	ReadBurst int
	// SearchRate and SearchBurst bound one user's searches per second, over
	// all their connections, on top of the read budget: a search costs the
	// database far more than a page of history, and a box that searches as
	// one types sends a few a second at most.
	SearchRate  float64
	SearchBurst int
	// SignalRate and SignalBurst bound ephemeral signals (typing, read
	// position, ping) per connection; the user's budget is twice that.
	// Refused signals are dropped without an answer: nobody waits for them.
	SignalRate  float64
	SignalBurst int
	// ConnsPerUser caps a user's live connections on this node.
	ConnsPerUser int
	// OpensPerMinute caps how many connections a user may open per minute
	// (with as many at once): each one replays what the client missed.
	OpensPerMinute int
	// CreatesPerHour caps the conversations one user may create per hour.
	CreatesPerHour int
	// AddsPerHour caps the people one user may add to conversations per
	// hour, counting the members named when creating one.
	AddsPerHour int
	// QueueMax bounds the frames admitted on one connection and not yet
	// applied; past it frames are refused like a spent budget.
	QueueMax int
	// RefusedMax is how many strikes a connection may earn before it is
	// taken for hostile and closed: each refused frame adds one, each
	// admitted frame takes one away. A client that honours retry_after
	// never gets near it; one that keeps sending at any rate above its
	// budget reaches it, however it paces the flood.
	RefusedMax int
}

// DefaultLimits are the limits a zero Limits gets.
var DefaultLimits = Limits{
	ActionRate: 50, ActionBurst: 300,
	UserActionRate: 100, UserActionBurst: 600,
	ReadRate: 20, ReadBurst: 60,
	SearchRate: 2, SearchBurst: 20,
	SignalRate: 10, SignalBurst: 30,
	ConnsPerUser:   20,
	OpensPerMinute: 60,
	CreatesPerHour: 60,
	AddsPerHour:    2000,
	QueueMax:       512,
	RefusedMax:     1000,
}

func (l *Limits) defaults() {
	d := DefaultLimits
	setF := func(v *float64, def float64) {
		if *v <= 0 {
			*v = def
		}
	}
	setI := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setF(&l.ActionRate, d.ActionRate)
	setI(&l.ActionBurst, d.ActionBurst)
	setF(&l.UserActionRate, max(d.UserActionRate, l.ActionRate))
	setI(&l.UserActionBurst, max(d.UserActionBurst, l.ActionBurst))
	setF(&l.ReadRate, d.ReadRate)
	setI(&l.ReadBurst, d.ReadBurst)
	setF(&l.SearchRate, d.SearchRate)
	setI(&l.SearchBurst, d.SearchBurst)
	setF(&l.SignalRate, d.SignalRate)
	setI(&l.SignalBurst, d.SignalBurst)
	setI(&l.ConnsPerUser, d.ConnsPerUser)
	setI(&l.OpensPerMinute, d.OpensPerMinute)
	setI(&l.CreatesPerHour, d.CreatesPerHour)
	setI(&l.AddsPerHour, d.AddsPerHour)
	setI(&l.QueueMax, d.QueueMax)
	setI(&l.RefusedMax, d.RefusedMax)
}

// class is what kind of budget a frame spends.
type class uint8

const (
	classAction class = iota // durable actions
	classRead                // requests that only read
	classSignal              // ephemeral signals, pings
	classCount
)

var classNames = [classCount]string{"action", "read", "signal"}

// classOf tells which budget a frame type spends. Unknown types spend the
// action budget, so a stream of nonsense costs what real work would.
func classOf(typ string) class {
	switch typ {
	case shared.TypeTyping, shared.TypeReadPosition, shared.TypePing, shared.TypePong:
		return classSignal
	case shared.TypeHistoryFetch, shared.TypeSeenQuery, shared.TypeConversationsFetch, shared.TypeEditsQuery, shared.TypeHistoryAround, shared.TypeSearch:
		return classRead
	}
	return classAction
}

// retryAfter turns a wait into whole milliseconds of at least one, so a
// client always learns to wait (a zero would be dropped by omitempty and
// read as "retry now").
func retryAfter(d time.Duration) int {
	ms := int((d + time.Millisecond - 1) / time.Millisecond)
	return max(ms, 1)
}
