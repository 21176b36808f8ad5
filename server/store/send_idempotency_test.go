package store_test

import (
	"reflect"
	"sync"
	"testing"

	"natter/server/store"
	"natter/shared"
)

// The message row is the idempotency record of message.send: these tests
// hammer it where applied_actions used to stand guard.

// sendRace sends the same action n times at once, through send, and
// returns every result.
func sendRace(n int, send func(i int) (shared.Message, error)) ([]shared.Message, []error) {
	got, errs := make([]shared.Message, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = send(i)
		}()
	}
	wg.Wait()
	return got, errs
}

// mustAllEqual fails unless every call succeeded with the same message.
func mustAllEqual(tb testing.TB, got []shared.Message, errs []error) {
	tb.Helper()
	for i := range got {
		if errs[i] != nil || !reflect.DeepEqual(got[i], got[0]) {
			tb.Fatalf("call %d = %+v, %v; want %+v", i, got[i], errs[i], got[0])
		}
	}
}

func TestSendConcurrentDuplicates(t *testing.T) {
	const n = 20
	g := mustGroup(t)
	s := g.s
	t.Run("single", func(t *testing.T) {
		action := act()
		got, errs := sendRace(n, func(int) (shared.Message, error) {
			return s.SendMessage(ctx, g.bob.ID, action, g.conv.ID, "single race")
		})
		mustAllEqual(t, got, errs)
		if c := count(t, s, "SELECT count(*) FROM messages WHERE action_id = ?", action); c != 1 {
			t.Fatalf("rows = %d", c)
		}
	})
	t.Run("batch", func(t *testing.T) {
		action := act()
		got, errs := sendRace(n, func(i int) (shared.Message, error) {
			// Each batch also carries a fresh message of its own.
			r := s.SendMessages(ctx, []store.SendRequest{
				sendReq(g.carol.ID, act(), g.conv.ID, "filler"),
				sendReq(g.bob.ID, action, g.conv.ID, "batch race"),
			})
			if r[0].Err != nil {
				return shared.Message{}, r[0].Err
			}
			return r[1].Message, r[1].Err
		})
		mustAllEqual(t, got, errs)
		if c := count(t, s, "SELECT count(*) FROM messages WHERE action_id = ?", action); c != 1 {
			t.Fatalf("rows = %d", c)
		}
		if c := count(t, s, "SELECT count(*) FROM messages WHERE body = 'filler'"); c != n {
			t.Fatalf("fillers = %d, want %d", c, n)
		}
	})
	if c := count(t, s, "SELECT count(*) FROM applied_actions WHERE kind = ?", shared.TypeMessageSend); c != 0 {
		t.Fatalf("applied_actions rows for message.send = %d: the message is its own record", c)
	}
	assertGapFree(t, s, g.conv.ID)
}

