package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"natter/shared"
)

// mustOfflineEngine returns an engine loaded from st but never connected:
// it exercises the outbox, cache and drafts without any server.
func mustOfflineEngine(tb testing.TB, st Storage) *Engine {
	tb.Helper()
	ctx := context.Background()
	if _, ok, _ := st.Get(ctx, BucketMeta, metaKey); !ok {
		// Signed in as ann: the user's record is stored, as after sign-in.
		b, _ := json.Marshal(meta{User: shared.User{ID: 7, Nickname: "ann"}})
		if err := st.Put(ctx, BucketMeta, metaKey, b); err != nil {
			tb.Fatal(err)
		}
	}
	e := New(Config{Storage: st})
	e.load(ctx)
	return e
}

// mustConv puts a confirmed conversation with messages 1..n in e's cache.
func mustConv(tb testing.TB, e *Engine, id string, n int64) {
	tb.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	c := newConv(shared.Conversation{ID: id, Title: "t", LastSeq: n, Members: []shared.Member{{UserID: e.me.ID, Nickname: e.me.Nickname, Owner: true}, {UserID: 8, Nickname: "bob"}}})
	for s := int64(1); s <= n; s++ {
		c.merge(shared.Message{ConversationID: id, Seq: s, SenderID: 8, Body: fmt.Sprint("m", s)})
	}
	e.convs[id] = c
	e.dirty.conv(id)
}

func TestSendIsDurableBeforeReturnAndSurvivesReload(t *testing.T) {
	st := NewMemoryStorage()
	e := mustOfflineEngine(t, st)
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, 3)
	var ids []string
	for i := range 5 {
		id, err := e.Send(conv, fmt.Sprintf("hello %d  \n", i))
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		ids = append(ids, id)
		// Durable before Send returned: a fresh engine on the same storage sees it.
		kvs, _ := st.List(context.Background(), BucketOutbox)
		if len(kvs) != i+1 {
			t.Fatalf("after send %d: outbox holds %d entries", i, len(kvs))
		}
	}
	e.Stop()

	e2 := mustOfflineEngine(t, st)
	msgs := e2.Messages(conv)
	if len(msgs) != 3+5 {
		t.Fatalf("after reload: %d messages, want 8", len(msgs))
	}
	for i, id := range ids {
		m := msgs[3+i]
		if m.ActionID != id || m.State != MsgQueued || m.Body != fmt.Sprintf("hello %d", i) {
			t.Errorf("queued %d = %+v, want action %s queued with trimmed body", i, m, id)
		}
	}
}

func TestSendRejectsBadInputAndFullStorage(t *testing.T) {
	st := NewMemoryStorage()
	e := mustOfflineEngine(t, st)
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, 0)
	tests := []struct {
		name, conv, body string
		code             string
	}{
		{"empty", conv, "  \n ", shared.CodeEmptyBody},
		{"too long", conv, string(make([]rune, shared.DefaultBodyMax+1)), shared.CodeBodyTooLong},
		{"unknown conversation", shared.NewUUIDv7(), "hi", shared.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Send(tt.conv, tt.body)
			var fe *shared.FieldError
			var se *shared.Error
			switch {
			case errors.As(err, &fe):
				if fe.Code != tt.code {
					t.Errorf("code %s, want %s", fe.Code, tt.code)
				}
			case errors.As(err, &se):
				if se.Code != tt.code {
					t.Errorf("code %s, want %s", se.Code, tt.code)
				}
			default:
				t.Fatalf("err = %v, want code %s", err, tt.code)
			}
		})
	}
	st.SetError(errors.New("QuotaExceededError"))
	if _, err := e.Send(conv, "hi"); err == nil {
		t.Fatal("send on a full store succeeded")
	}
	if s := e.State(); s.StorageError == "" {
		t.Error("a full store is not shown in State.StorageError")
	}
	if n := len(e.Messages(conv)); n != 0 {
		t.Errorf("a refused send shows %d messages", n)
	}
	st.SetError(nil)
	if _, err := e.Send(conv, "hi"); err != nil {
		t.Fatalf("send after the store healed: %v", err)
	}
	if s := e.State(); s.StorageError != "" {
		t.Errorf("StorageError stays after a good write: %q", s.StorageError)
	}
}

