package chat

import (
	"strings"
	"testing"

	"natter/shared"
)

// TestChangePages: a live event's messages are split into pages that fit
// a frame, each message once and in order; only the last page says the
// event is complete, so a device that lost a page asks for it on resume.
func TestChangePages(t *testing.T) {
	msgs := func(n, body int) []shared.Message {
		out := make([]shared.Message, n)
		for i := range out {
			out[i] = shared.Message{Seq: int64(i + 1), Body: strings.Repeat("x", body)}
		}
		return out
	}
	tests := []struct {
		name  string
		msgs  []shared.Message
		pages int
	}{
		{"none", nil, 0},
		{"one", msgs(1, 10), 1},
		{"a full page", msgs(changesPage, 0), 1},
		{"by count", msgs(changesPage+1, 0), 2},
		{"by size", msgs(3*changesPageBytes/shared.DefaultBodyMax, shared.DefaultBodyMax), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := ChangePages("c", 7, tt.msgs)
			if len(pages) != tt.pages {
				t.Fatalf("%d pages, want %d", len(pages), tt.pages)
			}
			var seq int64
			for i, p := range pages {
				want := int64(6)
				if i == len(pages)-1 {
					want = 7
				}
				if p.ConversationID != "c" || p.From != 6 || p.EventSeq != want || len(p.Messages) == 0 {
					t.Errorf("page %d covers (%d,%d] with %d messages, want (6,%d]", i, p.From, p.EventSeq, len(p.Messages), want)
				}
				size := 0
				for _, m := range p.Messages {
					if m.Seq != seq+1 {
						t.Fatalf("page %d: message %d after %d", i, m.Seq, seq)
					}
					seq = m.Seq
					size += len(m.Body)
				}
				if size > changesPageBytes {
					t.Errorf("page %d holds %d bytes of bodies", i, size)
				}
			}
			if seq != int64(len(tt.msgs)) {
				t.Errorf("%d of %d messages paged", seq, len(tt.msgs))
			}
		})
	}
}
