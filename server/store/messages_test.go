package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"natter/server/store"
	"natter/shared"
)

func TestSendMessageErrors(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	closed := MustConv(t, s, g.alice.ID, "closed", g.bob.ID)
	if _, err := s.CloseConversation(ctx, g.alice.ID, act(), closed.ID); err != nil {
		t.Fatal(err)
	}
	emoji := strings.Repeat("😀", shared.DefaultBodyMax)
	tests := []struct {
		name   string
		user   int64
		conv   string
		action string
		body   string
		code   string
	}{
		{"empty", g.bob.ID, g.conv.ID, act(), "", shared.CodeEmptyBody},
		{"blank", g.bob.ID, g.conv.ID, act(), " \n\t ", shared.CodeEmptyBody},
		{"only NULs", g.bob.ID, g.conv.ID, act(), "\x00\x00", shared.CodeEmptyBody},
		{"too long", g.bob.ID, g.conv.ID, act(), emoji + "😀", shared.CodeBodyTooLong},
		{"invalid utf8", g.bob.ID, g.conv.ID, act(), "a\xffb", shared.CodeInvalid},
		{"stranger", g.dave.ID, g.conv.ID, act(), "hi", shared.CodeNotFound},
		{"unknown conversation", g.bob.ID, shared.NewUUIDv7(), act(), "hi", shared.CodeNotFound},
		{"junk conversation id", g.bob.ID, "x'; DROP TABLE messages; --", act(), "hi", shared.CodeNotFound},
		{"closed", g.bob.ID, closed.ID, act(), "hi", shared.CodeClosed},
		{"stranger to closed", g.dave.ID, closed.ID, act(), "hi", shared.CodeNotFound},
		{"bad action id", g.bob.ID, g.conv.ID, "1", "hi", shared.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.SendMessage(ctx, tt.user, tt.action, tt.conv, tt.body)
			wantCode(t, err, tt.code)
		})
	}
	if n := count(t, s, "SELECT count(*) FROM messages"); n != 0 {
		t.Fatalf("messages = %d after failures", n)
	}
	if n := count(t, s, "SELECT coalesce(sum(last_seq), 0) FROM conversations"); n != 0 {
		t.Fatalf("seqs taken by failures: %d", n)
	}

	t.Run("limit counts characters", func(t *testing.T) {
		m, err := s.SendMessage(ctx, g.bob.ID, act(), g.conv.ID, emoji+"  \n")
		if err != nil || m.Body != emoji {
			t.Fatalf("4000 emoji: len %d, %v", len(m.Body), err)
		}
	})
	t.Run("configurable limit", func(t *testing.T) {
		small := *s
		small.BodyMax = 5
		_, err := small.SendMessage(ctx, g.bob.ID, act(), g.conv.ID, "123456")
		wantCode(t, err, shared.CodeBodyTooLong)
	})
}

func TestSendMessageStored(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	body := "  indented 'quoted' \"double\" \\ {a,b} NULL ? $1 é\nline two\x00"
	m := MustSend(t, s, g.bob.ID, g.conv.ID, body)
	want := strings.TrimRight(strings.ReplaceAll(body, "\x00", ""), " ")
	if m.Body != want || m.Seq != 1 || m.Sender != "bob" || m.SenderID != g.bob.ID || m.Kind != shared.KindText || m.ID == 0 {
		t.Fatalf("sent = %+v", m)
	}
	h, err := s.History(ctx, g.alice.ID, g.conv.ID, 0, 10)
	if err != nil || len(h.Messages) != 1 || !reflect.DeepEqual(h.Messages[0], m) {
		t.Fatalf("history = %+v, %v; want %+v", h, err, m)
	}
	sys, err := s.SystemMessage(ctx, g.conv.ID, "Maintenance tonight.")
	if err != nil || sys.Kind != shared.KindSystem || sys.SenderID != 0 || sys.Seq != 2 || sys.ActionID != "" {
		t.Fatalf("system = %+v, %v", sys, err)
	}
	if n, err := s.MessageCount(ctx); n != 2 || err != nil {
		t.Fatalf("MessageCount = %d, %v", n, err)
	}
}

