package client

import (
	"time"

	"natter/shared"
)

// Retention is how much of each conversation's history this device keeps in
// Storage, for an offline start and offline search: every message from the
// last Days days and, however old, at least the newest Min. Older messages
// are evicted oldest first when the conversation is next written; scrolling
// back fetches them again from the server.
type Retention struct {
	Days int
	Min  int
}

// DefaultRetention keeps a month of every conversation and at least its
// newest thousand messages: what people look up offline, at a few hundred
// bytes a message.
var DefaultRetention = Retention{Days: 30, Min: 1000}

// orDefault fills zero fields from DefaultRetention.
func (r Retention) orDefault() Retention {
	if r.Days <= 0 {
		r.Days = DefaultRetention.Days
	}
	if r.Min <= 0 {
		r.Min = DefaultRetention.Min
	}
	return r
}

// keep returns the suffix of msgs (sorted by seq) that the policy retains:
// a suffix, so what is kept stays gap-free up to the newest message (the
// base a resume counts on, see conv).
func (r Retention) keep(msgs []shared.Message, now time.Time) []shared.Message {
	r = r.orDefault()
	from := max(0, len(msgs)-r.Min)
	since := now.AddDate(0, 0, -r.Days)
	for from > 0 && !msgs[from-1].CreatedAt.Before(since) {
		from--
	}
	return msgs[from:]
}
