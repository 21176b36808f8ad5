package store_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"natter/server/store"
	"natter/shared"
)

// group is a conversation owned by alice with bob and carol; dave is not in
// it.
type group struct {
	s                       *store.Store
	alice, bob, carol, dave store.UserRecord
	conv                    shared.Conversation
}

func mustGroup(t *testing.T) group {
	t.Helper()
	s := MustStore(t)
	g := group{s: s, alice: MustUser(t, s, "alice"), bob: MustUser(t, s, "bob"), carol: MustUser(t, s, "carol"), dave: MustUser(t, s, "dave")}
	g.conv = MustConv(t, s, g.alice.ID, "", g.bob.ID, g.carol.ID)
	return g
}

func TestOwnerActionErrors(t *testing.T) {
	g := mustGroup(t)
	s, conv := g.s, g.conv.ID
	closed := MustConv(t, s, g.alice.ID, "closed", g.bob.ID)
	if _, err := s.CloseConversation(ctx, g.alice.ID, act(), closed.ID); err != nil {
		t.Fatal(err)
	}
	type call func(user int64, conv string) error
	rename := func(title string) call {
		return func(u int64, c string) error { _, err := s.RenameConversation(ctx, u, act(), c, title); return err }
	}
	closeConv := func(u int64, c string) error { _, err := s.CloseConversation(ctx, u, act(), c); return err }
	add := func(m int64) call {
		return func(u int64, c string) error { _, err := s.AddMember(ctx, u, act(), c, m); return err }
	}
	remove := func(m int64) call {
		return func(u int64, c string) error { _, err := s.RemoveMember(ctx, u, act(), c, m); return err }
	}
	transfer := func(m int64) call {
		return func(u int64, c string) error { _, err := s.TransferOwner(ctx, u, act(), c, m); return err }
	}
	leave := func(u int64, c string) error { _, err := s.LeaveConversation(ctx, u, act(), c); return err }
	tests := []struct {
		name string
		do   call
		user int64
		conv string
		code string
	}{
		{"rename by member", rename("x"), g.bob.ID, conv, shared.CodeNotOwner},
		{"rename by stranger", rename("x"), g.dave.ID, conv, shared.CodeNotFound},
		{"rename unknown", rename("x"), g.alice.ID, shared.NewUUIDv7(), shared.CodeNotFound},
		{"rename closed", rename("x"), g.alice.ID, closed.ID, shared.CodeClosed},
		{"rename too long", rename(strings.Repeat("a", shared.TitleMax+1)), g.alice.ID, conv, shared.CodeTitleTooLong},
		{"close by member", closeConv, g.bob.ID, conv, shared.CodeNotOwner},
		{"close by stranger", closeConv, g.dave.ID, conv, shared.CodeNotFound},
		{"close closed", closeConv, g.alice.ID, closed.ID, shared.CodeClosed},
		{"add by member", add(g.dave.ID), g.bob.ID, conv, shared.CodeNotOwner},
		{"add by stranger", add(g.dave.ID), g.dave.ID, conv, shared.CodeNotFound},
		{"add member again", add(g.bob.ID), g.alice.ID, conv, shared.CodeAlreadyMember},
		{"add unknown user", add(424242), g.alice.ID, conv, shared.CodeUserNotFound},
		{"add to closed", add(g.dave.ID), g.alice.ID, closed.ID, shared.CodeClosed},
		{"remove by member", remove(g.carol.ID), g.bob.ID, conv, shared.CodeNotOwner},
		{"remove by stranger", remove(g.carol.ID), g.dave.ID, conv, shared.CodeNotFound},
		{"remove non-member", remove(g.dave.ID), g.alice.ID, conv, shared.CodeNotMember},
		{"remove self", remove(g.alice.ID), g.alice.ID, conv, shared.CodeInvalid},
		{"transfer by member", transfer(g.carol.ID), g.bob.ID, conv, shared.CodeNotOwner},
		{"transfer by stranger", transfer(g.carol.ID), g.dave.ID, conv, shared.CodeNotFound},
		{"transfer to non-member", transfer(g.dave.ID), g.alice.ID, conv, shared.CodeNotMember},
		{"transfer to self", transfer(g.alice.ID), g.alice.ID, conv, shared.CodeInvalid},
		{"transfer closed", transfer(g.bob.ID), g.alice.ID, closed.ID, shared.CodeClosed},
		{"leave by owner", leave, g.alice.ID, conv, shared.CodeOwnerCannotLeave},
		{"leave by stranger", leave, g.dave.ID, conv, shared.CodeNotFound},
		{"bad action id", func(u int64, c string) error {
			_, err := s.RenameConversation(ctx, u, "not-a-uuid", c, "x")
			return err
		}, g.alice.ID, conv, shared.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.do(tt.user, tt.conv), tt.code)
		})
	}
	after, err := s.Conversation(ctx, g.alice.ID, conv)
	if err != nil || after.Title != g.conv.Title || len(after.Members) != 3 || after.Owner() != g.alice.ID || after.ClosedAt != nil {
		t.Fatalf("failed actions changed the conversation: %+v, %v", after, err)
	}
}

