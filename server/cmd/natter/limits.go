package main

import (
	"fmt"
	"os"
	"strconv"

	"natter/server/chat"
)

// loadLimits reads the budgets and quotas from the environment (see the
// README's Security section); unset ones keep chat.DefaultLimits.
// NATTER_ACTION_RATE and NATTER_ACTION_BURST come from config.
func loadLimits(c config) (chat.Limits, error) {
	l := chat.DefaultLimits
	if c.ActionRate > 0 {
		l.ActionRate = c.ActionRate
	}
	if c.ActionBurst > 0 {
		l.ActionBurst = c.ActionBurst
	}
	floats := []struct {
		key string
		v   *float64
	}{
		{"NATTER_USER_ACTION_RATE", &l.UserActionRate},
		{"NATTER_READ_RATE", &l.ReadRate},
		{"NATTER_SIGNAL_RATE", &l.SignalRate},
	}
	for _, f := range floats {
		if v := os.Getenv(f.key); v != "" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n <= 0 {
				return l, fmt.Errorf("%s must be a positive number per second, not %q", f.key, v)
			}
			*f.v = n
		}
	}
	ints := []struct {
		key string
		v   *int
	}{
		{"NATTER_USER_ACTION_BURST", &l.UserActionBurst},
		{"NATTER_READ_BURST", &l.ReadBurst},
		{"NATTER_SIGNAL_BURST", &l.SignalBurst},
		{"NATTER_CONNS_PER_USER", &l.ConnsPerUser},
		{"NATTER_OPENS_PER_MINUTE", &l.OpensPerMinute},
		{"NATTER_CREATES_PER_HOUR", &l.CreatesPerHour},
		{"NATTER_ADDS_PER_HOUR", &l.AddsPerHour},
	}
	for _, f := range ints {
		if v := os.Getenv(f.key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return l, fmt.Errorf("%s must be a positive whole number, not %q", f.key, v)
			}
			*f.v = n
		}
	}
	// A user's budget below one connection's would make the second
	// connection the only limit that matters: keep them consistent.
	l.UserActionRate = max(l.UserActionRate, l.ActionRate)
	l.UserActionBurst = max(l.UserActionBurst, l.ActionBurst)
	return l, nil
}
