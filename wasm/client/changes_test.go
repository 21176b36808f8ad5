package client

import (
	"testing"
	"time"

	"natter/shared"
)

// The event cursor moves only over what is surely held: a range past a gap
// waits until the gap is filled.
func TestAdvanceEvents(t *testing.T) {
	c := newConv(shared.Conversation{ID: "c"})
	steps := []struct {
		from, to, want int64
	}{
		{0, 1, 1},
		{2, 3, 1}, // event 2 not seen yet
		{3, 6, 1},
		{1, 2, 6}, // fills the gap: (2,3] and (3,6] follow
		{3, 5, 6}, // old news
		{6, 9, 9},
	}
	for i, s := range steps {
		c.advanceEvents(s.from, s.to)
		if c.events != s.want {
			t.Fatalf("step %d (%d,%d]: cursor %d, want %d", i, s.from, s.to, c.events, s.want)
		}
	}
}

// Copies of a message arriving in any order end on the newest state; a
// deletion is never undone by an older copy.
func TestMergeKeepsNewestState(t *testing.T) {
	now := time.Now()
	v0 := shared.Message{ID: 1, ConversationID: "c", Seq: 1, Body: "v0"}
	v2 := shared.Message{ID: 1, ConversationID: "c", Seq: 1, Body: "v2", EventSeq: 2, EditedAt: &now}
	gone := shared.Message{ID: 1, ConversationID: "c", Seq: 1, EventSeq: 3, DeletedAt: &now}
	erased := shared.Message{ID: 1, ConversationID: "c", Seq: 1, DeletedAt: &now} // an account deletion's re-publish
	orders := [][]shared.Message{{v0, v2, gone}, {gone, v2, v0}, {v2, gone, v0}, {v0, erased, v2}}
	for i, order := range orders {
		c := newConv(shared.Conversation{ID: "c"})
		for _, m := range order {
			c.merge(m)
		}
		if got := c.msgs[0]; got.DeletedAt == nil || got.Body != "" {
			t.Errorf("order %d ends on %+v", i, got)
		}
	}
	c := newConv(shared.Conversation{ID: "c"})
	c.merge(v2)
	c.merge(v0)
	if c.msgs[0].Body != "v2" {
		t.Errorf("an older copy undid an edit: %+v", c.msgs[0])
	}
}

func TestWithReaction(t *testing.T) {
	rs := []shared.Reaction{{Emoji: "👍", UserIDs: []int64{1}}}
	got := withReaction(rs, "👍", 2, true)
	if len(got) != 1 || len(got[0].UserIDs) != 2 || len(rs[0].UserIDs) != 1 {
		t.Fatalf("add: %+v (input %+v)", got, rs)
	}
	if got := withReaction(rs, "👍", 1, false); len(got) != 0 {
		t.Fatalf("remove the last: %+v", got)
	}
	if got := withReaction(nil, "🎉", 1, true); len(got) != 1 || got[0].Emoji != "🎉" {
		t.Fatalf("new emoji: %+v", got)
	}
}
