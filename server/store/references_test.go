package store_test

import (
	"testing"

	"github.com/uptrace/bun"

	"natter/server/store"
	"natter/shared"
)

// The foreign keys of messages and seen_history were dropped from the hot
// insert path (migration 20261127140000_hot_insert): the group commit proves
// the references under the conversation lock instead, and triggers on
// conversations and users do what ON DELETE did. These tests hold what the
// constraints held: no message or read-history row ever refers to a
// conversation or a user that does not exist, whatever order the delete and
// the send run in.

// assertNoOrphans fails if any message or history row refers to a missing
// conversation or user.
func assertNoOrphans(tb testing.TB, s *store.Store) {
	tb.Helper()
	for what, q := range map[string]string{
		"messages without a conversation": `SELECT count(*) FROM messages m
			WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id)`,
		"messages with a missing sender": `SELECT count(*) FROM messages m
			WHERE m.sender_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m.sender_id)`,
		"history without a conversation": `SELECT count(*) FROM seen_history h
			WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = h.conversation_id)`,
		"history of a missing user": `SELECT count(*) FROM seen_history h
			WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = h.user_id)`,
	} {
		if n := count(tb, s, q); n != 0 {
			tb.Errorf("%d %s", n, what)
		}
	}
}

// waitBlocked returns once some statement of this test's database waits for
// a lock, failing if done (the other side) finishes first.
func waitBlocked(tb testing.TB, s *store.Store, done <-chan error) {
	tb.Helper()
	for {
		var waiting int
		err := s.DB.NewRaw(`SELECT count(*) FROM pg_locks l
			JOIN pg_stat_activity a ON a.pid = l.pid AND a.datname = current_database()
			WHERE NOT l.granted`).Scan(ctx, &waiting)
		if err != nil {
			tb.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		select {
		case err := <-done:
			tb.Fatalf("finished without waiting: %v", err)
		default:
		}
	}
}

func begin(tb testing.TB, s *store.Store) bun.Tx {
	tb.Helper()
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = tx.Rollback() })
	return tx
}

// A deleted conversation takes its messages and read history with it, and
// a send into it afterwards is refused and writes nothing.
func TestDeletedConversationCascades(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	MustSend(t, s, g.bob.ID, g.conv.ID, "one")
	if _, _, err := s.MarkSeen(ctx, g.carol.ID, act(), g.conv.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.NewRaw(`DELETE FROM conversations WHERE id = ?`, g.conv.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SELECT count(*) FROM messages WHERE conversation_id = ?", "SELECT count(*) FROM seen_history WHERE conversation_id = ?"} {
		if n := count(t, s, q, g.conv.ID); n != 0 {
			t.Fatalf("%s: %d rows left", q, n)
		}
	}
	_, err := s.SendMessage(ctx, g.bob.ID, act(), g.conv.ID, "into nothing")
	wantCode(t, err, shared.CodeNotFound)
	assertNoOrphans(t, s)
}

// A send that reaches a conversation while its deletion is uncommitted
// waits for it and is then refused: its message is not inserted behind the
// delete's back.
func TestSendWaitsForConversationDelete(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	tx := begin(t, s)
	if _, err := tx.NewRaw(`DELETE FROM conversations WHERE id = ?`, g.conv.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.SendMessage(ctx, g.bob.ID, act(), g.conv.ID, "racing the delete")
		done <- err
	}()
	waitBlocked(t, s, done)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	wantCode(t, <-done, shared.CodeNotFound)
	assertNoOrphans(t, s)
}

// A deletion that reaches a conversation while a send into it is
// uncommitted waits for the send, then deletes its message too.
func TestConversationDeleteWaitsForSend(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	tx := begin(t, s)
	res, err := s.SendBatchInTx(ctx, tx, []store.SendRequest{{UserID: g.bob.ID, ActionID: act(), ConversationID: g.conv.ID, Body: "in flight"}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.DB.NewRaw(`DELETE FROM conversations WHERE id = ?`, g.conv.ID).Exec(ctx)
		done <- err
	}()
	waitBlocked(t, s, done)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(*) FROM messages WHERE conversation_id = ?", g.conv.ID); n != 0 {
		t.Fatalf("%d messages outlived their conversation", n)
	}
	assertNoOrphans(t, s)
}

// A user deleted by plain SQL (not DeleteAccount, which locks the
// conversations itself) while their send is uncommitted: the delete waits
// for the send, then unlinks the message from them and drops their read
// history, as ON DELETE SET NULL and CASCADE did.
func TestUserDeleteWaitsForSend(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	tx := begin(t, s)
	res, err := s.SendBatchInTx(ctx, tx, []store.SendRequest{{UserID: g.bob.ID, ActionID: act(), ConversationID: g.conv.ID, Body: "last words"}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.DB.NewRaw(`DELETE FROM users WHERE id = ?`, g.bob.ID).Exec(ctx)
		done <- err
	}()
	waitBlocked(t, s, done)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(*) FROM messages WHERE id = ? AND sender_id IS NULL", res[0].Message.ID); n != 1 {
		t.Fatal("the message of the deleted user is missing or still linked to them")
	}
	if n := count(t, s, "SELECT count(*) FROM seen_history WHERE user_id = ?", g.bob.ID); n != 0 {
		t.Fatalf("%d history rows of the deleted user", n)
	}
	assertNoOrphans(t, s)
}

// A send by a user whose deletion (plain SQL) is uncommitted waits for it
// and is refused as from a non-member.
func TestSendWaitsForUserDelete(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	tx := begin(t, s)
	if _, err := tx.NewRaw(`DELETE FROM users WHERE id = ?`, g.bob.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.SendMessage(ctx, g.bob.ID, act(), g.conv.ID, "from beyond")
		done <- err
	}()
	waitBlocked(t, s, done)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	wantCode(t, <-done, shared.CodeNotFound)
	if n := count(t, s, "SELECT count(*) FROM messages WHERE conversation_id = ?", g.conv.ID); n != 0 {
		t.Fatalf("%d messages", n)
	}
	assertNoOrphans(t, s)
}

// A read mark in flight holds its member row; a conversation deletion waits
// for it and then removes the history row it wrote.
func TestConversationDeleteWaitsForReadMark(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	MustSend(t, s, g.bob.ID, g.conv.ID, "one")
	tx := begin(t, s)
	if _, err := tx.NewRaw(`WITH up AS (UPDATE conversation_members SET seen_seq = 1 WHERE conversation_id = ? AND user_id = ? RETURNING conversation_id, user_id)
		INSERT INTO seen_history (conversation_id, user_id, seq) SELECT conversation_id, user_id, 1 FROM up`,
		g.conv.ID, g.carol.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.DB.NewRaw(`DELETE FROM conversations WHERE id = ?`, g.conv.ID).Exec(ctx)
		done <- err
	}()
	waitBlocked(t, s, done)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	assertNoOrphans(t, s)
}
