package client

import (
	"slices"
	"testing"

	"natter/shared"
)

// TestPrependRoom: pages prepended one after another give what plain
// prepends give, copy only the page while there is room, and never write
// into a slice handed out before.
func TestPrependRoom(t *testing.T) {
	var buf, s []int
	s = []int{100, 101, 102}
	want := slices.Clone(s)
	var handed, snaps [][]int
	var copies []int
	for page := 0; page < 40; page++ {
		older := []int{-3*page - 3, -3*page - 2, -3*page - 1}
		before := headroom(buf, s)
		buf, s = prependRoom(buf, s, older)
		want = append(slices.Clone(older), want...)
		if !slices.Equal(s, want) {
			t.Fatalf("page %d: %v, want %v", page, s, want)
		}
		if before >= len(older) {
			if headroom(buf, s) != before-len(older) {
				t.Fatalf("page %d: room %d after a prepend into %d", page, headroom(buf, s), before)
			}
		} else {
			copies = append(copies, page)
		}
		handed, snaps = append(handed, slices.Clip(s)), append(snaps, slices.Clone(s))
		// What was handed out still reads as it did.
		for i, h := range handed {
			if !slices.Equal(h, snaps[i]) {
				t.Fatalf("page %d: slice %d handed out changed: %v", page, i, h)
			}
		}
		// Appending at the end stays possible, and changes no handed slice.
		s = append(s, 1000+page)
		want = append(want, 1000+page)
	}
	if len(copies) > 4 {
		t.Errorf("copied everything at pages %v: the room should double", copies)
	}
}

// TestHeadroomOfAReallocatedSlice: a slice that no longer lies in the
// array (an insert grew it) has no room, and the next prepend copies.
func TestHeadroomOfAReallocatedSlice(t *testing.T) {
	buf, s := prependRoom(nil, []int{5, 6}, []int{3, 4})
	if headroom(buf, s) == 0 {
		t.Fatal("no room after the first prepend")
	}
	s = slices.Insert(slices.Clip(s), 1, 9) // reallocates
	if h := headroom(buf, s); h != 0 {
		t.Fatalf("room %d in an array the slice left", h)
	}
	_, s = prependRoom(buf, s, []int{1})
	if !slices.Equal(s, []int{1, 3, 9, 4, 5, 6}) {
		t.Fatalf("got %v", s)
	}
}

// TestOlderPagesKeepRowsAndViews: pages merged in front of a conversation
// whose rows were handed out leave those views as they were, give the
// rows a full rebuild would, and an insert that moves the messages lets
// go of the array they left.
func TestOlderPagesKeepRowsAndViews(t *testing.T) {
	c := newConv(shared.Conversation{ID: "c"})
	for s := int64(1001); s <= 1100; s++ {
		c.merge(shared.Message{ConversationID: "c", Seq: s, Body: "b"})
	}
	var views [][]MsgView
	var snaps [][]int64
	for page := int64(9); page >= 0; page-- {
		views = append(views, c.confirmed())
		snaps = append(snaps, viewSeqs(views[len(views)-1]))
		var ms []shared.Message
		for s := page*100 + 1; s <= page*100+100; s++ {
			ms = append(ms, shared.Message{ConversationID: "c", Seq: s, Body: "b"})
		}
		c.mergeOlder(ms)
		rows := c.confirmed()
		rebuilt := newConv(shared.Conversation{ID: "c"})
		rebuilt.msgs = slices.Clone(c.msgs)
		if !slices.Equal(viewSeqs(rows), viewSeqs(rebuilt.confirmed())) || len(rows) != len(c.msgs) {
			t.Fatalf("page %d: rows %d..%d (%d), want the %d messages held", page, rows[0].Seq, rows[len(rows)-1].Seq, len(rows), len(c.msgs))
		}
		for i, v := range views {
			if !slices.Equal(viewSeqs(v), snaps[i]) {
				t.Fatalf("page %d: a view handed out before page %d changed", page, i)
			}
		}
	}
	if c.msgsBuf == nil || c.rowsBuf == nil {
		t.Fatal("no room kept for the next page")
	}
	c.merge(shared.Message{ConversationID: "c", Seq: 1050, Body: "edited"}) // replaced in place
	c.msgs = slices.Clip(c.msgs)
	c.merge(shared.Message{ConversationID: "c", Seq: 2000, Body: "b"}) // appended past the capacity: moved
	if c.msgsBuf != nil {
		t.Fatal("the array the messages left is still held")
	}
}

func viewSeqs(v []MsgView) []int64 {
	out := make([]int64, len(v))
	for i, m := range v {
		out[i] = m.Seq
	}
	return out
}
