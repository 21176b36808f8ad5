package store_test

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	"natter/shared"
)

func TestCreateConversation(t *testing.T) {
	s := MustStore(t)
	alice, bob, carol := MustUser(t, s, "alice"), MustUser(t, s, "Bob"), MustUser(t, s, "carol")
	gone := MustUser(t, s, "gone")
	if err := s.SetUserDisabled(ctx, gone.ID, true); err != nil {
		t.Fatal(err)
	}

	c := MustConv(t, s, alice.ID, "", carol.ID, bob.ID, bob.ID, alice.ID)
	if c.Title != "alice, Bob, carol" || c.Named || c.Direct || c.CreatedBy != alice.ID || len(c.Members) != 3 || c.Owner() != alice.ID {
		t.Fatalf("group = %+v", c)
	}
	named := MustConv(t, s, alice.ID, "  Trip  ", bob.ID)
	if named.Title != "Trip" || !named.Named || named.Direct {
		t.Fatalf("named = %+v", named)
	}
	bobs := MustConv(t, s, bob.ID, "bob's", alice.ID) // alice is in it but did not make it

	tests := []struct {
		name string
		req  shared.ConversationCreate
		code string
	}{
		{"bad id", shared.ConversationCreate{ID: "nope", MemberIDs: []int64{bob.ID}}, shared.CodeInvalid},
		{"id taken", shared.ConversationCreate{ID: bobs.ID, Title: "x", MemberIDs: []int64{bob.ID}}, shared.CodeInvalid},
		{"nobody else", shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{alice.ID}}, shared.CodeInvalid},
		{"unknown user", shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{bob.ID, 98765}}, shared.CodeUserNotFound},
		{"disabled user", shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{gone.ID}}, shared.CodeUserNotFound},
		{"title too long", shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: strings.Repeat("é", shared.TitleMax+1), MemberIDs: []int64{bob.ID}}, shared.CodeTitleTooLong},
		{"too many", shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: manyIDs(shared.MaxMembers)}, shared.CodeTooManyMembers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateConversation(ctx, alice.ID, act(), tt.req)
			wantCode(t, err, tt.code)
		})
	}
	if n := count(t, s, "SELECT count(*) FROM conversations"); n != 3 {
		t.Fatalf("conversations = %d, want 3: failures must create nothing", n)
	}
	if n := count(t, s, "SELECT count(*) FROM applied_actions"); n != 3 {
		t.Fatalf("applied actions = %d, want 3: failures are not recorded", n)
	}
}

func manyIDs(n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(1000 + i)
	}
	return ids
}