func TestOutboxWindowOrderAndBlocking(t *testing.T) {
	e := mustOfflineEngine(t, NewMemoryStorage())
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, 0)
	var ids []string
	for i := range 40 {
		id, err := e.Send(conv, fmt.Sprint("m", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	now := time.Now()
	e.mu.Lock()
	first, _ := e.nextToSend(now)
	again, _ := e.nextToSend(now)
	e.mu.Unlock()
	if len(first) != 32 || len(again) != 0 {
		t.Fatalf("window: sent %d then %d, want 32 then 0", len(first), len(again))
	}
	for i, a := range first {
		if a.ID != ids[i] {
			t.Fatalf("sent #%d is %s, want %s (queue order)", i, a.ID, ids[i])
		}
	}

	// An ack frees one slot: the next in order goes.
	e.mu.Lock()
	e.removeAction(first[0])
	next, _ := e.nextToSend(now)
	e.mu.Unlock()
	if len(next) != 1 || next[0].ID != ids[32] {
		t.Fatalf("after one ack: %v, want just %s", next, ids[32])
	}

	// A permanent failure does not hold up the rest; a transient one waits
	// at its place.
	e.mu.Lock()
	for _, a := range e.outbox {
		a.inflight = false
	}
	e.failAction(e.outbox[0], &shared.Error{Code: shared.CodeClosed, Message: "closed"})
	e.outbox[1].retryAt = now.Add(time.Minute)
	out, wake := e.nextToSend(now)
	e.mu.Unlock()
	if len(out) != 0 || !wake.Equal(now.Add(time.Minute)) {
		t.Fatalf("transient wait: sent %d, wake %v", len(out), wake)
	}
	e.mu.Lock()
	e.outbox[1].retryAt = time.Time{}
	out, _ = e.nextToSend(now)
	e.mu.Unlock()
	if len(out) != 32 || out[0].ID != ids[2] {
		t.Fatalf("after the wait: sent %d starting %s, want 32 starting %s", len(out), out[0].ID, ids[2])
	}
	if m := e.Messages(conv); m[0].State != MsgFailed || m[0].Error != "closed" || m[1].State != MsgSending {
		t.Errorf("states %s(%q) %s, want failed(closed) sending", m[0].State, m[0].Error, m[1].State)
	}
}

func TestQueuedBehindOfflineCreateWaitsForItsAck(t *testing.T) {
	e := mustOfflineEngine(t, NewMemoryStorage())
	other := shared.NewUUIDv7()
	mustConv(t, e, other, 0)
	conv, err := e.CreateConversation("", []shared.User{{ID: 8, Nickname: "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := e.Conversation(conv); !ok || !v.Pending || v.Title != "bob" {
		t.Fatalf("new conversation = %+v %v, want pending titled bob", v, ok)
	}
	if _, err := e.Send(conv, "first"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Send(other, "elsewhere"); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	out, _ := e.nextToSend(time.Now())
	e.mu.Unlock()
	if len(out) != 1 || out[0].Type != shared.TypeConversationCreate {
		t.Fatalf("sent %d actions first, want only the create", len(out))
	}
}

func TestRedirectMovesQueueAndDraft(t *testing.T) {
	st := NewMemoryStorage()
	e := mustOfflineEngine(t, st)
	existing := shared.NewUUIDv7()
	mustConv(t, e, existing, 2)
	conv, err := e.CreateConversation("", []shared.User{{ID: 8, Nickname: "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	sent, _ := e.Send(conv, "queued offline")
	e.SetDraft(conv, "half typed")

	e.mu.Lock()
	s := &session{listed: map[string]bool{}, kickc: make(chan struct{}, 1)}
	create := e.createAction(conv)
	e.applyAck(s, create, shared.Ack{Conversation: &shared.Conversation{ID: existing, Title: "bob", LastSeq: 2,
		Members: []shared.Member{{UserID: 7, Nickname: "ann"}, {UserID: 8, Nickname: "bob", Owner: true}}}})
	e.mu.Unlock()

	if got := e.Redirect(conv); got != existing {
		t.Fatalf("Redirect = %q, want %q", got, existing)
	}
	for _, v := range e.State().Conversations {
		if v.ID == conv {
			t.Errorf("the merged conversation is still listed")
		}
	}
	msgs := e.Messages(existing)
	if len(msgs) != 3 || msgs[2].ActionID != sent {
		t.Fatalf("existing conversation shows %d messages, want 2 + the queued one", len(msgs))
	}
	if d := e.Draft(existing); d != "half typed" {
		t.Errorf("draft moved = %q", d)
	}
	e.Stop()
	e2 := mustOfflineEngine(t, st)
	e2.mu.Lock()
	defer e2.mu.Unlock()
	if len(e2.outbox) != 1 || e2.outbox[0].Conv != existing {
		t.Fatalf("after reload the queued message targets %v", e2.outbox)
	}
	var p shared.MessageSend
	json.Unmarshal(e2.outbox[0].Data, &p)
	if p.ConversationID != existing || p.Body != "queued offline" {
		t.Errorf("stored payload %+v", p)
	}
	if e2.resolve(conv) != existing {
		t.Error("redirect not persisted")
	}
}

func TestMarkSeenCoalesces(t *testing.T) {
	e := mustOfflineEngine(t, NewMemoryStorage())
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, 10)
	for _, s := range []int64{3, 5, 4, 9, 20} {
		e.MarkSeen(conv, s)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.outbox) != 1 || e.outbox[0].Seq != 10 {
		t.Fatalf("outbox %d entries, first seq %d; want one mark at 10 (clamped)", len(e.outbox), e.outbox[0].Seq)
	}
	if v := e.view(e.convs[conv], time.Now()); v.Unread != 0 {
		t.Errorf("unread %d after marking all seen", v.Unread)
	}
}

func TestDraftsSurviveStop(t *testing.T) {
	st := NewMemoryStorage()
	e := mustOfflineEngine(t, st)
	for _, s := range []string{"h", "he", "hel", "hello"} {
		e.SetDraft("c1", s)
	}
	e.SetDraft(DraftNew, `{"title":"x"}`)
	e.SetDraft("gone", "x")
	e.SetDraft("gone", "")
	e.Stop()
	e2 := mustOfflineEngine(t, st)
	if d := e2.Draft("c1"); d != "hello" {
		t.Errorf("draft = %q, want the last keystroke", d)
	}
	if d := e2.Draft(DraftNew); d != `{"title":"x"}` {
		t.Errorf("new-conversation draft = %q", d)
	}
	if _, ok, _ := st.Get(context.Background(), BucketDrafts, "gone"); ok {
		t.Error("a cleared draft is still stored")
	}
}

func TestCacheKeepsNewestPageAndResumesFromIt(t *testing.T) {
	st := NewMemoryStorage()
	e := mustOfflineEngine(t, st)
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, 1300) // sent long ago: only the newest DefaultRetention.Min stay
	e.Stop()
	e2 := mustOfflineEngine(t, st)
	msgs := e2.Messages(conv)
	if len(msgs) != DefaultRetention.Min || msgs[0].Seq != 301 || msgs[len(msgs)-1].Seq != 1300 {
		t.Fatalf("reloaded %d messages %d..%d", len(msgs), msgs[0].Seq, msgs[len(msgs)-1].Seq)
	}
	v, _ := e2.Conversation(conv)
	e2.mu.Lock()
	cur := e2.cursors()[conv]
	e2.mu.Unlock()
	if !v.HasOlder || cur != 1300 {
		t.Errorf("HasOlder %v cursor %d, want true 1300", v.HasOlder, cur)
	}
}

// A conversation whose whole history was loaded (LoadOlder reached seq 1)
// is cached as what the retention policy keeps: after a reload the rest is older
// history to fetch again, not "nothing older". (TestFaults found it: a
// reloaded tab showed seqs 185..600 and offered nothing before.)
func TestCacheTrimKeepsOlderHistoryReachable(t *testing.T) {
	st := NewMemoryStorage()
	e := mustOfflineEngine(t, st)
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, int64(DefaultRetention.Min)+100) // sent long ago: the oldest 100 are not kept
	e.mu.Lock()
	e.convs[conv].noOlder = true // as after LoadOlder answered More: false
	e.mu.Unlock()
	e.Stop()
	e2 := mustOfflineEngine(t, st)
	if v, _ := e2.Conversation(conv); !v.HasOlder {
		t.Fatal("after a reload the trimmed history is not offered")
	}
}

func TestSetMeIsCachedForTheNextStart(t *testing.T) {
	st := NewMemoryStorage()
	e := mustOfflineEngine(t, st)
	e.SetMe(shared.User{ID: 7, Nickname: "annie"})
	e.SetMe(shared.User{ID: 99, Nickname: "intruder"}) // another account's data is ignored
	if got := e.State().Me.Nickname; got != "annie" {
		t.Fatalf("state: %q", got)
	}
	e.Flush()
	again := New(Config{Storage: st})
	again.load(context.Background())
	if got := again.State().Me.Nickname; got != "annie" {
		t.Fatalf("after reload: %q", got)
	}
}

// Pages of older history push back a flush of conversations alone, within
// historyFlushWait of when it was armed; a draft waiting is not held back.
func TestHistoryPagesHoldBackTheConversationsFlush(t *testing.T) {
	e := mustOfflineEngine(t, NewMemoryStorage())
	defer e.Stop()
	mustConv(t, e, "c", 10)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.scheduleFlush()
	armed, first := e.flushArmed, e.flushDue
	if e.flushTimer == nil || armed.IsZero() {
		t.Fatal("no flush armed for a dirty conversation")
	}
	e.scheduleHistoryFlush()
	if !e.flushDue.After(first) || e.flushDue.After(armed.Add(historyFlushWait)) {
		t.Fatalf("a page moved the flush from %v to %v (armed %v)", first, e.flushDue, armed)
	}
	e.flushArmed = armed.Add(-historyFlushWait) // paging for that long already
	held := e.flushDue
	e.scheduleHistoryFlush()
	if e.flushDue != held {
		t.Fatalf("a page past historyFlushWait moved the flush from %v to %v", held, e.flushDue)
	}
	e.dirty.drafts["c"] = true
	before := time.Now()
	e.scheduleHistoryFlush()
	if e.flushDue.After(before.Add(flushDelay + time.Second)) {
		t.Fatalf("with a draft dirty the flush is due at %v, %v after the page", e.flushDue, e.flushDue.Sub(before))
	}
}

// Asking for an older page pushes back an armed flush of conversations
// before the page is in, whether a page was held ahead or not: the write
// of the conversation just opened must not start between the reader's
// scroll and the page.
func TestSteppingBackHoldsBackTheConversationsFlush(t *testing.T) {
	e := mustOfflineEngine(t, NewMemoryStorage())
	defer e.Stop()
	mustConv(t, e, "c", 10)
	for _, step := range []struct {
		name string
		ask  func()
	}{
		{"LoadOlderHeld", func() { e.LoadOlderHeld("c") }},
		{"LoadOlder", func() { _ = e.LoadOlder(context.Background(), "c") }},
	} {
		t.Run(step.name, func(t *testing.T) {
			e.mu.Lock()
			e.dirty.conv("c")
			e.scheduleFlush()
			// As if armed half a second ago: pushed back, it is due later.
			e.flushArmed, e.flushDue = e.flushArmed.Add(-time.Second/2), e.flushDue.Add(-time.Second/2)
			due := e.flushDue
			e.mu.Unlock()
			step.ask()
			e.mu.Lock()
			defer e.mu.Unlock()
			if e.flushTimer == nil || !e.flushDue.After(due) {
				t.Fatalf("the flush due at %v is due at %v after the step was asked for", due, e.flushDue)
			}
		})
	}
}

// countingStorage counts the writes that reach Storage one at a time.
type countingStorage struct {
	*MemoryStorage
	single, batches int
}

func (c *countingStorage) Put(ctx context.Context, bucket, key string, value []byte) error {
	c.single++
	return c.MemoryStorage.Put(ctx, bucket, key, value)
}

func (c *countingStorage) Delete(ctx context.Context, bucket, key string) error {
	c.single++
	return c.MemoryStorage.Delete(ctx, bucket, key)
}

func (c *countingStorage) WriteAll(ctx context.Context, ws []Write) error {
	c.batches++
	return c.MemoryStorage.WriteAll(ctx, ws)
}

// A flush is one WriteAll, holding the conversation an ack changed and the
// removal of the acked action's outbox entry together; when it fails,
// neither is written, and the next flush writes both.
func TestFlushWritesAckAndOutboxTogether(t *testing.T) {
	mem := NewMemoryStorage()
	st := &countingStorage{MemoryStorage: mem}
	ctx := context.Background()
	if err := mem.Put(ctx, BucketOutbox, "k1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	e := New(Config{Storage: st})
	e.mu.Lock()
	conv := shared.NewUUIDv7()
	c := newConv(shared.Conversation{ID: conv, Title: "t"})
	c.merge(shared.Message{ConversationID: conv, Seq: 1, Body: "sent", CreatedAt: time.Now()})
	e.convs[conv] = c
	e.dirty.conv(conv)
	e.settled["k1"] = true
	e.mu.Unlock()

	mem.SetError(errors.New("disk full"))
	e.Flush()
	if _, ok, _ := mem.Get(ctx, BucketOutbox, "k1"); !ok {
		t.Fatal("a failed flush removed the outbox entry")
	}
	if _, ok, _ := mem.Get(ctx, BucketConvs, conv); ok {
		t.Fatal("a failed flush wrote the conversation")
	}
	mem.SetError(nil)
	e.Flush()
	if _, ok, _ := mem.Get(ctx, BucketOutbox, "k1"); ok {
		t.Error("the outbox entry stayed")
	}
	if _, ok, _ := mem.Get(ctx, BucketMessages, conv); !ok {
		t.Error("the conversation's messages were not written")
	}
	if st.single != 0 || st.batches != 2 {
		t.Errorf("flushes wrote %d records one at a time and made %d batches, want 0 and 2", st.single, st.batches)
	}
}

// A page read ahead is held for one conversation at a time: reading ahead
// in another forgets it, so that opening many conversations does not keep
// a page of each in memory.
func TestReadAheadHoldsOneConversation(t *testing.T) {
	e := mustOfflineEngine(t, NewMemoryStorage())
	defer e.Stop()
	mustConv(t, e, "a", 10)
	mustConv(t, e, "b", 10)
	e.mu.Lock()
	defer e.mu.Unlock()
	a, b := e.convs["a"], e.convs["b"]
	e.readAhead(a)
	a.ahead = &ahead{before: 1, done: make(chan struct{})} // as if asked and in
	e.readAhead(a)
	if a.ahead == nil {
		t.Fatal("reading ahead in the same conversation dropped its page")
	}
	e.readAhead(b)
	if a.ahead != nil {
		t.Fatal("reading ahead in another conversation kept the first one's page")
	}
}
