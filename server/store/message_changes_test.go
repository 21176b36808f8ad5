package store_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"natter/server/store"
	"natter/shared"
)

func ref(conv string, seq int64) shared.MessageRef {
	return shared.MessageRef{ConversationID: conv, Seq: seq}
}

func TestEditDeleteReactAuthorization(t *testing.T) {
	g := mustGroup(t)
	s, conv := g.s, g.conv.ID
	bobs := MustSend(t, s, g.bob.ID, conv, "bob's")
	closed := MustConv(t, s, g.alice.ID, "closed", g.bob.ID)
	old := MustSend(t, s, g.bob.ID, closed.ID, "before closing")
	if _, err := s.CloseConversation(ctx, g.alice.ID, act(), closed.ID); err != nil {
		t.Fatal(err)
	}
	edit := func(u int64, r shared.MessageRef) error {
		_, err := s.EditMessage(ctx, u, act(), shared.MessageEdit{MessageRef: r, Body: "changed"})
		return err
	}
	del := func(u int64, r shared.MessageRef) error {
		_, err := s.DeleteMessage(ctx, u, act(), shared.MessageDelete{MessageRef: r})
		return err
	}
	react := func(u int64, r shared.MessageRef) error {
		_, err := s.SetReaction(ctx, u, act(), shared.ReactionSet{MessageRef: r, Emoji: "👍", On: true})
		return err
	}
	tests := []struct {
		name string
		do   func(int64, shared.MessageRef) error
		user int64
		ref  shared.MessageRef
		code string
	}{
		{"edit by stranger", edit, g.dave.ID, ref(conv, bobs.Seq), shared.CodeNotFound},
		{"edit by other member", edit, g.carol.ID, ref(conv, bobs.Seq), shared.CodeNotAuthor},
		{"edit by owner", edit, g.alice.ID, ref(conv, bobs.Seq), shared.CodeNotAuthor},
		{"edit missing", edit, g.bob.ID, ref(conv, 99), shared.CodeMessageNotFound},
		{"edit no target", edit, g.bob.ID, ref(conv, 0), shared.CodeInvalid},
		{"edit other's action id", edit, g.carol.ID, shared.MessageRef{ConversationID: conv, TargetAction: bobs.ActionID}, shared.CodeMessageNotFound},
		{"edit in closed", edit, g.bob.ID, ref(closed.ID, old.Seq), shared.CodeClosed},
		{"delete by stranger", del, g.dave.ID, ref(conv, bobs.Seq), shared.CodeNotFound},
		{"delete by other member", del, g.carol.ID, ref(conv, bobs.Seq), shared.CodeNotAuthor},
		{"react by stranger", react, g.dave.ID, ref(conv, bobs.Seq), shared.CodeNotFound},
		{"react in closed", react, g.alice.ID, ref(closed.ID, old.Seq), shared.CodeClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.do(tt.user, tt.ref), tt.code) })
	}
	_, err := s.SetReaction(ctx, g.bob.ID, act(), shared.ReactionSet{MessageRef: ref(conv, bobs.Seq), Emoji: "<b>", On: true})
	wantCode(t, err, shared.CodeInvalid)
	if n := count(t, s, "SELECT count(*) FROM applied_actions WHERE kind LIKE 'message.%' OR kind = 'reaction.set'"); n != 0 {
		t.Fatalf("refusals recorded: %d", n)
	}
	if n := count(t, s, "SELECT coalesce(sum(last_event_seq), 0) FROM conversations"); n != 0 {
		t.Fatalf("refusals took event seqs: %d", n)
	}
	// The author deletes in a closed conversation; the owner deletes anyone's.
	if err := del(g.bob.ID, ref(closed.ID, old.Seq)); err != nil {
		t.Fatalf("author delete in closed: %v", err)
	}
	if err := del(g.alice.ID, ref(conv, bobs.Seq)); err != nil {
		t.Fatalf("owner delete: %v", err)
	}
	wantCode(t, edit(g.bob.ID, ref(conv, bobs.Seq)), shared.CodeMessageDeleted)
	wantCode(t, react(g.bob.ID, ref(conv, bobs.Seq)), shared.CodeMessageDeleted)
}

