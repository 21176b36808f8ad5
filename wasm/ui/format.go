package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"natter/shared"
)

// clock formats a time of day the short way people read it in a chat.
func clock(t time.Time) string { return t.Local().Format("15:04") }

// sameDay reports whether a and b fall on the same local calendar day.
func sameDay(a, b time.Time) bool {
	a, b = a.Local(), b.Local()
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

// startOfDay returns local midnight of t's day.
func startOfDay(t time.Time) time.Time {
	t = t.Local()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local)
}

// daysBetween counts calendar days from a's day to b's day.
func daysBetween(a, b time.Time) int {
	return int(startOfDay(b).Sub(startOfDay(a)).Hours()/24 + 0.5)
}

// listTime is the compact time on the conversation list: the clock today,
// "Yesterday", the weekday within a week, then the date.
func listTime(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	switch d := daysBetween(t, now); {
	case d <= 0:
		return clock(t)
	case d == 1:
		return "Yesterday"
	case d < 7:
		return t.Local().Format("Mon")
	case t.Local().Year() == now.Local().Year():
		return t.Local().Format("Jan 2")
	default:
		return t.Local().Format("Jan 2, 2006")
	}
}

// dayLabel names the day separator above the first message of a day.
func dayLabel(t, now time.Time) string {
	switch d := daysBetween(t, now); {
	case d == 0:
		return "Today"
	case d == 1:
		return "Yesterday"
	case d > 1 && d < 7:
		return t.Local().Format("Monday")
	case t.Local().Year() == now.Local().Year():
		return t.Local().Format("Monday, January 2")
	default:
		return t.Local().Format("January 2, 2006")
	}
}

// seenTime is the time next to "Seen by": the clock today, otherwise the
// short date and the clock.
func seenTime(t, now time.Time) string {
	if sameDay(t, now) {
		return clock(t)
	}
	return listTime(t, now) + " " + clock(t)
}

// ago says how long ago something happened the way people say it: "just
// now", "2 min ago", "3 h ago" within a day, then "Yesterday at 15:04" and
// the date with the clock. The exact time goes beside it (see fullTime).
// A time slightly in the future (clocks differ) counts as just now.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < 90*time.Second:
		return "1 min ago"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Round(time.Minute)/time.Minute))
	case d < 24*time.Hour && sameDay(t, now):
		h := int(d / time.Hour)
		return fmt.Sprintf("%d h ago", h)
	case daysBetween(t, now) <= 1:
		return "Yesterday at " + clock(t)
	}
	return listTime(t, now) + " at " + clock(t)
}

// fullTime is the tooltip of a message time: unambiguous date and time.
func fullTime(t time.Time) string { return t.Local().Format("Monday, January 2, 2006 at 15:04") }

// initials returns the one or two letters an avatar shows.
func initials(name string) string { return shared.Initials(name) }

// avatarColor picks a stable palette for a person, so someone keeps their
// color on every screen. CSS classes do the coloring: the CSP forbids inline
// styles.
func avatarColor(key string) string { return strconv.Itoa(shared.AvatarColor(key)) }

// plural formats a count with its noun: "1 member", "3 members".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// joinNames lists names for a sentence: "a", "a and b", "a, b and c".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	default:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
}

// typingLine is the typing indicator's sentence.
func typingLine(names []string) string {
	switch n := len(names); {
	case n == 0:
		return ""
	case n == 1:
		return names[0] + " is typing…"
	case n <= 3:
		return joinNames(names) + " are typing…"
	default:
		return fmt.Sprintf("%d people are typing…", n)
	}
}

// hereLine says who else has the conversation open: "bob is here", "ann
// and bob are here", "5 people are here".
func hereLine(names []string) string {
	switch n := len(names); {
	case n == 0:
		return ""
	case n == 1:
		return names[0] + " is here"
	case n <= 3:
		return joinNames(names) + " are here"
	default:
		return fmt.Sprintf("%d people are here", n)
	}
}

// preview shortens a message body to one line for the conversation list.
func preview(body string, max int) string {
	body = strings.Join(strings.Fields(body), " ")
	if utf8.RuneCountInString(body) <= max {
		return body
	}
	r := []rune(body)
	return strings.TrimSpace(string(r[:max-1])) + "…"
}

// thousands formats n with a thin separator every three digits.
func thousands(n int) string {
	s := strconv.Itoa(n) // not fmt: its first use in a session costs V8 a compile mid-scroll
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
