package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"natter/server/store"
	"natter/shared"
)

// TestExportAccount checks the export holds the person's own data and
// nothing of anyone else's: only conversations they are in, only their own
// messages and reads, and no email or password hash of anyone.
func TestExportAccount(t *testing.T) {
	s := MustStore(t)
	ann, bob, cid := MustUser(t, s, "ann"), MustUser(t, s, "bob"), MustUser(t, s, "cid")
	shared1 := MustConv(t, s, ann.ID, "ours", bob.ID)
	private := MustConv(t, s, bob.ID, "bob and cid", cid.ID)
	mine := MustSend(t, s, ann.ID, shared1.ID, "hello from ann")
	MustSend(t, s, bob.ID, shared1.ID, "bob's reply")
	MustSend(t, s, bob.ID, private.ID, "secret for cid")
	if _, _, err := s.MarkSeen(ctx, ann.ID, act(), shared1.ID, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSession(ctx, ann.ID, []byte("token-hash-ann"), "test agent", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	if _, err := s.BlockUser(ctx, ann.ID, cid.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BlockUser(ctx, bob.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	exp, err := s.ExportAccount(ctx, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Blocked) != 1 || exp.Blocked[0].UserID != cid.ID {
		t.Fatalf("blocked = %+v, want only cid (not who blocked ann)", exp.Blocked)
	}
	if exp.Profile.ID != ann.ID || exp.Profile.Email != ann.Email || exp.Profile.Nickname != "ann" {
		t.Fatalf("profile = %+v", exp.Profile)
	}
	if len(exp.Conversations) != 1 || exp.Conversations[0].ID != shared1.ID || !exp.Conversations[0].Owner ||
		strings.Join(exp.Conversations[0].Members, ",") != "ann,bob" || exp.Conversations[0].SeenSeq != 2 {
		t.Fatalf("conversations = %+v, want only %s owned, members ann,bob, seen 2", exp.Conversations, shared1.ID)
	}
	if len(exp.Messages) != 1 || exp.Messages[0].ID != mine.ID || exp.Messages[0].Body != "hello from ann" {
		t.Fatalf("messages = %+v, want only ann's own", exp.Messages)
	}
	if len(exp.Reads) == 0 {
		t.Fatal("no reads exported")
	}
	for _, r := range exp.Reads {
		if r.ConversationID != shared1.ID {
			t.Fatalf("read of a conversation ann is not in: %+v", r)
		}
	}
	if len(exp.Sessions) != 1 || exp.Sessions[0].UserAgent != "test agent" {
		t.Fatalf("sessions = %+v", exp.Sessions)
	}
	b, _ := json.Marshal(exp)
	for _, leak := range []string{"secret for cid", "bob's reply", bob.Email, cid.Email, "hash-of-", private.ID, "token-hash"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("export contains %q:\n%s", leak, b)
		}
	}
	if _, err := s.ExportAccount(ctx, cid.ID+100); !errors.Is(err, store.ErrNoUser) {
		t.Fatalf("export of unknown user: err = %v, want ErrNoUser", err)
	}
}

// TestDeleteAccount checks the deletion policy with SQL: no row of the
// person remains, their messages are erased tombstones, ownership passes to
// the longest-standing member, emptied conversations go, and the others'
// conversations stay intact.
func TestDeleteAccount(t *testing.T) {
	s := MustStore(t)
	ann, bob, cid, dan := MustUser(t, s, "ann"), MustUser(t, s, "bob"), MustUser(t, s, "cid"), MustUser(t, s, "dan")
	group := MustConv(t, s, ann.ID, "group", cid.ID, bob.ID) // cid and bob joined together: lower id wins the tie
	alone := MustConv(t, s, ann.ID, "notes", cid.ID)
	if _, err := s.LeaveConversation(ctx, cid.ID, act(), alone.ID); err != nil {
		t.Fatal(err)
	}
	others := MustConv(t, s, bob.ID, "bob and dan", dan.ID)
	direct, err := s.CreateConversation(ctx, ann.ID, act(), shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{dan.ID}})
	if err != nil {
		t.Fatal(err)
	}
	MustSend(t, s, ann.ID, group.ID, "ann says hi")
	MustSend(t, s, bob.ID, group.ID, "bob answers")
	MustSend(t, s, ann.ID, alone.ID, "note to self")
	MustSend(t, s, ann.ID, direct.ID, "psst")
	MustSend(t, s, bob.ID, others.ID, "untouched")
	sess, err := s.CreateSession(ctx, ann.ID, []byte("hash-ann-1"), "", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var sub shared.PushSubscription
	sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth = "https://push.example.com/ann", "p", "a"
	if err := s.SavePushSubscription(ctx, ann.ID, 0, sub); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BlockUser(ctx, dan.ID, ann.ID); err != nil {
		t.Fatal(err)
	}

	d, err := s.DeleteAccount(ctx, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.SessionIDs) != 1 || d.SessionIDs[0] != sess.ID || d.Dropped != 1 || len(d.Erased) != 2 {
		t.Fatalf("result = %+v", d)
	}
	for _, m := range d.Erased {
		if m.Body != "" || m.DeletedAt == nil || m.SenderID != 0 {
			t.Fatalf("erased message = %+v", m)
		}
	}
	tests := []struct {
		name  string
		query string
		args  []any
		want  int
	}{
		{"account", "SELECT count(*) FROM users WHERE id = ?", []any{ann.ID}, 0},
		{"sessions", "SELECT count(*) FROM sessions WHERE user_id = ?", []any{ann.ID}, 0},
		{"push", "SELECT count(*) FROM push_subscriptions WHERE user_id = ?", []any{ann.ID}, 0},
		{"memberships", "SELECT count(*) FROM conversation_members WHERE user_id = ?", []any{ann.ID}, 0},
		{"reads", "SELECT count(*) FROM seen_history WHERE user_id = ?", []any{ann.ID}, 0},
		{"applied actions", "SELECT count(*) FROM applied_actions WHERE user_id = ?", []any{ann.ID}, 0},
		{"blocks", "SELECT count(*) FROM blocks WHERE blocker_id = ? OR blocked_id = ?", []any{ann.ID, ann.ID}, 0},
		{"her words", "SELECT count(*) FROM messages WHERE body IN ('ann says hi', 'note to self', 'psst')", nil, 0},
		{"tombstones keep seqs", "SELECT count(*) FROM messages WHERE sender_id IS NULL AND kind = 'text' AND deleted_at IS NOT NULL AND body = ''", nil, 2},
		{"emptied conversation", "SELECT count(*) FROM conversations WHERE id = ?", []any{alone.ID}, 0},
		{"group kept", "SELECT count(*) FROM messages WHERE conversation_id = ?", []any{group.ID}, 2},
		{"new owner", "SELECT count(*) FROM conversation_members WHERE conversation_id = ? AND owner AND user_id = ?", []any{group.ID, bob.ID}, 1},
		{"one owner", "SELECT count(*) FROM conversation_members WHERE conversation_id = ? AND owner", []any{group.ID}, 1},
		{"direct reopened", "SELECT count(*) FROM conversations WHERE id = ? AND direct_key IS NULL", []any{direct.ID}, 1},
		{"direct owner", "SELECT count(*) FROM conversation_members WHERE conversation_id = ? AND owner AND user_id = ?", []any{direct.ID, dan.ID}, 1},
		{"others intact", "SELECT count(*) FROM messages WHERE conversation_id = ? AND body = 'untouched'", []any{others.ID}, 1},
		{"others members", "SELECT count(*) FROM conversation_members WHERE conversation_id = ?", []any{others.ID}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := count(t, s, tt.query, tt.args...); got != tt.want {
				t.Fatalf("%s = %d, want %d", tt.query, got, tt.want)
			}
		})
	}
	// bob joined the group before cid? Both were added at creation; the
	// tie goes to the lower user id, which is bob.
	if len(d.Conversations) != 2 {
		t.Fatalf("conversations to tell = %d, want group and direct", len(d.Conversations))
	}
	if _, err := s.DeleteAccount(ctx, ann.ID); !errors.Is(err, store.ErrNoUser) {
		t.Fatalf("second delete: err = %v, want ErrNoUser", err)
	}
	// The remaining members carry on.
	MustSend(t, s, bob.ID, group.ID, "still here")
	if _, err := s.CreateConversation(ctx, dan.ID, act(), shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "new", MemberIDs: []int64{bob.ID}}); err != nil {
		t.Fatal(err)
	}
}

// TestDeleteAccountWhileSending deletes a person while they and another
// member keep sending: the deletion neither fails nor deadlocks, every
// message of theirs that made it in is erased, later sends of theirs are
// refused as from a non-member, and the other member's sends all succeed.
func TestDeleteAccountWhileSending(t *testing.T) {
	s := MustStore(t)
	ann, bob := MustUser(t, s, "ann"), MustUser(t, s, "bob")
	conv := MustConv(t, s, ann.ID, "busy", bob.ID)
	var stop atomic.Bool
	var wg sync.WaitGroup
	annSent := make(chan struct{}, 1000)
	errs := make(chan error, 100)
	for _, u := range []store.UserRecord{ann, bob} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				_, err := s.SendMessage(ctx, u.ID, act(), conv.ID, fmt.Sprintf("%s %d", u.Nickname, n))
				switch {
				case err == nil && u.ID == ann.ID:
					annSent <- struct{}{}
				case err != nil && u.ID == ann.ID && codeOf(err) == shared.CodeNotFound:
					return // deleted: no longer a member
				case err != nil:
					errs <- err
					return
				}
			}
		}()
	}
	for range 5 {
		<-annSent
	}
	if _, err := s.DeleteAccount(ctx, ann.ID); err != nil {
		t.Fatalf("delete while sending: %v", err)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("send: %v", err)
	}
	if n := count(t, s, "SELECT count(*) FROM messages WHERE body LIKE 'ann %'"); n != 0 {
		t.Fatalf("%d of ann's messages survived", n)
	}
	if n := count(t, s, "SELECT count(*) FROM messages WHERE conversation_id = ? AND sender_id = ?", conv.ID, bob.ID); n == 0 {
		t.Fatal("bob sent nothing")
	}
	if n := count(t, s, "SELECT count(*) - max(seq) FROM messages WHERE conversation_id = ?", conv.ID); n != 0 {
		t.Fatalf("seqs have %d gaps or duplicates", n)
	}
	assertNoOrphans(t, s)
}