func TestEditIdempotentWithHistory(t *testing.T) {
	g := mustGroup(t)
	s, conv := g.s, g.conv.ID
	m := MustSend(t, s, g.bob.ID, conv, "teh first")
	id := act()
	req := shared.MessageEdit{MessageRef: shared.MessageRef{ConversationID: conv, TargetAction: m.ActionID}, Body: "the first"}
	c1, err := s.EditMessage(ctx, g.bob.ID, id, req)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := s.EditMessage(ctx, g.bob.ID, id, req)
	if err != nil {
		t.Fatal(err)
	}
	if c1.EventSeq != 1 || c2.EventSeq != 1 || len(c1.Messages) != 1 || c1.Messages[0].Body != "the first" ||
		c1.Messages[0].EditedAt == nil || c1.Messages[0].EventSeq != 1 {
		t.Fatalf("edit = %+v, replay = %+v", c1, c2)
	}
	if _, err := s.EditMessage(ctx, g.bob.ID, act(), shared.MessageEdit{MessageRef: ref(conv, m.Seq), Body: "the first!"}); err != nil {
		t.Fatal(err)
	}
	e, err := s.MessageEdits(ctx, g.alice.ID, conv, m.Seq)
	if err != nil || len(e.Versions) != 2 || e.Versions[0].Body != "teh first" || e.Versions[1].Body != "the first" {
		t.Fatalf("edits = %+v, %v", e, err)
	}
	_, err = s.MessageEdits(ctx, g.dave.ID, conv, m.Seq)
	wantCode(t, err, shared.CodeNotFound)
	if n := count(t, s, "SELECT last_event_seq FROM conversations WHERE id = ?", conv); n != 2 {
		t.Fatalf("event seq = %d, want 2 (the replay took none)", n)
	}
	// The same id for another kind of action is refused.
	_, err = s.DeleteMessage(ctx, g.bob.ID, id, shared.MessageDelete{MessageRef: ref(conv, m.Seq)})
	wantCode(t, err, shared.CodeInvalid)
}

func TestDeleteErasesBody(t *testing.T) {
	g := mustGroup(t)
	s, conv := g.s, g.conv.ID
	m := MustSend(t, s, g.bob.ID, conv, "secret v1")
	if _, err := s.EditMessage(ctx, g.bob.ID, act(), shared.MessageEdit{MessageRef: ref(conv, m.Seq), Body: "secret v2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetReaction(ctx, g.carol.ID, act(), shared.ReactionSet{MessageRef: ref(conv, m.Seq), Emoji: "😮", On: true}); err != nil {
		t.Fatal(err)
	}
	reply, _, err := s.SendReply(ctx, g.carol.ID, act(), shared.MessageSend{ConversationID: conv, Body: "what secret?", ReplyTo: m.Seq})
	if err != nil || reply.ReplyTo == nil || reply.ReplyTo.Line != "secret v2" || reply.ReplyTo.Sender != "bob" {
		t.Fatalf("reply = %+v, %v", reply, err)
	}
	id := act()
	c, err := s.DeleteMessage(ctx, g.bob.ID, id, shared.MessageDelete{MessageRef: ref(conv, m.Seq)})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Messages) != 2 || c.Messages[0].Body != "" || c.Messages[0].DeletedAt == nil || c.Messages[0].Reactions != nil ||
		c.Messages[1].ReplyTo == nil || !c.Messages[1].ReplyTo.Deleted || c.Messages[1].ReplyTo.Line != "" ||
		c.Messages[1].EventSeq != c.EventSeq || c.Messages[0].EventSeq != c.EventSeq {
		t.Fatalf("delete = %+v", c)
	}
	// Nothing of the text is left anywhere in the database.
	for _, q := range []string{
		"SELECT count(*) FROM messages WHERE body LIKE '%secret v%'",
		"SELECT count(*) FROM message_edits",
		"SELECT count(*) FROM message_reactions",
		"SELECT count(*) FROM applied_actions WHERE result::text LIKE '%secret%'",
	} {
		if n := count(t, s, q); n != 0 {
			t.Errorf("%s = %d", q, n)
		}
	}
	again, err := s.DeleteMessage(ctx, g.bob.ID, id, shared.MessageDelete{MessageRef: ref(conv, m.Seq)})
	if err != nil || again.EventSeq != c.EventSeq {
		t.Fatalf("replayed delete = %+v, %v", again, err)
	}
	if _, err := s.DeleteMessage(ctx, g.alice.ID, act(), shared.MessageDelete{MessageRef: ref(conv, m.Seq)}); err != nil {
		t.Fatalf("second delete of a deleted message: %v", err)
	}
	if n := count(t, s, "SELECT last_event_seq FROM conversations WHERE id = ?", conv); n != 3 {
		t.Fatalf("event seq = %d, want 3", n)
	}
}

