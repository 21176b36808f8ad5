package ui

import (
	"testing"
	"time"
)

func TestListTimeAndDayLabel(t *testing.T) {
	now := time.Date(2025, 6, 18, 15, 0, 0, 0, time.Local) // a Wednesday
	tests := []struct {
		name      string
		at        time.Time
		list, day string
	}{
		{"today", time.Date(2025, 6, 18, 9, 5, 0, 0, time.Local), "09:05", "Today"},
		{"yesterday", time.Date(2025, 6, 17, 23, 59, 0, 0, time.Local), "Yesterday", "Yesterday"},
		{"this week", time.Date(2025, 6, 14, 10, 0, 0, 0, time.Local), "Sat", "Saturday"},
		{"this year", time.Date(2025, 2, 3, 10, 0, 0, 0, time.Local), "Feb 3", "Monday, February 3"},
		{"last year", time.Date(2024, 12, 31, 10, 0, 0, 0, time.Local), "Dec 31, 2024", "December 31, 2024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listTime(tt.at, now); got != tt.list {
				t.Errorf("listTime = %q, want %q", got, tt.list)
			}
			if got := dayLabel(tt.at, now); got != tt.day {
				t.Errorf("dayLabel = %q, want %q", got, tt.day)
			}
		})
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2025, 6, 18, 15, 0, 0, 0, time.Local) // a Wednesday
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"a clock ahead", now.Add(5 * time.Second), "just now"},
		{"seconds", now.Add(-30 * time.Second), "just now"},
		{"a minute", now.Add(-70 * time.Second), "1 min ago"},
		{"minutes", now.Add(-2 * time.Minute), "2 min ago"},
		{"rounds", now.Add(-(12*time.Minute + 40*time.Second)), "13 min ago"},
		{"hours today", now.Add(-3*time.Hour - 10*time.Minute), "3 h ago"},
		{"last night", time.Date(2025, 6, 17, 23, 30, 0, 0, time.Local), "Yesterday at 23:30"},
		{"this week", time.Date(2025, 6, 14, 10, 0, 0, 0, time.Local), "Sat at 10:00"},
		{"last year", time.Date(2024, 12, 31, 10, 0, 0, 0, time.Local), "Dec 31, 2024 at 10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ago(tt.at, now); got != tt.want {
				t.Fatalf("ago = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWords(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"initials one", initials("alice"), "A"},
		{"initials two", initials("mary.jane"), "MJ"},
		{"initials unicode", initials("élodie_x"), "ÉX"},
		{"initials empty", initials(""), "?"},
		{"plural one", plural(1, "member", "members"), "1 member"},
		{"plural many", plural(3, "member", "members"), "3 members"},
		{"names two", joinNames([]string{"a", "b"}), "a and b"},
		{"names three", joinNames([]string{"a", "b", "c"}), "a, b and c"},
		{"typing one", typingLine([]string{"bob"}), "bob is typing…"},
		{"typing many", typingLine([]string{"a", "b", "c", "d"}), "4 people are typing…"},
		{"here one", hereLine([]string{"bob"}), "bob is here"},
		{"here two", hereLine([]string{"ann", "bob"}), "ann and bob are here"},
		{"here many", hereLine([]string{"a", "b", "c", "d"}), "4 people are here"},
		{"preview folds space", preview("hi\n\n  there", 50), "hi there"},
		{"preview cuts", preview("abcdefghij", 5), "abcd…"},
		{"thousands", thousands(1234567), "1,234,567"},
		{"thousands small", thousands(999), "999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestAvatarColorIsStable(t *testing.T) {
	first := avatarColor("alice")
	for range 3 {
		if got := avatarColor("alice"); got != first {
			t.Fatalf("avatar color changes between calls: %s then %s", first, got)
		}
	}
	seen := map[string]bool{}
	for _, n := range []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"} {
		seen[avatarColor(n)] = true
	}
	if len(seen) < 3 {
		t.Fatalf("avatar colors barely vary: %v", seen)
	}
}
