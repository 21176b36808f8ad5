package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"natter/server/store"
	"natter/shared"
)

// exec runs a statement, for backdating rows.
func exec(tb testing.TB, s *store.Store, query string, args ...any) {
	tb.Helper()
	if _, err := s.DB.NewRaw(query, args...).Exec(ctx); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// mustCleanup runs Cleanup and fails the test on an error or a skip.
func mustCleanup(tb testing.TB, s *store.Store, p store.CleanupPolicy) store.CleanupReport {
	tb.Helper()
	r, err := s.Cleanup(ctx, p)
	if err != nil || r.Skipped {
		tb.Fatalf("Cleanup = %+v, %v", r, err)
	}
	return r
}

func TestCleanupPolicyValidate(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name string
		p    store.CleanupPolicy
		ok   bool
	}{
		{"defaults", store.CleanupPolicy{}, true},
		{"fifteen days", store.CleanupPolicy{ActionRetention: 15 * day}, true},
		{"within the client's replay window", store.CleanupPolicy{ActionRetention: 14 * day}, false},
		{"one second short", store.CleanupPolicy{ActionRetention: 15*day - time.Second}, false},
		{"negative seen retention", store.CleanupPolicy{SeenRetention: -day}, false},
		{"negative session grace", store.CleanupPolicy{SessionGrace: -day}, false},
		{"negative batch", store.CleanupPolicy{Batch: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate(%+v) = %v, want ok %v", tt.p, err, tt.ok)
			}
		})
	}
	if _, err := MustStore(t).Cleanup(ctx, store.CleanupPolicy{ActionRetention: time.Hour}); err == nil {
		t.Fatal("Cleanup ran with a retention shorter than the replay window")
	}
}

func TestCleanupSessions(t *testing.T) {
	s := MustStore(t)
	u := MustUser(t, s, "alice")
	now := time.Now()
	tests := []struct {
		name    string
		expires time.Time
		revoked string // SQL interval ago, or "" for not revoked
		kept    bool
	}{
		{"live", now.Add(time.Hour), "", true},
		{"expired yesterday", now.Add(-24 * time.Hour), "", true},
		{"expired eight days ago", now.Add(-8 * 24 * time.Hour), "", false},
		{"revoked yesterday", now.Add(time.Hour), "1 day", true},
		{"revoked eight days ago", now.Add(30 * 24 * time.Hour), "8 days", false},
		{"revoked yesterday, expired long ago", now.Add(-40 * 24 * time.Hour), "1 day", false},
	}
	ids := make([]int64, len(tests))
	for i, tt := range tests {
		sess, err := s.CreateSession(ctx, u.ID, []byte(tt.name), "", tt.expires)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = sess.ID
		if tt.revoked != "" {
			exec(t, s, `UPDATE sessions SET revoked_at = now() - ?::interval WHERE id = ?`, tt.revoked, sess.ID)
		}
	}
	// More expired sessions than one batch: the loop takes them all.
	for i := range 5 {
		if _, err := s.CreateSession(ctx, u.ID, []byte{byte(i)}, "", now.Add(-9*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	r := mustCleanup(t, s, store.CleanupPolicy{Batch: 2})
	if r.Sessions != 3+5 || r.AppliedActions != 0 || r.SeenHistory != 0 {
		t.Fatalf("report = %+v, want 8 sessions only", r)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := count(t, s, `SELECT count(*) FROM sessions WHERE id = ?`, ids[i]); (n == 1) != tt.kept {
				t.Fatalf("session kept = %v, want %v", n == 1, tt.kept)
			}
		})
	}
	if r := mustCleanup(t, s, store.CleanupPolicy{}); r.Sessions != 0 {
		t.Fatalf("second run deleted %d sessions", r.Sessions)
	}
}

func TestCleanupAppliedActions(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	MustSend(t, s, g.alice.ID, g.conv.ID, "hello")
	// Three results of mark-seen actions, of several ages.
	tests := []struct {
		name string
		age  string
		kept bool
	}{
		{"today", "0 days", true},
		{"past the client's replay window", "16 days", true},
		{"past the retention", "31 days", false},
	}
	actions := make([]string, len(tests))
	for i, tt := range tests {
		actions[i] = act()
		if _, _, err := s.MarkSeen(ctx, []int64{g.bob.ID, g.carol.ID, g.bob.ID}[i], actions[i], g.conv.ID, 1); err != nil {
			t.Fatal(err)
		}
		exec(t, s, `UPDATE applied_actions SET created_at = now() - ?::interval WHERE action_id = ?`, tt.age, actions[i])
	}
	before := count(t, s, `SELECT count(*) FROM applied_actions`)
	r := mustCleanup(t, s, store.CleanupPolicy{})
	if r.AppliedActions != 1 || count(t, s, `SELECT count(*) FROM applied_actions`) != before-1 {
		t.Fatalf("report = %+v; %d rows were there", r, before)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := count(t, s, `SELECT count(*) FROM applied_actions WHERE action_id = ?`, actions[i]); (n == 1) != tt.kept {
				t.Fatalf("result kept = %v, want %v", n == 1, tt.kept)
			}
		})
	}
	t.Run("a replay within the retention gets its result", func(t *testing.T) {
		id := act()
		conv, err := s.CreateConversation(ctx, g.alice.ID, id, shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{g.bob.ID}})
		if err != nil {
			t.Fatal(err)
		}
		exec(t, s, `UPDATE applied_actions SET created_at = now() - interval '20 days' WHERE action_id = ?`, id)
		mustCleanup(t, s, store.CleanupPolicy{})
		again, err := s.CreateConversation(ctx, g.alice.ID, id, shared.ConversationCreate{ID: shared.NewUUIDv7(), MemberIDs: []int64{g.bob.ID}})
		if err != nil || again.ID != conv.ID {
			t.Fatalf("replay = %+v, %v; want conversation %s", again, err, conv.ID)
		}
	})
}