func TestSendMessageIdempotent(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	t.Run("sequential", func(t *testing.T) {
		action := act()
		a, err := s.SendMessage(ctx, g.bob.ID, action, g.conv.ID, "once")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.SendMessage(ctx, g.bob.ID, action, g.conv.ID, "once, edited by a buggy client")
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("replay = %+v, %v; want %+v", b, err, a)
		}
		if n := count(t, s, "SELECT count(*) FROM messages WHERE action_id = ?", action); n != 1 {
			t.Fatalf("rows = %d", n)
		}
	})
	t.Run("same action id, other user, is another action", func(t *testing.T) {
		action := act()
		a, _ := s.SendMessage(ctx, g.bob.ID, action, g.conv.ID, "bob")
		c, err := s.SendMessage(ctx, g.carol.ID, action, g.conv.ID, "carol")
		if err != nil || c.ID == a.ID {
			t.Fatalf("carol's = %+v, %v", c, err)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		action := act()
		const n = 20
		got := make([]shared.Message, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					got[i], errs[i] = s.SendMessage(ctx, g.bob.ID, strings.ToUpper(action), g.conv.ID, "race")
				} else {
					r := s.SendMessages(ctx, []store.SendRequest{{UserID: g.bob.ID, ActionID: action, ConversationID: g.conv.ID, Body: "race"}})
					got[i], errs[i] = r[0].Message, r[0].Err
				}
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || !reflect.DeepEqual(got[i], got[0]) {
				t.Fatalf("call %d = %+v, %v; want %+v", i, got[i], errs[i], got[0])
			}
		}
		if c := count(t, s, "SELECT count(*) FROM messages WHERE action_id = ?", action); c != 1 {
			t.Fatalf("rows = %d", c)
		}
	})
	assertGapFree(t, s, g.conv.ID)
}

func sendReq(user int64, action, conv, body string) store.SendRequest {
	return store.SendRequest{UserID: user, ActionID: action, ConversationID: conv, Body: body}
}

// assertGapFree checks that a conversation's seqs are exactly 1..last_seq.
func assertGapFree(tb testing.TB, s *store.Store, convID string) int {
	tb.Helper()
	var row struct {
		N, Min, Max, Distinct, Last int
	}
	err := s.DB.NewRaw(`SELECT count(*) AS n, coalesce(min(seq), 0) AS min, coalesce(max(seq), 0) AS max,
		count(DISTINCT seq) AS distinct, (SELECT last_seq FROM conversations WHERE id = ?) AS last
		FROM messages WHERE conversation_id = ?`, convID, convID).Scan(ctx, &row)
	if err != nil {
		tb.Fatal(err)
	}
	if row.N != row.Last || row.Distinct != row.N || (row.N > 0 && (row.Min != 1 || row.Max != row.N)) {
		tb.Fatalf("seqs not 1..%d without gaps: %+v", row.Last, row)
	}
	return row.N
}

