package store_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"natter/server/store"
	"natter/shared"
)

func TestBlockUnblockList(t *testing.T) {
	s := MustStore(t)
	alice, bob, carol := MustUser(t, s, "alice"), MustUser(t, s, "bob"), MustUser(t, s, "carol")

	t.Run("refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			blocked int64
			code    string
		}{
			{"yourself", alice.ID, shared.CodeInvalid},
			{"unknown person", 424242, shared.CodeUserNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.BlockUser(ctx, alice.ID, tc.blocked)
				wantCode(t, err, tc.code)
				if n := count(t, s, `SELECT count(*) FROM blocks`); n != 0 {
					t.Fatalf("%d blocks after a refusal", n)
				}
			})
		}
	})

	first, err := s.BlockUser(ctx, alice.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if first.UserID != bob.ID || first.Nickname != "bob" || first.CreatedAt.IsZero() {
		t.Fatalf("block = %+v", first)
	}
	again, err := s.BlockUser(ctx, alice.ID, bob.ID)
	if err != nil || again != first {
		t.Fatalf("blocking twice = %+v, %v; want the first block %+v", again, err, first)
	}
	if _, err := s.BlockUser(ctx, alice.ID, carol.ID); err != nil {
		t.Fatal(err)
	}
	list := func(user int64) []string {
		t.Helper()
		bs, err := s.Blocks(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for _, b := range bs {
			names = append(names, b.Nickname)
		}
		return names
	}
	if got, want := list(alice.ID), []string{"carol", "bob"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("alice's blocks = %v, want %v (newest first)", got, want)
	}
	if got := list(bob.ID); len(got) != 0 {
		t.Fatalf("bob sees blocks %v that are alice's", got)
	}

	for _, want := range []bool{true, false} {
		removed, err := s.UnblockUser(ctx, alice.ID, bob.ID)
		if err != nil || removed != want {
			t.Fatalf("unblock = %v, %v; want %v", removed, err, want)
		}
	}
	if got, want := list(alice.ID), []string{"carol"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after unblock: %v, want %v", got, want)
	}
}

func TestBlockQuota(t *testing.T) {
	s := MustStore(t)
	alice, bob := MustUser(t, s, "alice"), MustUser(t, s, "bob")
	_, err := s.DB.NewRaw(`WITH u AS (
			INSERT INTO users (email, nickname, password_hash)
			SELECT 'q' || g || '@example.com', 'q' || g, 'x' FROM generate_series(1, ?) g RETURNING id)
		INSERT INTO blocks (blocker_id, blocked_id) SELECT ?, id FROM u`, shared.MaxBlocks, alice.ID).Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.BlockUser(ctx, alice.ID, bob.ID)
	wantCode(t, err, shared.CodeTooManyBlocks)
	var one int64
	if err := s.DB.NewRaw(`SELECT blocked_id FROM blocks WHERE blocker_id = ? LIMIT 1`, alice.ID).Scan(ctx, &one); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BlockUser(ctx, alice.ID, one); err != nil {
		t.Fatalf("blocking an already blocked person at the quota: %v", err)
	}
}

// blockFixture: bob and carol blocked alice; dave did not; alice blocked
// erin.
type blockFixture struct {
	s                             *store.Store
	alice, bob, carol, dave, erin store.UserRecord
}

func mustBlocks(t *testing.T) blockFixture {
	t.Helper()
	s := MustStore(t)
	f := blockFixture{s: s, alice: MustUser(t, s, "alice"), bob: MustUser(t, s, "bob"),
		carol: MustUser(t, s, "carol"), dave: MustUser(t, s, "dave"), erin: MustUser(t, s, "erin")}
	for _, p := range [][2]int64{{f.bob.ID, f.alice.ID}, {f.carol.ID, f.alice.ID}, {f.alice.ID, f.erin.ID}} {
		if _, err := s.BlockUser(ctx, p[0], p[1]); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestBlockedCannotBringInTheBlocker(t *testing.T) {
	f := mustBlocks(t)
	s := f.s
	group := MustConv(t, s, f.alice.ID, "team", f.dave.ID)
	create := func(title string, members ...int64) func() error {
		return func() error {
			_, err := s.CreateConversation(ctx, f.alice.ID, act(), shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: title, MemberIDs: members})
			return err
		}
	}
	for _, tc := range []struct {
		name string
		do   func() error
		code string
		msg  string
	}{
		{"one-to-one with a blocker", create("", f.bob.ID), shared.CodeBlocked, "bob is not accepting new conversations from you."},
		{"titled pair with a blocker", create("us", f.bob.ID), shared.CodeBlocked, "bob is not accepting"},
		{"group of blockers only", create("", f.bob.ID, f.carol.ID), shared.CodeBlocked, "None of the people"},
		{"add a blocker", func() error { _, err := s.AddMember(ctx, f.alice.ID, act(), group.ID, f.bob.ID); return err },
			shared.CodeBlocked, "bob is not accepting"},
		{"blocker's own one-to-one with the person they blocked", create("", f.erin.ID), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := count(t, s, `SELECT count(*) FROM conversation_members`)
			err := tc.do()
			wantCode(t, err, tc.code)
			if tc.code == "" {
				return
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q, want it to contain %q", err, tc.msg)
			}
			if after := count(t, s, `SELECT count(*) FROM conversation_members`); after != before {
				t.Fatalf("members %d -> %d: a refused action wrote something", before, after)
			}
		})
	}

	t.Run("refusal is not recorded: the same action works after unblocking", func(t *testing.T) {
		id, req := act(), shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{f.carol.ID}}
		_, err := s.CreateConversation(ctx, f.alice.ID, id, req)
		wantCode(t, err, shared.CodeBlocked)
		if _, err := s.UnblockUser(ctx, f.carol.ID, f.alice.ID); err != nil {
			t.Fatal(err)
		}
		c, err := s.CreateConversation(ctx, f.alice.ID, id, req)
		if err != nil || c.Member(f.carol.ID) == nil {
			t.Fatalf("retry after unblock = %+v, %v", c, err)
		}
	})
}