func TestCreateConversationReplay(t *testing.T) {
	s := MustStore(t)
	alice, bob := MustUser(t, s, "alice"), MustUser(t, s, "bob")
	req := shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "t", MemberIDs: []int64{bob.ID}}
	action := act()
	first, err := s.CreateConversation(ctx, alice.ID, action, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.CreateConversation(ctx, alice.ID, action, req)
	if err != nil || !reflect.DeepEqual(first, again) {
		t.Fatalf("replay = %+v, %v; want %+v", again, err, first)
	}
	// The same action id for another kind of action is refused.
	_, err = s.SendMessage(ctx, alice.ID, action, first.ID, "hi")
	wantCode(t, err, shared.CodeInvalid)

	// Replayed after housekeeping pruned its record: the creator still gets
	// the conversation; someone else naming that id does not.
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM applied_actions`); err != nil {
		t.Fatal(err)
	}
	late, err := s.CreateConversation(ctx, alice.ID, action, req)
	if err != nil || late.ID != first.ID {
		t.Fatalf("replay after pruning = %+v, %v; want %s", late, err, first.ID)
	}
	_, err = s.CreateConversation(ctx, bob.ID, act(), req)
	wantCode(t, err, shared.CodeInvalid)
}

func TestDirectConversationDedupe(t *testing.T) {
	s := MustStore(t)
	alice, bob, carol := MustUser(t, s, "alice"), MustUser(t, s, "bob"), MustUser(t, s, "carol")

	first := MustConv(t, s, alice.ID, "", bob.ID)
	if !first.Direct || first.Title != "alice, bob" {
		t.Fatalf("direct = %+v", first)
	}
	// Bob starting a one-to-one with Alice gets the same conversation.
	again, err := s.CreateConversation(ctx, bob.ID, act(), shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{alice.ID}})
	if err != nil || again.ID != first.ID {
		t.Fatalf("second create = %+v, %v; want existing %s", again, err, first.ID)
	}
	// A title makes it a group, not the one-to-one.
	if c := MustConv(t, s, alice.ID, "just us", bob.ID); c.ID == first.ID || c.Direct {
		t.Fatalf("titled = %+v", c)
	}
	_, err = s.AddMember(ctx, alice.ID, act(), first.ID, carol.ID)
	wantCode(t, err, shared.CodeInvalid)
	// Once closed, a fresh one-to-one can start.
	if _, err := s.CloseConversation(ctx, alice.ID, act(), first.ID); err != nil {
		t.Fatal(err)
	}
	fresh := MustConv(t, s, bob.ID, "", alice.ID)
	if fresh.ID == first.ID || !fresh.Direct {
		t.Fatalf("after close = %+v", fresh)
	}
}

func TestDirectConversationConcurrent(t *testing.T) {
	s := MustStore(t)
	alice, bob := MustUser(t, s, "alice"), MustUser(t, s, "bob")
	var wg sync.WaitGroup
	ids := make([]string, 10)
	errs := make([]error, 10)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			me, other := alice.ID, bob.ID
			if i%2 == 1 {
				me, other = other, me
			}
			c, err := s.CreateConversation(ctx, me, act(), shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{other}})
			ids[i], errs[i] = c.ID, err
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("create %d = %s, %v; want %s", i, ids[i], errs[i], ids[0])
		}
	}
	if n := count(t, s, "SELECT count(*) FROM conversations"); n != 1 {
		t.Fatalf("conversations = %d", n)
	}
}

func TestDerivedTitleFollowsRenames(t *testing.T) {
	s := MustStore(t)
	alice, bob := MustUser(t, s, "alice"), MustUser(t, s, "bob")
	c := MustConv(t, s, alice.ID, "", bob.ID)
	nick := "Zed"
	if _, err := s.UpdateUser(ctx, alice.ID, &nick, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Conversation(ctx, bob.ID, c.ID)
	if err != nil || got.Title != "bob, Zed" {
		t.Fatalf("after rename = %q, %v", got.Title, err)
	}
}

func TestConversationsForUser(t *testing.T) {
	s := MustStore(t)
	alice, bob, carol := MustUser(t, s, "alice"), MustUser(t, s, "bob"), MustUser(t, s, "carol")
	older := MustConv(t, s, alice.ID, "older", bob.ID)
	newer := MustConv(t, s, alice.ID, "newer", carol.ID)
	notMine := MustConv(t, s, bob.ID, "bob and carol", carol.ID)
	MustSend(t, s, bob.ID, notMine.ID, "not for alice")
	MustSend(t, s, carol.ID, newer.ID, "first")
	last := MustSend(t, s, bob.ID, older.ID, "latest")

	list, err := s.ConversationsForUser(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != older.ID || list[1].ID != newer.ID {
		t.Fatalf("order = %+v", list)
	}
	if p := list[0].Preview; p == nil || !reflect.DeepEqual(*p, last) || list[0].LastSeq != 1 || list[0].LastAt == nil {
		t.Fatalf("preview = %+v, want %+v", p, last)
	}
	if m := list[0].Member(bob.ID); m == nil || m.Nickname != "bob" {
		t.Fatalf("members = %+v", list[0].Members)
	}
	empty, err := s.ConversationsForUser(ctx, 12345)
	if err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("no conversations = %#v, %v", empty, err)
	}
	for _, id := range []string{notMine.ID, shared.NewUUIDv7(), "junk"} {
		_, err := s.Conversation(ctx, alice.ID, id)
		wantCode(t, err, shared.CodeNotFound)
	}
	ids, err := s.MemberIDs(ctx, newer.ID)
	if err != nil || len(ids) != 2 {
		t.Fatalf("MemberIDs = %v, %v", ids, err)
	}
}