func TestReactionsConvergeAndReplay(t *testing.T) {
	g := mustGroup(t)
	s, conv := g.s, g.conv.ID
	m := MustSend(t, s, g.bob.ID, conv, "party")
	set := func(u int64, emoji string, on bool) store.MessageChange {
		t.Helper()
		c, err := s.SetReaction(ctx, u, act(), shared.ReactionSet{MessageRef: ref(conv, m.Seq), Emoji: emoji, On: on})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	set(g.alice.ID, "🎉", true)
	set(g.carol.ID, "🎉", true)
	set(g.carol.ID, "👍", true)
	if c := set(g.carol.ID, "👍", true); c.EventSeq != 3 {
		t.Fatalf("a reaction already there took an event: %d", c.EventSeq)
	}
	c := set(g.carol.ID, "👍", false)
	want := []shared.Reaction{{Emoji: "🎉", UserIDs: []int64{g.alice.ID, g.carol.ID}}}
	if c.EventSeq != 4 || !slices.EqualFunc(c.Messages[0].Reactions, want, func(a, b shared.Reaction) bool {
		return a.Emoji == b.Emoji && slices.Equal(a.UserIDs, b.UserIDs)
	}) {
		t.Fatalf("reactions = %+v at %d", c.Messages[0].Reactions, c.EventSeq)
	}
	h, err := s.History(ctx, g.bob.ID, conv, 0, 10)
	if err != nil || len(h.Messages[0].Reactions) != 1 || h.Messages[0].EventSeq != 4 {
		t.Fatalf("history = %+v, %v", h, err)
	}
	// A resume from event 1 gets the message once, in its current state.
	ch, err := s.ChangedMessages(ctx, conv, store.ChangedCursor{EventSeq: 1}, 10, 100)
	if err != nil || len(ch) != 1 || ch[0].EventSeq != 4 {
		t.Fatalf("changed = %+v, %v", ch, err)
	}
	ch, err = s.ChangedMessages(ctx, conv, store.ChangedCursor{EventSeq: 4, Seq: 1 << 40}, 10, 100)
	if err != nil || len(ch) != 0 {
		t.Fatalf("changed after the last = %+v, %v", ch, err)
	}
}

// Two devices of one author edit at once: the server orders them, the one
// applied last is the text, and its event is the later one.
func TestConcurrentEditsConverge(t *testing.T) {
	g := mustGroup(t)
	s, conv := g.s, g.conv.ID
	m := MustSend(t, s, g.bob.ID, conv, "v0")
	const n = 8
	var wg sync.WaitGroup
	results := make([]store.MessageChange, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := s.EditMessage(ctx, g.bob.ID, act(), shared.MessageEdit{MessageRef: ref(conv, m.Seq), Body: strings.Repeat("x", i+1)})
			if err != nil {
				t.Error(err)
			}
			results[i] = c
		}()
	}
	wg.Wait()
	h, err := s.History(ctx, g.alice.ID, conv, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	final := h.Messages[0]
	if final.EventSeq != n {
		t.Fatalf("final event seq = %d, want %d", final.EventSeq, n)
	}
	seen := map[int64]bool{}
	for _, r := range results {
		if seen[r.EventSeq] {
			t.Fatalf("event %d given twice", r.EventSeq)
		}
		seen[r.EventSeq] = true
		// The last writer by server order wins: the edit given the last
		// event is the text everyone reads.
		if r.EventSeq == n && r.Messages[0].Body != final.Body {
			t.Fatalf("the edit applied last wrote %q, the message reads %q", r.Messages[0].Body, final.Body)
		}
	}
	e, err := s.MessageEdits(ctx, g.bob.ID, conv, m.Seq)
	if err != nil || len(e.Versions) != n || e.Versions[0].Body != "v0" {
		t.Fatalf("history of %d edits = %+v, %v", n, e, err)
	}
}

func TestReplyByActionAndIdempotent(t *testing.T) {
	g := mustGroup(t)
	s, conv := g.s, g.conv.ID
	m := MustSend(t, s, g.bob.ID, conv, "first line\nsecond")
	id := act()
	req := shared.MessageSend{ConversationID: conv, Body: "re", ReplyToAction: m.ActionID}
	r1, members, err := s.SendReply(ctx, g.bob.ID, id, req)
	if err != nil || members == nil || r1.ReplyTo == nil || r1.ReplyTo.Seq != m.Seq || r1.ReplyTo.Line != "first line" {
		t.Fatalf("reply = %+v, %v, %v", r1, members, err)
	}
	r2, members, err := s.SendReply(ctx, g.bob.ID, id, req)
	if err != nil || members != nil || r2.Seq != r1.Seq || r2.ReplyTo == nil {
		t.Fatalf("replayed reply = %+v, %v, %v", r2, members, err)
	}
	_, _, err = s.SendReply(ctx, g.carol.ID, act(), shared.MessageSend{ConversationID: conv, Body: "re", ReplyTo: 99})
	wantCode(t, err, shared.CodeMessageNotFound)
	_, _, err = s.SendReply(ctx, g.dave.ID, act(), shared.MessageSend{ConversationID: conv, Body: "re", ReplyTo: 1})
	wantCode(t, err, shared.CodeNotFound)
	assertGapFree(t, s, conv)
}

// Deleting an account stamps its erased messages, and the messages that
// lose the person's reactions, with one event, so a device that was offline
// learns of both on resume; DeleteAccount returns the same for the live
// fan-out.
func TestDeletedAccountMessagesReplayAsChanged(t *testing.T) {
	g := mustGroup(t)
	s, conv := g.s, g.conv.ID
	m := MustSend(t, s, g.carol.ID, conv, "carol's words")
	bobs := MustSend(t, s, g.bob.ID, conv, "bob's")
	MustSend(t, s, g.bob.ID, conv, "bob's, unreacted")
	for _, emoji := range []string{"👍", "🎉"} {
		if _, err := s.SetReaction(ctx, g.carol.ID, act(), shared.ReactionSet{MessageRef: ref(conv, bobs.Seq), Emoji: emoji, On: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SetReaction(ctx, g.bob.ID, act(), shared.ReactionSet{MessageRef: ref(conv, bobs.Seq), Emoji: "👍", On: true}); err != nil {
		t.Fatal(err)
	}
	d, err := s.DeleteAccount(ctx, g.carol.ID)
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, ch []shared.Message, event int64) {
		t.Helper()
		if len(ch) != 2 || ch[0].Seq != m.Seq || ch[0].Body != "" || ch[0].DeletedAt == nil || ch[0].EventSeq != event {
			t.Fatalf("changed = %+v, want carol's message erased under event %d", ch, event)
		}
		b := ch[1]
		if b.Seq != bobs.Seq || b.Body != "bob's" || b.EventSeq != event || len(b.Reactions) != 1 ||
			b.Reactions[0].Emoji != "👍" || len(b.Reactions[0].UserIDs) != 1 || b.Reactions[0].UserIDs[0] != g.bob.ID {
			t.Fatalf("bob's message after carol left = %+v, want only bob's 👍 under event %d", b, event)
		}
	}
	// Three reactions made events 1–3; the deletion is event 4.
	t.Run("resume", func(t *testing.T) {
		ch, err := s.ChangedMessages(ctx, conv, store.ChangedCursor{EventSeq: 3}, 10, 100)
		if err != nil {
			t.Fatal(err)
		}
		check(t, ch, 4)
	})
	t.Run("live", func(t *testing.T) {
		if len(d.Changes) != 1 || d.Changes[0].ConversationID != conv || d.Changes[0].EventSeq != 4 {
			t.Fatalf("changes = %+v", d.Changes)
		}
		check(t, d.Changes[0].Messages, 4)
	})
}
