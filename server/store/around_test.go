package store_test

import (
	"fmt"
	"testing"

	"natter/server/store"
	"natter/shared"
)

// history.around opens a conversation in the middle: a page centred on the
// seq, full at either end, with More and Newer saying what lies beyond, and
// nothing for a stranger or for a seq the conversation does not have.
func TestHistoryAround(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	const n = 120
	batch := make([]store.SendRequest, n)
	for i := range batch {
		batch[i] = store.SendRequest{UserID: g.bob.ID, ActionID: act(), ConversationID: g.conv.ID, Body: fmt.Sprintf("m%d", i+1)}
	}
	for _, r := range s.SendMessages(ctx, batch) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	for _, c := range []struct {
		seq            int64
		limit          int
		lo, hi         int64
		older, newerOK bool
	}{
		{seq: 60, limit: 20, lo: 50, hi: 69, older: true, newerOK: true},
		{seq: 1, limit: 20, lo: 1, hi: 20, older: false, newerOK: true},
		{seq: 3, limit: 20, lo: 1, hi: 20, older: false, newerOK: true},
		{seq: n, limit: 20, lo: n - 19, hi: n, older: true, newerOK: false},
		{seq: 7, limit: 1000, lo: 1, hi: n, older: false, newerOK: false}, // capped at HistoryPageMax, which holds them all
	} {
		h, err := s.HistoryAround(ctx, g.carol.ID, g.conv.ID, c.seq, c.limit)
		if err != nil {
			t.Fatalf("around %d: %v", c.seq, err)
		}
		got := h.Messages
		if len(got) == 0 || got[0].Seq != c.lo || got[len(got)-1].Seq != c.hi || int64(len(got)) != c.hi-c.lo+1 {
			t.Fatalf("around %d limit %d: %d messages from %d, want %d..%d", c.seq, c.limit, len(got), got[0].Seq, c.lo, c.hi)
		}
		if h.More != c.older || h.Newer != c.newerOK {
			t.Errorf("around %d: more=%v newer=%v, want %v %v", c.seq, h.More, h.Newer, c.older, c.newerOK)
		}
		if want := fmt.Sprintf("m%d", c.seq); got[c.seq-c.lo].Body != want {
			t.Errorf("around %d: the message there says %q, want %q", c.seq, got[c.seq-c.lo].Body, want)
		}
	}
	_, err := s.HistoryAround(ctx, g.dave.ID, g.conv.ID, 5, 10)
	wantCode(t, err, shared.CodeNotFound)
	for _, seq := range []int64{0, -1, n + 1} {
		_, err := s.HistoryAround(ctx, g.alice.ID, g.conv.ID, seq, 10)
		wantCode(t, err, shared.CodeSeqOutOfRange)
	}
	_, err = s.HistoryAround(ctx, g.alice.ID, "not-a-uuid", 5, 10)
	if err == nil {
		t.Fatal("a malformed conversation id was accepted")
	}
}
