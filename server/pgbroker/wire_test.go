package pgbroker

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"natter/server/hub"
)

// mustPayload returns a JSON envelope of about n bytes.
func mustPayload(tb testing.TB, i, n int) []byte {
	tb.Helper()
	body := strings.Repeat("x", max(0, n-60))
	b, err := json.Marshal(map[string]any{"type": "message.created", "seq": i, "data": map[string]string{"body": body}})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// mustEvents returns count events with payloads of about size bytes.
func mustEvents(tb testing.TB, count, size int) []hub.Event {
	tb.Helper()
	evs := make([]hub.Event, count)
	for i := range evs {
		evs[i] = hub.Event{UserIDs: []int64{int64(i + 1), 1000}, Payload: mustPayload(tb, i, size), Ephemeral: i%3 == 0, ExceptSession: int64(i % 2)}
	}
	return evs
}

func TestEncodeEvents(t *testing.T) {
	tests := []struct {
		name      string
		evs       []hub.Event
		wantParts int // 0: more than one
		spills    int
	}{
		{"one small event", mustEvents(t, 1, 100), 1, 0},
		{"many events fitting one payload", mustEvents(t, 10, 300), 1, 0},
		{"batch far over a payload", mustEvents(t, 200, 400), 0, 0},
		{"one event over a payload", mustEvents(t, 1, 20_000), 1, 1},
		{"spills among small ones", append(append(mustEvents(t, 5, 100), mustEvents(t, 2, 9000)...), mustEvents(t, 5, 100)...), 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := encodeEvents("0123456789abcdef", 42, tt.evs)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantParts > 0 && len(m.payloads) != tt.wantParts || tt.wantParts == 0 && len(m.payloads) < 2 {
				t.Errorf("%d payloads, want %d (0: several)", len(m.payloads), tt.wantParts)
			}
			if len(m.spills) != tt.spills {
				t.Errorf("%d spills, want %d", len(m.spills), tt.spills)
			}
			spilled := map[string][]byte{}
			for _, s := range m.spills {
				spilled[s.key] = s.payload
			}
			var got []hub.Event
			for i, p := range m.payloads {
				if len(p) > MaxPayload {
					t.Errorf("payload %d is %d bytes, over %d", i, len(p), MaxPayload)
				}
				var f frame
				if err := json.Unmarshal([]byte(p), &f); err != nil {
					t.Fatalf("payload %d: %v", i, err)
				}
				if f.Origin != "0123456789abcdef" || f.Batch != 42 || f.Part != i || f.Parts != len(m.payloads) {
					t.Errorf("payload %d header %+v", i, f)
				}
				for _, we := range f.Events {
					if we.Spill != "" {
						raw, ok := spilled[we.Spill]
						if !ok {
							t.Fatalf("payload %d names unknown spill %q", i, we.Spill)
						}
						we = wireEvent{}
						if err := json.Unmarshal(raw, &we); err != nil {
							t.Fatal(err)
						}
					}
					got = append(got, hub.Event{UserIDs: we.UserIDs, Payload: []byte(we.Payload), Ephemeral: we.Ephemeral, ExceptSession: we.ExceptSession})
				}
			}
			mustEqualEvents(t, got, tt.evs)
		})
	}
}

func TestEncodeEventsRejectsInvalidJSON(t *testing.T) {
	evs := []hub.Event{{UserIDs: []int64{1}, Payload: []byte(`{"ok":1}`)}, {UserIDs: []int64{1}, Payload: []byte(`not json`)}}
	if _, err := encodeEvents("o", 1, evs); err == nil || !strings.Contains(err.Error(), "event 1") {
		t.Fatalf("err %v, want one naming event 1", err)
	}
}

func TestControlCheck(t *testing.T) {
	tests := []struct {
		c    Control
		want string // "" for valid
	}{
		{Control{Kind: KindDisconnectUser, UserID: 1}, ""},
		{Control{Kind: KindDisconnectUser}, "needs a user id"},
		{Control{Kind: KindDisconnectSession, SessionID: 2}, ""},
		{Control{Kind: KindDisconnectSession, UserID: 2}, "needs a session id"},
		{Control{Kind: KindPublish}, ""},
		{Control{Kind: "reboot"}, `unknown control kind "reboot"`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d/%d", tt.c.Kind, tt.c.UserID, tt.c.SessionID), func(t *testing.T) {
			err := tt.c.check()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("check: %v, want %q", err, tt.want)
			}
		})
	}
}

// mustEqualEvents fails unless got and want hold the same events in order.
func mustEqualEvents(tb testing.TB, got, want []hub.Event) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !slices.Equal(g.UserIDs, w.UserIDs) || string(g.Payload) != string(w.Payload) ||
			g.Ephemeral != w.Ephemeral || g.ExceptSession != w.ExceptSession {
			tb.Fatalf("event %d differs:\n got users %v eph %v except %d payload %.80s\nwant users %v eph %v except %d payload %.80s",
				i, g.UserIDs, g.Ephemeral, g.ExceptSession, g.Payload, w.UserIDs, w.Ephemeral, w.ExceptSession, w.Payload)
		}
	}
}
