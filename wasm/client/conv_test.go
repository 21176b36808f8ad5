package client

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"natter/shared"
)

func seqs(c *conv) []int64 {
	out := make([]int64, len(c.msgs))
	for i, m := range c.msgs {
		out[i] = m.Seq
	}
	return out
}

func TestMergeDedupesAnySourceOrder(t *testing.T) {
	c := newConv(shared.Conversation{ID: "c"})
	var in []shared.Message
	for s := int64(1); s <= 50; s++ {
		m := shared.Message{ConversationID: "c", Seq: s, Body: "b"}
		in = append(in, m, m, m) // ack, live event and replay of the same message
	}
	rand.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	for _, m := range in {
		c.merge(m)
	}
	got := seqs(c)
	if len(got) != 50 {
		t.Fatalf("held %d, want 50", len(got))
	}
	for i, s := range got {
		if s != int64(i+1) {
			t.Fatalf("position %d holds seq %d", i, s)
		}
	}
	if c.c.LastSeq != 50 || c.c.Preview == nil || c.c.Preview.Seq != 50 {
		t.Errorf("LastSeq %d preview %v", c.c.LastSeq, c.c.Preview)
	}
	del := time.Now()
	if !c.merge(shared.Message{ConversationID: "c", Seq: 7, Body: "", DeletedAt: &del}) || c.msgs[6].DeletedAt == nil {
		t.Error("a changed copy does not replace the held one")
	}
}

func TestCursor(t *testing.T) {
	tests := []struct {
		name  string
		held  []int64
		cut   int64
		want  int64
		older bool
	}{
		{"nothing", nil, 0, 0, false},
		{"contiguous", []int64{1, 2, 3}, 0, 3, false},
		{"hole stops it", []int64{1, 2, 3, 5, 6}, 0, 3, false},
		{"newest page after trim", []int64{101, 102, 103}, 0, 103, true},
		{"replay cut below old cache", []int64{1, 2, 3, 9801, 9802}, 9801, 9802, true},
		{"cut below nothing held", []int64{5, 6}, 2, 6, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConv(shared.Conversation{ID: "c"})
			for _, s := range tt.held {
				c.merge(shared.Message{ConversationID: "c", Seq: s})
			}
			if tt.cut > 0 {
				c.cutBelow(tt.cut)
			}
			if got := c.cursor(); got != tt.want {
				t.Errorf("cursor %d, want %d", got, tt.want)
			}
			if got := c.hasOlder(); got != tt.older {
				t.Errorf("hasOlder %v, want %v", got, tt.older)
			}
		})
	}
}

func TestPendingCopyVanishesWhenConfirmedCopyArrives(t *testing.T) {
	e := mustOfflineEngine(t, NewMemoryStorage())
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, 2)
	id, err := e.Send(conv, "mine")
	if err != nil {
		t.Fatal(err)
	}
	if m := e.Messages(conv); len(m) != 3 || m[2].State != MsgQueued {
		t.Fatalf("before: %d messages", len(m))
	}
	// The live event reaches this device before the ack does.
	e.mu.Lock()
	e.mergeMessage(shared.Message{ConversationID: conv, Seq: 3, SenderID: 7, Body: "mine", ActionID: id})
	outbox := len(e.outbox)
	e.mu.Unlock()
	m := e.Messages(conv)
	if len(m) != 3 || m[2].State != MsgSent || m[2].Seq != 3 {
		t.Fatalf("after the event: %d messages, last %+v", len(m), m[len(m)-1])
	}
	if outbox != 1 {
		t.Errorf("the outbox entry left before its ack")
	}
}

func TestBackoffBounds(t *testing.T) {
	for n := 1; n <= 40; n++ {
		ceil := min(BackoffMax, BackoffBase<<min(n-1, 16))
		if d := backoff(n, 0); d != 0 {
			t.Errorf("attempt %d with r=0: %v", n, d)
		}
		if d := backoff(n, 0.999999); d > ceil || d < ceil*99/100 {
			t.Errorf("attempt %d with r≈1: %v, ceiling %v", n, d, ceil)
		}
	}
	if d := backoff(100, 0.5); d != BackoffMax/2 {
		t.Errorf("large attempt: %v", d)
	}
}

// A page of history merged at once holds what merging its messages one at
// a time holds, whatever the page's order and overlap with what is held.
func TestMergeOlderMatchesMergingEach(t *testing.T) {
	msg := func(s int64) shared.Message {
		return shared.Message{ConversationID: "c", Seq: s, Body: "b", ActionID: fmt.Sprint("a", s)}
	}
	run := func(from, to int64, step int64) []shared.Message {
		var out []shared.Message
		for s := from; s != to+step; s += step {
			out = append(out, msg(s))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		held []shared.Message
		page []shared.Message
	}{
		{"older page, oldest first", run(101, 200, 1), run(1, 100, 1)},
		{"older page, newest first", run(101, 200, 1), run(100, 1, -1)},
		{"overlapping the held", run(101, 200, 1), run(51, 150, 1)},
		{"nothing held", nil, run(1, 100, 1)},
		{"a seq twice", run(11, 20, 1), append(run(1, 10, 1), msg(5))},
		{"empty page", run(1, 10, 1), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			each, page := newConv(shared.Conversation{ID: "c"}), newConv(shared.Conversation{ID: "c"})
			for _, m := range tc.held {
				each.merge(m)
				page.merge(m)
			}
			rev := page.rev
			wantChanged := false
			for _, m := range tc.page {
				wantChanged = each.merge(m) || wantChanged
			}
			if got := page.mergeOlder(tc.page); got != wantChanged {
				t.Fatalf("changed %v, want %v", got, wantChanged)
			}
			if fmt.Sprint(seqs(page)) != fmt.Sprint(seqs(each)) {
				t.Fatalf("held %v, want %v", seqs(page), seqs(each))
			}
			if fmt.Sprint(page.actions) != fmt.Sprint(each.actions) || page.c.LastSeq != each.c.LastSeq {
				t.Fatalf("actions %v last %d, want %v %d", page.actions, page.c.LastSeq, each.actions, each.c.LastSeq)
			}
			if wantChanged && page.rev == rev {
				t.Fatal("the revision did not change")
			}
		})
	}
}