func TestConcurrentSendsGapFree(t *testing.T) {
	const workers, each = 50, 200
	s := MustStore(t)
	s.DB.SetMaxOpenConns(8) // as store.Open sizes its pool on a small machine
	users := MustUsers(t, s, "w", workers)
	ids := make([]int64, workers)
	for i, u := range users {
		ids[i] = u.ID
	}
	conv := MustConv(t, s, ids[0], "load", ids[1:]...)

	t.Run("SendMessage", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					if _, err := s.SendMessage(ctx, ids[w], act(), conv.ID, fmt.Sprintf("%d/%d", w, i)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := assertGapFree(t, s, conv.ID); n != workers*each {
			t.Fatalf("messages = %d", n)
		}
	})
	t.Run("SendMessages", func(t *testing.T) {
		other := MustConv(t, s, ids[1], "second", ids[2:10]...)
		const batch = 50
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i += batch {
					reqs := make([]store.SendRequest, batch)
					for j := range reqs {
						reqs[j] = store.SendRequest{UserID: ids[w], ActionID: act(), ConversationID: conv.ID, Body: fmt.Sprintf("b%d/%d", w, i+j)}
						if w < 10 && j%10 == 0 && w >= 1 { // some traffic to a second conversation
							reqs[j].ConversationID = other.ID
						}
					}
					for _, r := range s.SendMessages(ctx, reqs) {
						if r.Err != nil {
							errs <- r.Err
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		n := assertGapFree(t, s, conv.ID) + assertGapFree(t, s, other.ID)
		if n != 2*workers*each {
			t.Fatalf("messages = %d, want %d", n, 2*workers*each)
		}
	})
	// Each sender's messages keep their order within the conversation.
	var bad int
	err := s.DB.NewRaw(`SELECT count(*) FROM (
		SELECT seq, id, lag(id) OVER (PARTITION BY conversation_id, sender_id ORDER BY seq) AS prev FROM messages) x
		WHERE prev > id`).Scan(ctx, &bad)
	if err != nil || bad != 0 {
		t.Fatalf("out-of-order rows: %d, %v", bad, err)
	}
}

func TestSendMessagesBatch(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	closed := MustConv(t, s, g.alice.ID, "closed", g.bob.ID)
	if _, err := s.CloseConversation(ctx, g.alice.ID, act(), closed.ID); err != nil {
		t.Fatal(err)
	}
	other := MustConv(t, s, g.carol.ID, "other", g.dave.ID)
	prior := MustSend(t, s, g.bob.ID, g.conv.ID, "sent before")
	dup := act()
	convAction := act()
	if _, err := s.RenameConversation(ctx, g.alice.ID, convAction, g.conv.ID, "renamed"); err != nil {
		t.Fatal(err)
	}
	reqs := []store.SendRequest{
		sendReq(g.bob.ID, act(), g.conv.ID, "one"),
		sendReq(g.dave.ID, act(), g.conv.ID, "stranger"),
		sendReq(g.bob.ID, act(), closed.ID, "closed"),
		sendReq(g.carol.ID, dup, g.conv.ID, "two"),
		sendReq(g.bob.ID, act(), g.conv.ID, ""),
		sendReq(g.carol.ID, dup, g.conv.ID, "two again"),
		sendReq(g.dave.ID, act(), other.ID, "elsewhere"),
		sendReq(g.bob.ID, prior.ActionID, g.conv.ID, "sent before"),
		sendReq(g.alice.ID, convAction, g.conv.ID, "reused id"),
		sendReq(g.bob.ID, "bad", g.conv.ID, "x"),
		sendReq(g.alice.ID, act(), g.conv.ID, "three"),
	}
	res := s.SendMessages(ctx, reqs)
	codes := make([]string, len(res))
	for i, r := range res {
		codes[i] = codeOf(r.Err)
	}
	wantCodes := []string{"", shared.CodeNotFound, shared.CodeClosed, "", shared.CodeEmptyBody, "", "", "", shared.CodeInvalid, shared.CodeInvalid, ""}
	if !reflect.DeepEqual(codes, wantCodes) {
		t.Fatalf("codes = %q\nwant    %q", codes, wantCodes)
	}
	seqs := []int64{res[0].Message.Seq, res[3].Message.Seq, res[10].Message.Seq}
	if !reflect.DeepEqual(seqs, []int64{2, 3, 4}) {
		t.Fatalf("seqs = %v, want batch order 2,3,4", seqs)
	}
	if !reflect.DeepEqual(res[3], res[5]) || res[3].Message.Body != "two" {
		t.Fatalf("in-batch replay: %+v vs %+v", res[3], res[5])
	}
	if !reflect.DeepEqual(res[7].Message, prior) {
		t.Fatalf("replay of earlier send = %+v, want %+v", res[7].Message, prior)
	}
	if m := res[6].Message; m.Seq != 1 || m.Sender != "dave" || m.ConversationID != other.ID {
		t.Fatalf("other conversation = %+v", m)
	}
	// Every result is what History reads back, and replays match too.
	h, err := s.History(ctx, g.bob.ID, g.conv.ID, 0, 10)
	if err != nil || len(h.Messages) != 4 {
		t.Fatalf("history = %+v, %v", h, err)
	}
	for i, idx := range []int{0, 3, 10} {
		if !reflect.DeepEqual(h.Messages[i+1], res[idx].Message) {
			t.Fatalf("stored %+v\nreturned %+v", h.Messages[i+1], res[idx].Message)
		}
		again, err := s.SendMessage(ctx, reqs[idx].UserID, reqs[idx].ActionID, reqs[idx].ConversationID, "replay")
		if err != nil || !reflect.DeepEqual(again, res[idx].Message) {
			t.Fatalf("single replay of batch item = %+v, %v", again, err)
		}
	}
	// Refused items left no claim behind: they can be sent once fixed.
	reqs[1].ConversationID = other.ID
	if r := s.SendMessages(ctx, reqs[1:2]); r[0].Err != nil || r[0].Message.Seq != 2 {
		t.Fatalf("retry after refusal = %+v", r[0])
	}
	if r := s.SendMessages(ctx, nil); len(r) != 0 {
		t.Fatalf("empty batch = %v", r)
	}
	assertGapFree(t, s, g.conv.ID)
}

func TestHistoryPaging(t *testing.T) {
	g := mustGroup(t)
	s := g.s
	const total = 3000
	reqs := make([]store.SendRequest, 0, 500)
	for i := 1; i <= total; i++ {
		reqs = append(reqs, store.SendRequest{UserID: g.bob.ID, ActionID: act(), ConversationID: g.conv.ID, Body: fmt.Sprint(i)})
		if len(reqs) == cap(reqs) {
			for _, r := range s.SendMessages(ctx, reqs) {
				if r.Err != nil {
					t.Fatal(r.Err)
				}
			}
			reqs = reqs[:0]
		}
	}
	h, err := s.History(ctx, g.alice.ID, g.conv.ID, 0, 0)
	if err != nil || len(h.Messages) != shared.HistoryPageDefault || !h.More || h.Messages[0].Seq != total-shared.HistoryPageDefault+1 || h.Messages[len(h.Messages)-1].Seq != total {
		t.Fatalf("newest page: %d messages, more %v, %v", len(h.Messages), h.More, err)
	}
	// Walk back to the start in pages of the maximum size.
	want := int64(total)
	before := int64(0)
	for {
		h, err := s.History(ctx, g.alice.ID, g.conv.ID, before, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Messages) > shared.HistoryPageMax {
			t.Fatalf("page of %d", len(h.Messages))
		}
		for i := len(h.Messages) - 1; i >= 0; i-- {
			if m := h.Messages[i]; m.Seq != want || m.Body != fmt.Sprint(want) {
				t.Fatalf("got seq %d %q, want %d", m.Seq, m.Body, want)
			}
			want--
		}
		if !h.More {
			break
		}
		before = h.Messages[0].Seq
	}
	if want != 0 {
		t.Fatalf("stopped at %d", want)
	}
	h, err = s.History(ctx, g.alice.ID, g.conv.ID, 3, 10)
	if err != nil || len(h.Messages) != 2 || h.More {
		t.Fatalf("before 3 = %+v, %v", h, err)
	}
	after, err := s.MessagesAfter(ctx, g.conv.ID, total-5, 0)
	if err != nil || len(after) != 5 || after[0].Seq != total-4 {
		t.Fatalf("MessagesAfter = %d msgs, %v", len(after), err)
	}
	after, err = s.MessagesAfter(ctx, g.conv.ID, 0, 3)
	if err != nil || len(after) != 3 || after[2].Seq != 3 {
		t.Fatalf("MessagesAfter limit = %+v, %v", after, err)
	}
}

func TestOwnMessagesAreNotUnread(t *testing.T) {
	st := MustStore(t)
	ctx := context.Background()
	a, b := MustUser(t, st, "own1"), MustUser(t, st, "own2")
	conv := MustConv(t, st, a.ID, "", b.ID)
	for _, send := range []func() error{
		func() error { _, err := st.SendMessage(ctx, a.ID, shared.NewUUIDv7(), conv.ID, "single"); return err },
		func() error {
			r := st.SendMessages(ctx, []store.SendRequest{{UserID: a.ID, ActionID: shared.NewUUIDv7(), ConversationID: conv.ID, Body: "batched"}})
			return r[0].Err
		},
	} {
		if err := send(); err != nil {
			t.Fatal(err)
		}
		c, err := st.Conversation(ctx, a.ID, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if me, other := c.Member(a.ID), c.Member(b.ID); me.SeenSeq != c.LastSeq || other.SeenSeq != 0 {
			t.Fatalf("after sending: sender seen %d, other seen %d, last %d", me.SeenSeq, other.SeenSeq, c.LastSeq)
		}
	}
}
