package client

import (
	"testing"

	"natter/shared"
)

func TestHole(t *testing.T) {
	tests := []struct {
		name string
		held []int64
		want gap
	}{
		{"nothing", nil, gap{}},
		{"one", []int64{43}, gap{}},
		{"contiguous", []int64{40, 41, 42}, gap{}},
		{"one lost", []int64{40, 41, 43}, gap{43, 1}},
		{"lowest hole first", []int64{40, 41, 45, 46, 50}, gap{45, 3}},
		{"wider than a page", []int64{1, 2, 1000}, gap{1000, 997}},
		{"gap below the replay page is older history", []int64{9801, 9802, 9803}, gap{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConv(shared.Conversation{ID: "c"})
			for _, s := range tt.held {
				c.merge(shared.Message{ConversationID: "c", Seq: s})
			}
			if got := c.hole(); got != tt.want {
				t.Errorf("hole of %v = %+v, want %+v", tt.held, got, tt.want)
			}
		})
	}
}