func TestRenameAndClose(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	c, err := s.RenameConversation(ctx, g.alice.ID, act(), g.conv.ID, " Plans ")
	if err != nil || c.Title != "Plans" || !c.Named {
		t.Fatalf("rename = %+v, %v", c, err)
	}
	c, err = s.RenameConversation(ctx, g.alice.ID, act(), g.conv.ID, "")
	if err != nil || c.Title != "alice, bob, carol" || c.Named {
		t.Fatalf("un-name = %+v, %v", c, err)
	}
	c, err = s.CloseConversation(ctx, g.alice.ID, act(), g.conv.ID)
	if err != nil || c.ClosedAt == nil {
		t.Fatalf("close = %+v, %v", c, err)
	}
	_, err = s.SendMessage(ctx, g.bob.ID, act(), g.conv.ID, "hello?")
	wantCode(t, err, shared.CodeClosed)
	// Members may still read and leave a closed conversation.
	if _, err := s.History(ctx, g.bob.ID, g.conv.ID, 0, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LeaveConversation(ctx, g.bob.ID, act(), g.conv.ID); err != nil {
		t.Fatal(err)
	}
}

func TestAddRemoveMembers(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	MustSend(t, s, g.bob.ID, g.conv.ID, "before dave")
	c, err := s.AddMember(ctx, g.alice.ID, act(), g.conv.ID, g.dave.ID)
	if err != nil || len(c.Members) != 4 {
		t.Fatalf("add = %+v, %v", c, err)
	}
	if m := c.Member(g.dave.ID); m == nil || m.SeenSeq != 1 || m.Owner {
		t.Fatalf("new member = %+v: starts with nothing unread", m)
	}
	if c.Title != "alice, bob, carol, dave" {
		t.Fatalf("derived title = %q", c.Title)
	}
	c, err = s.RemoveMember(ctx, g.alice.ID, act(), g.conv.ID, g.bob.ID)
	if err != nil || len(c.Members) != 3 || c.Member(g.bob.ID) != nil {
		t.Fatalf("remove = %+v, %v", c, err)
	}
	// Bob is out: every path answers "not found".
	_, err = s.Conversation(ctx, g.bob.ID, g.conv.ID)
	wantCode(t, err, shared.CodeNotFound)
	_, err = s.SendMessage(ctx, g.bob.ID, act(), g.conv.ID, "still here?")
	wantCode(t, err, shared.CodeNotFound)
	_, err = s.History(ctx, g.bob.ID, g.conv.ID, 0, 10)
	wantCode(t, err, shared.CodeNotFound)
	_, _, err = s.MarkSeen(ctx, g.bob.ID, act(), g.conv.ID, 1)
	wantCode(t, err, shared.CodeNotFound)
	_, err = s.SeenBy(ctx, g.bob.ID, g.conv.ID, 1)
	wantCode(t, err, shared.CodeNotFound)
}

func TestTransferAndLeave(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	c, err := s.TransferOwner(ctx, g.alice.ID, act(), g.conv.ID, g.bob.ID)
	if err != nil || c.Owner() != g.bob.ID {
		t.Fatalf("transfer = %+v, %v", c, err)
	}
	if n := count(t, s, "SELECT count(*) FROM conversation_members WHERE conversation_id = ? AND owner", g.conv.ID); n != 1 {
		t.Fatalf("owners = %d", n)
	}
	_, err = s.RenameConversation(ctx, g.alice.ID, act(), g.conv.ID, "x")
	wantCode(t, err, shared.CodeNotOwner)

	c, err = s.LeaveConversation(ctx, g.alice.ID, act(), g.conv.ID)
	if err != nil || c.Member(g.alice.ID) != nil || len(c.Members) != 2 || c.Owner() != g.bob.ID {
		t.Fatalf("leave = %+v, %v", c, err)
	}
	_, err = s.LeaveConversation(ctx, g.alice.ID, act(), g.conv.ID)
	wantCode(t, err, shared.CodeNotFound)
	if _, err := s.LeaveConversation(ctx, g.carol.ID, act(), g.conv.ID); err != nil {
		t.Fatal(err)
	}
	// The owner is now the last member and may leave.
	c, err = s.LeaveConversation(ctx, g.bob.ID, act(), g.conv.ID)
	if err != nil || len(c.Members) != 0 {
		t.Fatalf("last leave = %+v, %v", c, err)
	}
}

func TestLeaveDirect(t *testing.T) {
	s := MustStore(t)
	alice, bob := MustUser(t, s, "alice"), MustUser(t, s, "bob")
	c := MustConv(t, s, alice.ID, "", bob.ID)
	left, err := s.LeaveConversation(ctx, alice.ID, act(), c.ID)
	if err != nil || left.Owner() != bob.ID || len(left.Members) != 1 {
		t.Fatalf("owner leaves a one-to-one = %+v, %v", left, err)
	}
	fresh := MustConv(t, s, alice.ID, "", bob.ID)
	if fresh.ID == c.ID {
		t.Fatal("a left one-to-one was reused")
	}
}

func TestTransferConcurrentKeepsOneOwner(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	// Alice hands over to bob and to carol at once; bob, if he wins, hands
	// back. Whatever the interleaving, exactly one owner remains.
	var wg sync.WaitGroup
	for _, to := range []int64{g.bob.ID, g.carol.ID, g.bob.ID} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = s.TransferOwner(ctx, g.alice.ID, act(), g.conv.ID, to)
			_, _ = s.TransferOwner(ctx, to, act(), g.conv.ID, g.alice.ID)
		}()
	}
	wg.Wait()
	if n := count(t, s, "SELECT count(*) FROM conversation_members WHERE conversation_id = ? AND owner", g.conv.ID); n != 1 {
		t.Fatalf("owners = %d", n)
	}
}

