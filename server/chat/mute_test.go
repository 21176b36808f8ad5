package chat

import (
	"testing"
	"time"

	"natter/shared"
)

func TestMuteUntil(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	hour, past, far := now.Add(time.Hour), now.Add(-time.Hour), now.Add(400*24*time.Hour)
	for _, c := range []struct {
		name string
		req  shared.ConversationMute
		want *time.Time
		err  bool
	}{
		{"unmute", shared.ConversationMute{}, nil, false},
		{"an hour", shared.ConversationMute{Until: &hour}, &hour, false},
		{"replayed late", shared.ConversationMute{Until: &past}, &past, false},
		{"forever", shared.ConversationMute{Forever: true}, &shared.MuteForever, false},
		{"both", shared.ConversationMute{Until: &hour, Forever: true}, nil, true},
		{"too far", shared.ConversationMute{Until: &far}, nil, true},
	} {
		got, err := muteUntil(c.req, now)
		if (err != nil) != c.err || (got == nil) != (c.want == nil) || got != nil && !got.Equal(*c.want) {
			t.Errorf("%s: %v, %v", c.name, got, err)
		}
	}
}
