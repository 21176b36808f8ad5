package natsbroker

import (
	"fmt"
	"slices"
	"testing"

	"natter/server/hub"
)

// Each user's subject gets their events, in order, whatever the message
// size limit cuts; presence goes to the nodes subject; nothing else leaks.
func TestEncodeDecode(t *testing.T) {
	var evs []hub.Event
	for i := range 20 {
		evs = append(evs, hub.Event{UserIDs: []int64{1, int64(2 + i%2)}, Payload: []byte(fmt.Sprintf(`{"seq":%d}`, i)), ExceptSession: int64(i)})
	}
	evs = append(evs, hub.Event{Presence: &hub.NodePresence{Node: "n", ConversationID: "X"}})
	for _, tc := range []struct {
		name  string
		limit int
		min   int // messages at least
	}{
		{"one message per subject", maxMessage, 4},
		{"cut small", 60, 21},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := encode("origin", evs, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) < tc.min {
				t.Fatalf("%d messages, want at least %d", len(msgs), tc.min)
			}
			got := map[int64][]string{}
			for _, m := range msgs {
				origin, des, err := decode(m.data, m.user)
				if err != nil || origin != "origin" {
					t.Fatalf("decode %s: %q %v", m.data, origin, err)
				}
				for _, e := range des {
					if m.user == 0 {
						if e.Presence == nil || e.Presence.ConversationID != "X" {
							t.Fatalf("nodes subject carried %+v", e)
						}
						got[0] = append(got[0], "presence")
						continue
					}
					if !slices.Equal(e.UserIDs, []int64{m.user}) {
						t.Fatalf("user %d's message addressed to %v", m.user, e.UserIDs)
					}
					got[m.user] = append(got[m.user], string(e.Payload))
				}
			}
			want := map[int64][]string{0: {"presence"}}
			for i := range 20 {
				p := fmt.Sprintf(`{"seq":%d}`, i)
				want[1] = append(want[1], p)
				want[int64(2+i%2)] = append(want[int64(2+i%2)], p)
			}
			for u, w := range want {
				if !slices.Equal(got[u], w) {
					t.Fatalf("subject %d got %v, want %v", u, got[u], w)
				}
			}
		})
	}
}