func TestMemberActionReplay(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	action := act()
	first, err := s.AddMember(ctx, g.alice.ID, action, g.conv.ID, g.dave.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The replay returns the stored result, not "already member".
	again, err := s.AddMember(ctx, g.alice.ID, action, g.conv.ID, g.dave.ID)
	if err != nil || len(again.Members) != len(first.Members) {
		t.Fatalf("replay = %+v, %v", again, err)
	}
	// Concurrent duplicates of one removal: every call gets the result.
	action = act()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.RemoveMember(ctx, g.alice.ID, action, g.conv.ID, g.dave.ID)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent replay %d: %v", i, err)
		}
	}
}

// TestRemovedWhileWaiting removes bob while his send waits for the
// conversation lock: the send must see the removal, not the snapshot it
// started with.
func TestRemovedWhileWaiting(t *testing.T) {
	sends := map[string]func(s *store.Store, user int64, conv string) error{
		"SendMessage": func(s *store.Store, user int64, conv string) error {
			_, err := s.SendMessage(ctx, user, act(), conv, "sneaky")
			return err
		},
		"SendMessages": func(s *store.Store, user int64, conv string) error {
			return s.SendMessages(ctx, []store.SendRequest{{UserID: user, ActionID: act(), ConversationID: conv, Body: "sneaky"}})[0].Err
		},
	}
	for name, send := range sends {
		t.Run(name, func(t *testing.T) {
			g := mustGroup(t)
			s, conv := g.s, g.conv.ID
			tx, err := s.DB.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, "SELECT 1 FROM conversations WHERE id = ? FOR NO KEY UPDATE", conv); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM conversation_members WHERE conversation_id = ? AND user_id = ?", conv, g.bob.ID); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- send(s, g.bob.ID, conv) }()
			awaitLockWaiter(t, s)
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			wantCode(t, <-done, shared.CodeNotFound)
			if n := count(t, s, "SELECT count(*) FROM messages"); n != 0 {
				t.Fatalf("messages = %d", n)
			}
			assertGapFree(t, s, conv)
		})
	}
}

// awaitLockWaiter returns once some session of the test database waits
// for a lock.
func awaitLockWaiter(t *testing.T, s *store.Store) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		n := count(t, s, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`)
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no session ever waited for the lock")
		}
		time.Sleep(5 * time.Millisecond) // polling: PostgreSQL has no event for "now waiting"
	}
}