// The same action id sent into another conversation is a replay of the
// first send: the original message comes back, as a retry of it would,
// and nothing is stored in the other conversation.
func TestSendActionIDIntoOtherConversation(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	other := MustConv(t, s, g.bob.ID, "other", g.carol.ID)
	t.Run("sequential", func(t *testing.T) {
		action := act()
		first, err := s.SendMessage(ctx, g.bob.ID, action, g.conv.ID, "here")
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.SendMessage(ctx, g.bob.ID, action, other.ID, "there")
		if err != nil || !reflect.DeepEqual(again, first) {
			t.Fatalf("single into other = %+v, %v; want %+v", again, err, first)
		}
		r := s.SendMessages(ctx, []store.SendRequest{sendReq(g.bob.ID, action, other.ID, "there")})
		if r[0].Err != nil || !reflect.DeepEqual(r[0].Message, first) {
			t.Fatalf("batch into other = %+v; want %+v", r[0], first)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		const n = 20
		action := act()
		convs := []string{g.conv.ID, other.ID}
		got, errs := sendRace(n, func(i int) (shared.Message, error) {
			conv := convs[i%2]
			if i%4 < 2 {
				return s.SendMessage(ctx, g.bob.ID, action, conv, "split race")
			}
			r := s.SendMessages(ctx, []store.SendRequest{
				sendReq(g.carol.ID, act(), conv, "bystander"),
				sendReq(g.bob.ID, action, conv, "split race"),
			})
			if r[0].Err != nil {
				return shared.Message{}, r[0].Err
			}
			return r[1].Message, r[1].Err
		})
		mustAllEqual(t, got, errs)
		if c := count(t, s, "SELECT count(*) FROM messages WHERE action_id = ?", action); c != 1 {
			t.Fatalf("rows = %d", c)
		}
		if c := count(t, s, "SELECT count(*) FROM messages WHERE body = 'bystander'"); c != n/2 {
			t.Fatalf("bystanders = %d, want %d", c, n/2)
		}
	})
	assertGapFree(t, s, g.conv.ID)
	assertGapFree(t, s, other.ID)
}

func TestSendMessagesMixed(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	other := MustConv(t, s, g.bob.ID, "other", g.carol.ID)
	prior := MustSend(t, s, g.bob.ID, g.conv.ID, "prior")
	elsewhere := MustSend(t, s, g.carol.ID, other.ID, "elsewhere")
	seen := act()
	if _, _, err := s.MarkSeen(ctx, g.alice.ID, seen, g.conv.ID, 1); err != nil {
		t.Fatal(err)
	}
	dup := act()
	reqs := []store.SendRequest{
		sendReq(g.bob.ID, act(), other.ID, "fresh 1"),
		sendReq(g.bob.ID, prior.ActionID, g.conv.ID, "replay"),
		sendReq(g.dave.ID, act(), other.ID, "stranger"),
		sendReq(g.carol.ID, elsewhere.ActionID, g.conv.ID, "replay into another conversation"),
		sendReq(g.alice.ID, seen, g.conv.ID, "id of a seen.mark"),
		sendReq(g.alice.ID, dup, g.conv.ID, "fresh 2"),
		sendReq(g.alice.ID, dup, g.conv.ID, "fresh 2 again"),
		sendReq(g.carol.ID, act(), g.conv.ID, "fresh 3"),
	}
	res := s.SendMessages(ctx, reqs)
	codes := make([]string, len(res))
	for i, r := range res {
		codes[i] = codeOf(r.Err)
	}
	want := []string{"", "", shared.CodeNotFound, "", shared.CodeInvalid, "", "", ""}
	if !reflect.DeepEqual(codes, want) {
		t.Fatalf("codes = %q\nwant    %q", codes, want)
	}
	if !reflect.DeepEqual(res[1].Message, prior) || !reflect.DeepEqual(res[3].Message, elsewhere) {
		t.Fatalf("replays = %+v, %+v; want %+v, %+v", res[1].Message, res[3].Message, prior, elsewhere)
	}
	if res[1].Members != nil || res[3].Members != nil {
		t.Fatalf("replays carry members: %v, %v", res[1].Members, res[3].Members)
	}
	seqs := []int64{res[0].Message.Seq, res[5].Message.Seq, res[7].Message.Seq}
	if !reflect.DeepEqual(seqs, []int64{2, 2, 3}) || !reflect.DeepEqual(res[5], res[6]) {
		t.Fatalf("fresh seqs = %v (want 2 in other, 2 and 3 here); in-batch duplicate %+v vs %+v", seqs, res[5], res[6])
	}
	if m := res[0].Members; !reflect.DeepEqual(m, []int64{g.bob.ID, g.carol.ID}) {
		t.Fatalf("fan-out members = %v", m)
	}
	h, err := s.History(ctx, g.alice.ID, g.conv.ID, 0, 10)
	if err != nil || len(h.Messages) != 3 || !reflect.DeepEqual(h.Messages[1:], []shared.Message{res[5].Message, res[7].Message}) {
		t.Fatalf("history = %+v, %v", h, err)
	}
	// The sender's cursor moved past their own message, with its history row.
	by, err := s.SeenBy(ctx, g.bob.ID, g.conv.ID, 2)
	if err != nil || len(by.Seen) != 1 || by.Seen[0].UserID != g.carol.ID || by.Seen[0].Seq != 3 {
		t.Fatalf("seen by = %+v, %v; want carol by her reply", by, err)
	}
	assertGapFree(t, s, g.conv.ID)
	assertGapFree(t, s, other.ID)
}

// An id a message was sent under is taken for every other kind of action.
func TestSentActionIDRefusedForOtherKinds(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	m := MustSend(t, s, g.alice.ID, g.conv.ID, "hi")
	_, _, err := s.MarkSeen(ctx, g.alice.ID, m.ActionID, g.conv.ID, 1)
	wantCode(t, err, shared.CodeInvalid)
	_, err = s.RenameConversation(ctx, g.alice.ID, m.ActionID, g.conv.ID, "renamed")
	wantCode(t, err, shared.CodeInvalid)
	if n := count(t, s, "SELECT count(*) FROM applied_actions WHERE action_id = ?", m.ActionID); n != 0 {
		t.Fatalf("refused actions recorded: %d", n)
	}
	// Another user may use the same id: ids are per user.
	if _, _, err := s.MarkSeen(ctx, g.bob.ID, m.ActionID, g.conv.ID, 1); err != nil {
		t.Fatalf("bob's mark with alice's id: %v", err)
	}
}

// A send recorded in applied_actions by an earlier version (a row with the
// result and no message found by its id) still replays from that row.
func TestSendReplaysLegacyRecord(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	old := MustSend(t, s, g.bob.ID, g.conv.ID, "old")
	action := act()
	if _, err := s.DB.NewRaw(`INSERT INTO applied_actions (user_id, action_id, kind, result)
		SELECT ?, ?, ?, to_jsonb(m) FROM (SELECT ? AS id) m`, g.bob.ID, action, shared.TypeMessageSend, old.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.SendMessage(ctx, g.bob.ID, action, g.conv.ID, "retry")
	if err != nil || got.ID != old.ID || got.Seq != 0 {
		t.Fatalf("legacy replay = %+v, %v; want the stored result (id %d only)", got, err, old.ID)
	}
	assertGapFree(t, s, g.conv.ID)
}

// TestSendWaitsOnUncommittedDuplicate takes the race that the conversation
// lock cannot settle apart: the same action is being inserted into another
// conversation by a transaction still open. The send must wait for it, then
// answer with its message if it commits (after throwing away its own seq)
// or store its own if it rolls back.
func TestSendWaitsOnUncommittedDuplicate(t *testing.T) {
	for _, commit := range []bool{true, false} {
		t.Run(map[bool]string{true: "first commits", false: "first rolls back"}[commit], func(t *testing.T) {
			g := mustGroup(t)
			s := g.s
			other := MustConv(t, s, g.bob.ID, "other", g.carol.ID)
			action := act()
			tx, err := s.DB.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			var first shared.Message
			err = tx.NewRaw(`WITH c AS (UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING id, last_seq)
				INSERT INTO messages (conversation_id, seq, sender_id, kind, body, action_id)
				SELECT id, last_seq, ?, 'text', 'first', ? FROM c RETURNING id, seq`,
				g.conv.ID, g.bob.ID, action).Scan(ctx, &first.ID, &first.Seq)
			if err != nil {
				t.Fatal(err)
			}
			type result struct {
				m   shared.Message
				err error
			}
			done := make(chan result, 1)
			go func() {
				m, err := s.SendMessage(ctx, g.bob.ID, action, other.ID, "second")
				done <- result{m, err}
			}()
			// Wait until the send is blocked on the open transaction's row.
			for {
				var waiting int
				err := s.DB.NewRaw(`SELECT count(*) FROM pg_locks l
					JOIN pg_stat_activity a ON a.pid = l.pid AND a.datname = current_database()
					WHERE l.locktype = 'transactionid' AND NOT l.granted`).Scan(ctx, &waiting)
				if err != nil {
					t.Fatal(err)
				}
				if waiting > 0 {
					break
				}
				select {
				case r := <-done:
					t.Fatalf("send finished without waiting: %+v, %v", r.m, r.err)
				default:
				}
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r.err != nil {
				t.Fatal(r.err)
			}
			if commit && (r.m.ID != first.ID || r.m.ConversationID != g.conv.ID || r.m.Body != "first") {
				t.Fatalf("send = %+v; want the committed first message %d", r.m, first.ID)
			}
			if !commit && (r.m.ConversationID != other.ID || r.m.Seq != 1 || r.m.Body != "second") {
				t.Fatalf("send = %+v; want its own message in the other conversation", r.m)
			}
			if c := count(t, s, "SELECT count(*) FROM messages WHERE action_id = ?", action); c != 1 {
				t.Fatalf("rows = %d", c)
			}
			assertGapFree(t, s, g.conv.ID)
			assertGapFree(t, s, other.ID)
		})
	}
}
