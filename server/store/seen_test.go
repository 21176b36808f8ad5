package store_test

import (
	"reflect"
	"testing"

	"natter/shared"
)

func TestMarkSeen(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	for range 5 {
		MustSend(t, s, g.alice.ID, g.conv.ID, "m")
	}
	steps := []struct {
		name      string
		seq       int64
		wantSeq   int64
		wantMoved bool
	}{
		{"forward", 3, 3, true},
		{"back is ignored", 2, 3, false},
		{"same is ignored", 3, 3, false},
		{"negative is ignored", -1, 3, false},
		{"clamped to newest", 99, 5, true},
		{"past newest again", 100, 5, false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			seen, moved, err := s.MarkSeen(ctx, g.bob.ID, act(), g.conv.ID, st.seq)
			if err != nil || seen.Seq != st.wantSeq || moved != st.wantMoved || seen.UserID != g.bob.ID || seen.Nickname != "bob" || seen.At.IsZero() {
				t.Fatalf("MarkSeen(%d) = %+v moved %v, %v; want seq %d moved %v", st.seq, seen, moved, err, st.wantSeq, st.wantMoved)
			}
		})
	}
	c, _ := s.Conversation(ctx, g.bob.ID, g.conv.ID)
	if m := c.Member(g.bob.ID); m.SeenSeq != 5 || m.SeenAt == nil || c.LastSeq-m.SeenSeq != 0 {
		t.Fatalf("member cursor = %+v", m)
	}
	if n := count(t, s, "SELECT count(*) FROM seen_history WHERE user_id = ?", g.bob.ID); n != 2 {
		t.Fatalf("history rows = %d, want one per move", n)
	}
	t.Run("replay", func(t *testing.T) {
		action := act()
		MustSend(t, s, g.alice.ID, g.conv.ID, "sixth")
		a, movedA, errA := s.MarkSeen(ctx, g.carol.ID, action, g.conv.ID, 6)
		b, movedB, errB := s.MarkSeen(ctx, g.carol.ID, action, g.conv.ID, 6)
		if errA != nil || errB != nil || !reflect.DeepEqual(a, b) || movedA != movedB {
			t.Fatalf("replay = %+v %v %v, first %+v %v %v", b, movedB, errB, a, movedA, errA)
		}
	})
	t.Run("stranger", func(t *testing.T) {
		_, _, err := s.MarkSeen(ctx, g.dave.ID, act(), g.conv.ID, 1)
		wantCode(t, err, shared.CodeNotFound)
	})
}

func TestSeenBy(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	MustSend(t, s, g.alice.ID, g.conv.ID, "1")
	MustSend(t, s, g.bob.ID, g.conv.ID, "2")
	MustSend(t, s, g.alice.ID, g.conv.ID, "3")

	// Bob replied with 2, which counts as having seen 1 (and 2) then.
	if _, moved, _ := s.MarkSeen(ctx, g.bob.ID, act(), g.conv.ID, 1); moved {
		t.Fatal("bob's cursor moved back below his own message")
	}
	bobReply, _ := s.History(ctx, g.bob.ID, g.conv.ID, 3, 1)
	carolAt2, _, _ := s.MarkSeen(ctx, g.carol.ID, act(), g.conv.ID, 2)
	bobAt3, _, _ := s.MarkSeen(ctx, g.bob.ID, act(), g.conv.ID, 3)
	// Alice reads everything: she sent 1 and 3, so she only counts for 2.
	aliceAt3, _, _ := s.MarkSeen(ctx, g.alice.ID, act(), g.conv.ID, 3)

	type who struct {
		user int64
		seq  int64
	}
	tests := []struct {
		seq  int64
		want []who
	}{
		{1, []who{{g.bob.ID, 2}, {g.carol.ID, 2}}},
		{2, []who{{g.alice.ID, 3}, {g.carol.ID, 2}}}, // alice replied with 3 before carol read
		{3, []who{{g.bob.ID, 3}}},
		{4, nil},
	}
	for _, tt := range tests {
		sb, err := s.SeenBy(ctx, g.carol.ID, g.conv.ID, tt.seq)
		if err != nil {
			t.Fatal(err)
		}
		var got []who
		for _, x := range sb.Seen {
			got = append(got, who{x.UserID, x.Seq})
		}
		if !reflect.DeepEqual(got, tt.want) || sb.Seq != tt.seq || sb.ConversationID != g.conv.ID {
			t.Fatalf("SeenBy(%d) = %+v, want %+v", tt.seq, sb, tt.want)
		}
	}
	// The time is when the cursor first reached the message.
	sb, _ := s.SeenBy(ctx, g.alice.ID, g.conv.ID, 1)
	if sb.Seen[0].At.Before(bobReply.Messages[0].CreatedAt) || !sb.Seen[1].At.Equal(carolAt2.At) || sb.Seen[0].Nickname != "bob" {
		t.Fatalf("times = %+v; want bob %v carol %v (not later %v, %v)", sb.Seen, bobReply.Messages[0].CreatedAt, carolAt2.At, bobAt3.At, aliceAt3.At)
	}
	_, err := s.SeenBy(ctx, g.dave.ID, g.conv.ID, 1)
	wantCode(t, err, shared.CodeNotFound)
}