func TestGroupLeavesBlockersOut(t *testing.T) {
	f := mustBlocks(t)
	s := f.s
	id := act()
	req := shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{f.bob.ID, f.dave.ID, f.carol.ID}}
	got, err := s.CreateConversationReport(ctx, f.alice.ID, id, req)
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, m := range got.Members {
		members = append(members, m.Nickname)
	}
	if want := []string{"alice", "dave"}; !reflect.DeepEqual(members, want) {
		t.Fatalf("members %v, want %v", members, want)
	}
	want := []shared.LeftOut{
		{UserID: f.bob.ID, Nickname: "bob", Reason: shared.CodeBlocked},
		{UserID: f.carol.ID, Nickname: "carol", Reason: shared.CodeBlocked},
	}
	if !reflect.DeepEqual(got.LeftOut, want) {
		t.Fatalf("left out %+v, want %+v", got.LeftOut, want)
	}
	// The replay answers from applied_actions, even once nobody blocks
	// anyone any more.
	for _, u := range []int64{f.bob.ID, f.carol.ID} {
		if _, err := s.UnblockUser(ctx, u, f.alice.ID); err != nil {
			t.Fatal(err)
		}
	}
	again, err := s.CreateConversationReport(ctx, f.alice.ID, id, req)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != got.ID || !reflect.DeepEqual(again.LeftOut, want) {
		t.Fatalf("replay = %s left out %+v; want %s and %+v", again.ID, again.LeftOut, got.ID, want)
	}
}

func TestBlockLeavesExistingConversationsAlone(t *testing.T) {
	s := MustStore(t)
	alice, bob := MustUser(t, s, "alice"), MustUser(t, s, "bob")
	direct := MustConv(t, s, alice.ID, "", bob.ID)
	group := MustConv(t, s, alice.ID, "team", bob.ID)
	if _, err := s.BlockUser(ctx, bob.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []shared.Conversation{direct, group} {
		MustSend(t, s, alice.ID, c.ID, "still here")
		got, err := s.Conversation(ctx, bob.ID, c.ID)
		if err != nil || got.Member(alice.ID) == nil {
			t.Fatalf("%s after the block: %+v, %v", c.Title, got, err)
		}
	}
	again, err := s.CreateConversation(ctx, alice.ID, act(), shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID}})
	if err != nil || again.ID != direct.ID {
		t.Fatalf("asking again for the shared one-to-one = %s, %v; want %s", again.ID, err, direct.ID)
	}
}

// TestLeaveEveryKind checks that anyone can leave any kind of conversation,
// except the owner of an open group with others in it, who is told to hand
// ownership over first; a conversation always keeps exactly one owner.
func TestLeaveEveryKind(t *testing.T) {
	s := MustStore(t)
	us := MustUsers(t, s, "u", 3)
	closed := MustConv(t, s, us[0].ID, "closed", us[1].ID)
	closedGroup := MustConv(t, s, us[0].ID, "closed too", us[1].ID, us[2].ID)
	for _, c := range []shared.Conversation{closed, closedGroup} {
		if _, err := s.CloseConversation(ctx, us[0].ID, act(), c.ID); err != nil {
			t.Fatal(err)
		}
	}
	for i, tc := range []struct {
		name  string
		conv  shared.Conversation
		user  int64
		code  string
		after int // members left
	}{
		{"one-to-one, owner", MustConv(t, s, us[0].ID, "", us[1].ID), us[0].ID, "", 1},
		{"one-to-one, other", MustConv(t, s, us[0].ID, "", us[2].ID), us[2].ID, "", 1},
		{"group, member", MustConv(t, s, us[0].ID, "g", us[1].ID, us[2].ID), us[1].ID, "", 2},
		{"group, owner with others", MustConv(t, s, us[0].ID, "g", us[1].ID), us[0].ID, shared.CodeOwnerCannotLeave, 2},
		{"closed group, member", closed, us[1].ID, "", 1},
		{"closed group, owner with others", closedGroup, us[0].ID, "", 2},
	} {
		t.Run(fmt.Sprint(i, " ", tc.name), func(t *testing.T) {
			_, err := s.LeaveConversation(ctx, tc.user, act(), tc.conv.ID)
			wantCode(t, err, tc.code)
			if n := count(t, s, `SELECT count(*) FROM conversation_members WHERE conversation_id = ?`, tc.conv.ID); n != tc.after {
				t.Fatalf("%d members after, want %d", n, tc.after)
			}
			if n := count(t, s, `SELECT count(*) FROM conversation_members WHERE conversation_id = ? AND owner`, tc.conv.ID); n != 1 {
				t.Fatalf("%d owners after, want exactly one", n)
			}
		})
	}
}