// seenRow is one seen_history row, for comparing what is left.
type seenRow struct {
	User int64 `bun:"user_id"`
	Seq  int64 `bun:"seq"`
}

func seenRows(tb testing.TB, s *store.Store, convID string) []seenRow {
	tb.Helper()
	var rows []seenRow
	if err := s.DB.NewRaw(`SELECT user_id, seq FROM seen_history WHERE conversation_id = ? ORDER BY user_id, seq`, convID).Scan(ctx, &rows); err != nil {
		tb.Fatal(err)
	}
	return rows
}

func TestCleanupSeenHistory(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	if _, err := s.AddMember(ctx, g.alice.ID, act(), g.conv.ID, g.dave.ID); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		MustSend(t, s, g.alice.ID, g.conv.ID, "m") // alice's history: seqs 1..6
	}
	mark := func(user, seq int64) {
		t.Helper()
		if _, _, err := s.MarkSeen(ctx, user, act(), g.conv.ID, seq); err != nil {
			t.Fatal(err)
		}
	}
	mark(g.bob.ID, 2)
	mark(g.bob.ID, 4)
	mark(g.bob.ID, 6)
	mark(g.carol.ID, 3)
	mark(g.carol.ID, 5)
	mark(g.dave.ID, 1)
	mark(g.dave.ID, 2)
	if _, err := s.RemoveMember(ctx, g.alice.ID, act(), g.conv.ID, g.dave.ID); err != nil {
		t.Fatal(err)
	}
	// Everything is old but carol's move to 5 and dave's to 2.
	exec(t, s, `UPDATE seen_history SET seen_at = now() - make_interval(days => 200 - seq::int)
		WHERE NOT ((user_id = ? AND seq = 5) OR (user_id = ? AND seq = 2))`, g.carol.ID, g.dave.ID)
	exec(t, s, `UPDATE seen_history SET seen_at = now() - interval '10 days' WHERE (user_id = ? AND seq = 5) OR (user_id = ? AND seq = 2)`, g.carol.ID, g.dave.ID)

	seenBy := func(seq int64) []shared.Seen {
		t.Helper()
		sb, err := s.SeenBy(ctx, g.alice.ID, g.conv.ID, seq)
		if err != nil {
			t.Fatal(err)
		}
		return sb.Seen
	}
	before := map[int64][]shared.Seen{}
	for seq := range int64(7) {
		before[seq] = seenBy(seq)
	}

	r := mustCleanup(t, s, store.CleanupPolicy{})
	want := []seenRow{
		{g.alice.ID, 6}, // her newest; 1..5 were old
		{g.bob.ID, 6},   // his newest; 2 and 4 were old
		{g.carol.ID, 5}, // recent (and newest); 3 was old
		{g.dave.ID, 2},  // no longer a member, but recent
	}
	slices.SortFunc(want, func(a, b seenRow) int { return int(a.User - b.User) })
	if got := seenRows(t, s, g.conv.ID); !reflect.DeepEqual(got, want) || r.SeenHistory != 5+2+1+1 {
		t.Fatalf("left %+v (deleted %d), want %+v", got, r.SeenHistory, want)
	}

	// SeenBy still names the same people for every message; for a message
	// seen before the window the time is the oldest kept row past it: later,
	// "seen by then at the latest".
	for seq := range int64(7) {
		t.Run(fmt.Sprint("seen by ", seq), func(t *testing.T) {
			after := seenBy(seq)
			users := func(ss []shared.Seen) []int64 {
				var ids []int64
				for _, x := range ss {
					ids = append(ids, x.UserID)
				}
				slices.Sort(ids)
				return ids
			}
			if !reflect.DeepEqual(users(after), users(before[seq])) {
				t.Fatalf("seen by %v, before cleanup %v", after, before[seq])
			}
			for _, a := range after {
				for _, b := range before[seq] {
					if a.UserID == b.UserID && (a.At.Before(b.At) || a.Seq < b.Seq) {
						t.Fatalf("%s seen at %v (seq %d), before cleanup %v (seq %d): earlier", a.Nickname, a.At, a.Seq, b.At, b.Seq)
					}
				}
			}
		})
	}

	// Bob saw 1 at 2 (gone) and is now reported at 6, his oldest kept row.
	for _, x := range seenBy(1) {
		if x.UserID == g.bob.ID && x.Seq != 6 {
			t.Fatalf("bob saw 1 at seq %d, want 6", x.Seq)
		}
	}

	// Once old, the rows of someone who left go too, newest included.
	exec(t, s, `UPDATE seen_history SET seen_at = now() - interval '181 days' WHERE user_id = ?`, g.dave.ID)
	if r := mustCleanup(t, s, store.CleanupPolicy{}); r.SeenHistory != 1 {
		t.Fatalf("second run deleted %d rows, want dave's last", r.SeenHistory)
	}
	if n := count(t, s, `SELECT count(*) FROM seen_history WHERE user_id = ?`, g.dave.ID); n != 0 {
		t.Fatalf("dave keeps %d rows", n)
	}
}

// Messages are the idempotency record of sends, forever: cleanup leaves
// them alone, and a send replayed after it gets the original message.
func TestCleanupKeepsMessages(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	action := act()
	r := s.SendMessages(ctx, []store.SendRequest{sendReq(g.bob.ID, action, g.conv.ID, "long ago")})
	if r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	first := r[0].Message
	MustSend(t, s, g.alice.ID, g.conv.ID, "reply")
	for _, q := range []string{
		`UPDATE messages SET created_at = now() - interval '3 years'`,
		`UPDATE seen_history SET seen_at = now() - interval '3 years'`,
		`UPDATE applied_actions SET created_at = now() - interval '3 years'`,
	} {
		exec(t, s, q)
	}
	if err := s.DB.NewRaw(`SELECT created_at FROM messages WHERE id = ?`, first.ID).Scan(ctx, &first.CreatedAt); err != nil {
		t.Fatal(err)
	}
	first.CreatedAt = first.CreatedAt.UTC()
	msgs := count(t, s, `SELECT count(*) FROM messages`)
	mustCleanup(t, s, store.CleanupPolicy{})
	if n := count(t, s, `SELECT count(*) FROM messages`); n != msgs {
		t.Fatalf("messages = %d after cleanup, want %d", n, msgs)
	}
	again := s.SendMessages(ctx, []store.SendRequest{sendReq(g.bob.ID, action, g.conv.ID, "long ago")})
	if again[0].Err != nil || !reflect.DeepEqual(again[0].Message, first) {
		t.Fatalf("replayed send = %+v; want the original %+v", again[0], first)
	}
	single, err := s.SendMessage(ctx, g.bob.ID, action, g.conv.ID, "long ago")
	if err != nil || !reflect.DeepEqual(single, first) {
		t.Fatalf("replayed single send = %+v, %v; want %+v", single, err, first)
	}
	if n := count(t, s, `SELECT count(*) FROM messages`); n != msgs {
		t.Fatalf("messages = %d after the replay, want %d", n, msgs)
	}
	assertGapFree(t, s, g.conv.ID)
}

// Two runs at once: the second finds the lock taken and skips; the first,
// held open by the hook until then, does all the work.
func TestCleanupOneAtATime(t *testing.T) {
	s := MustStore(t)
	u := MustUser(t, s, "alice")
	for i := range 3 {
		if _, err := s.CreateSession(ctx, u.ID, []byte{byte(i)}, "", time.Now().Add(-30*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	locked, release := make(chan struct{}), make(chan struct{})
	type result struct {
		r   store.CleanupReport
		err error
	}
	first := make(chan result, 1)
	go func() {
		r, err := s.Cleanup(ctx, store.WithAfterLock(store.CleanupPolicy{}, func() {
			close(locked)
			<-release
		}))
		first <- result{r, err}
	}()
	<-locked
	second, err := s.Cleanup(ctx, store.CleanupPolicy{})
	if err != nil || !second.Skipped || second.Sessions != 0 {
		t.Fatalf("second run = %+v, %v; want skipped", second, err)
	}
	if n := count(t, s, `SELECT count(*) FROM sessions`); n != 3 {
		t.Fatalf("sessions = %d while the first run waits, want 3", n)
	}
	close(release)
	got := <-first
	if got.err != nil || got.r.Skipped || got.r.Sessions != 3 {
		t.Fatalf("first run = %+v, %v; want 3 sessions deleted", got.r, got.err)
	}
	// The lock is free again for the next round.
	if r := mustCleanup(t, s, store.CleanupPolicy{}); r.Sessions != 0 {
		t.Fatalf("third run = %+v", r)
	}
}

// A run cancelled while it holds the lock (a server shutting down) frees
// it: the next round is not skipped.
func TestCleanupCancelledFreesLock(t *testing.T) {
	s := MustStore(t)
	cctx, cancel := context.WithCancel(ctx)
	_, err := s.Cleanup(cctx, store.WithAfterLock(store.CleanupPolicy{}, cancel))
	if err == nil {
		t.Fatal("cancelled cleanup reported no error")
	}
	mustCleanup(t, s, store.CleanupPolicy{})
}
