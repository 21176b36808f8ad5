package web_test

// Edits, deletions, reactions and replies over the WebSocket: live to every
// member, replayed once after a gap, refused to whoever may not.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// awaitChanged waits for the messages.changed of an event.
func awaitChanged(t *testing.T, w *webtest.WS, ev int64) shared.MessagesChanged {
	t.Helper()
	var mc shared.MessagesChanged
	w.MustAwait(t, "messages.changed", func(e shared.Envelope) bool {
		return e.Type == shared.TypeMessagesChanged && json.Unmarshal(e.Data, &mc) == nil && mc.EventSeq == ev
	})
	return mc
}

func TestMessageChangesLive(t *testing.T) {
	srv := webtest.MustServer(t)
	a, ha := srv.MustSignUp(t, "ann")
	b, hb := srv.MustSignUp(t, "bob")
	wa := srv.MustConnect(t, ha, nil)
	wb := srv.MustConnect(t, hb, nil)
	wb2 := srv.MustConnect(t, hb, nil)
	conv := mustConversation(t, wa, "", b)
	sent := wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "helo **all**"}).Message
	at := shared.MessageRef{ConversationID: conv.ID, Seq: sent.Seq}

	ack := wb.MustAck(t, shared.TypeReactionSet, shared.ReactionSet{MessageRef: at, Emoji: "👍", On: true})
	if ack.Message == nil || len(ack.Message.Reactions) != 1 || ack.Message.EventSeq != 1 {
		t.Fatalf("reaction ack: %+v", ack.Message)
	}
	for _, w := range []*webtest.WS{wa, wb, wb2} {
		mc := awaitChanged(t, w, 1)
		if mc.From != 0 || len(mc.Messages) != 1 || mc.Messages[0].Reactions[0].UserIDs[0] != b.ID {
			t.Fatalf("reaction event: %+v", mc)
		}
	}
	wa.MustAck(t, shared.TypeMessageEdit, shared.MessageEdit{MessageRef: at, Body: "hello **all**"})
	for _, w := range []*webtest.WS{wa, wb, wb2} {
		mc := awaitChanged(t, w, 2)
		if m := mc.Messages[0]; m.Body != "hello **all**" || m.EditedAt == nil || len(m.Reactions) != 1 {
			t.Fatalf("edit event: %+v", m)
		}
	}
	e := wb.MustAck(t, shared.TypeEditsQuery, shared.EditsQuery{ConversationID: conv.ID, Seq: sent.Seq}).Edits
	if e == nil || len(e.Versions) != 1 || e.Versions[0].Body != "helo **all**" {
		t.Fatalf("edit history: %+v", e)
	}
	// A reply quotes sender and first line, live.
	reply := wb.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "yes", ReplyTo: sent.Seq}).Message
	if reply.ReplyTo == nil || reply.ReplyTo.Sender != a.Nickname || reply.ReplyTo.Line != "hello **all**" {
		t.Fatalf("reply ack: %+v", reply)
	}
	wa.MustAwait(t, "the reply", func(e shared.Envelope) bool {
		var m shared.Message
		return e.Type == shared.TypeMessageCreated && json.Unmarshal(e.Data, &m) == nil && m.Seq == reply.Seq && m.ReplyTo != nil
	})
	// Refusals name the action.
	id := shared.NewUUIDv7()
	if err := wb.Send(shared.TypeMessageEdit, id, shared.MessageEdit{MessageRef: at, Body: "mine now"}); err != nil {
		t.Fatal(err)
	}
	if env := wb.MustReply(t, id); env.Type != shared.TypeError || !json.Valid(env.Data) {
		t.Fatalf("bob editing ann's message: %s %s", env.Type, env.Data)
	} else {
		var se shared.Error
		json.Unmarshal(env.Data, &se)
		if se.Code != shared.CodeNotAuthor {
			t.Fatalf("bob editing ann's message: %+v", se)
		}
	}
	// Deleting: everyone gets the tombstone and the reply's emptied quote.
	wa.MustAck(t, shared.TypeMessageDelete, shared.MessageDelete{MessageRef: at})
	for _, w := range []*webtest.WS{wa, wb, wb2} {
		mc := awaitChanged(t, w, 3)
		if len(mc.Messages) != 2 || mc.Messages[0].Body != "" || mc.Messages[0].DeletedAt == nil ||
			mc.Messages[0].Reactions != nil || !mc.Messages[1].ReplyTo.Deleted {
			t.Fatalf("delete event: %+v", mc)
		}
	}
}

// A device that was away resumes with its cursors: it gets each changed
// message once, in its current state, and where the events stand.
func TestMessageChangesResumeFromGap(t *testing.T) {
	srv := webtest.MustServer(t)
	_, ha := srv.MustSignUp(t, "ann")
	b, hb := srv.MustSignUp(t, "bob")
	wa := srv.MustConnect(t, ha, nil)
	conv := mustConversation(t, wa, "", b)
	var seqs []int64
	for _, body := range []string{"one", "two", "three"} {
		seqs = append(seqs, wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: body}).Message.Seq)
	}
	ref := func(i int) shared.MessageRef { return shared.MessageRef{ConversationID: conv.ID, Seq: seqs[i]} }
	wa.MustAck(t, shared.TypeMessageEdit, shared.MessageEdit{MessageRef: ref(0), Body: "one!"}) // event 1: bob saw it
	// bob goes away holding seqs 1..3 and event 1.
	wa.MustAck(t, shared.TypeMessageEdit, shared.MessageEdit{MessageRef: ref(0), Body: "one!!"})
	wa.MustAck(t, shared.TypeReactionSet, shared.ReactionSet{MessageRef: ref(1), Emoji: "🎉", On: true})
	wa.MustAck(t, shared.TypeMessageDelete, shared.MessageDelete{MessageRef: ref(2)})
	wa.MustAck(t, shared.TypeMessageEdit, shared.MessageEdit{MessageRef: ref(0), Body: "one!!!"}) // event 5

	wb := srv.MustDial(t, hb)
	wb.MustHello(t, shared.Hello{Protocol: shared.ProtocolVersion,
		Cursors: map[string]int64{conv.ID: 3}, EventCursors: map[string]int64{conv.ID: 1}})
	var got []shared.Message
	var last shared.MessagesChanged
	for _, env := range wb.Replay {
		switch env.Type {
		case shared.TypeMessageCreated:
			t.Fatalf("a message bob holds was replayed: %s", env.Data)
		case shared.TypeMessagesChanged:
			json.Unmarshal(env.Data, &last)
			got = append(got, last.Messages...)
		}
	}
	if last.From != 1 || last.EventSeq != 5 || len(got) != 3 {
		t.Fatalf("replayed changes %+v (last page %+v)", got, last)
	}
	// In event order, each once, as they are now.
	if got[0].Seq != seqs[1] || len(got[0].Reactions) != 1 || got[1].Seq != seqs[2] || got[1].DeletedAt == nil ||
		got[2].Seq != seqs[0] || got[2].Body != "one!!!" {
		t.Fatalf("replayed changes: %+v", got)
	}
	// Up to date: nothing; a fresh device: only where the events stand.
	w2 := srv.MustDial(t, hb)
	w2.MustHello(t, shared.Hello{Protocol: shared.ProtocolVersion,
		Cursors: map[string]int64{conv.ID: 3}, EventCursors: map[string]int64{conv.ID: 5}})
	for _, env := range w2.Replay {
		if env.Type == shared.TypeMessagesChanged {
			t.Fatalf("an up-to-date device got %s", env.Data)
		}
	}
	w3 := srv.MustConnect(t, hb, nil)
	var fresh []shared.MessagesChanged
	for _, env := range w3.Replay {
		if env.Type == shared.TypeMessagesChanged {
			var mc shared.MessagesChanged
			json.Unmarshal(env.Data, &mc)
			fresh = append(fresh, mc)
		}
	}
	if len(fresh) != 1 || fresh[0].EventSeq != 5 || len(fresh[0].Messages) != 0 {
		t.Fatalf("a fresh device got %+v", fresh)
	}
}

// Strangers can do none of it, and a flood of reactions is refused on
// arrival while others keep chatting.
func TestMessageChangesAbuse(t *testing.T) {
	const rate, burst = 5, 40
	srv := webtest.MustServer(t, func(c *web.Config) { c.Chat.Limits.ActionRate, c.Chat.Limits.ActionBurst = rate, burst })
	by := startBystanders(t, srv)
	seq := by.send.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: by.conv.ID, Body: "target"}).Message.Seq
	at := shared.MessageRef{ConversationID: by.conv.ID, Seq: seq}
	_, hm := srv.MustSignUp(t, "mallory")
	w := srv.MustConnect(t, hm, nil)
	for _, c := range []struct {
		typ  string
		data any
	}{
		{shared.TypeMessageEdit, shared.MessageEdit{MessageRef: at, Body: "mine"}},
		{shared.TypeMessageDelete, shared.MessageDelete{MessageRef: at}},
		{shared.TypeReactionSet, shared.ReactionSet{MessageRef: at, Emoji: "👎", On: true}},
		{shared.TypeEditsQuery, shared.EditsQuery{ConversationID: by.conv.ID, Seq: seq}},
		{shared.TypeMessageSend, shared.MessageSend{ConversationID: by.conv.ID, Body: "re", ReplyTo: seq}},
	} {
		if e := w.MustError(t, c.typ, shared.NewUUIDv7(), c.data); e.Code != shared.CodeNotFound {
			t.Errorf("%s by a stranger: %+v", c.typ, e)
		}
	}
	v, _ := srv.MustSignUp(t, "victim")
	conv := mustConversation(t, w, "flood", v)
	own := w.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "x"}).Message.Seq
	const n = 400
	ids := make(map[string]bool, n)
	for i := range n {
		id := shared.NewUUIDv7()
		ids[id] = true
		w.MustSend(t, shared.TypeReactionSet, id, shared.ReactionSet{
			MessageRef: shared.MessageRef{ConversationID: conv.ID, Seq: own}, Emoji: "🔥", On: i%2 == 0})
	}
	acked, errs := readReplies(t, w, ids)
	by.finish(t, "reaction flood")
	if len(errs[shared.CodeRateLimited]) == 0 || acked > burst+rate*10 {
		t.Fatalf("reaction flood: %d accepted, refusals %v", acked, errs)
	}
}

// A resume with more changes than one page holds pages them by size and
// count, each message once, the pages' event ranges chained without a hole,
// also when many messages share one event (an erased account).
func TestMessageChangesResumePaged(t *testing.T) {
	srv := webtest.MustServer(t)
	ctx := context.Background()
	a, ha := srv.MustSignUp(t, "ann")
	b, hb := srv.MustSignUp(t, "bob")
	c, _ := srv.MustSignUp(t, "cid")
	wa := srv.MustConnect(t, ha, nil)
	conv := mustConversation(t, wa, "", b, c)
	big := strings.Repeat("x", shared.DefaultBodyMax-10)
	const edited, erased = 80, 150
	for i := range edited {
		m, err := srv.Store.SendMessage(ctx, a.ID, shared.NewUUIDv7(), conv.ID, fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Store.EditMessage(ctx, a.ID, shared.NewUUIDv7(), shared.MessageEdit{
			MessageRef: shared.MessageRef{ConversationID: conv.ID, Seq: m.Seq}, Body: big + fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for range erased {
		if _, err := srv.Store.SendMessage(ctx, c.ID, shared.NewUUIDv7(), conv.ID, "cid's"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Store.DeleteAccount(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	w := srv.MustDial(t, hb)
	w.MustHello(t, shared.Hello{Protocol: shared.ProtocolVersion,
		Cursors: map[string]int64{conv.ID: edited + erased}, EventCursors: map[string]int64{conv.ID: 0}})
	var pages []shared.MessagesChanged
	seen := map[int64]bool{}
	for _, env := range w.Replay {
		if env.Type != shared.TypeMessagesChanged {
			continue
		}
		var mc shared.MessagesChanged
		json.Unmarshal(env.Data, &mc)
		if n := len(pages); (n == 0 && mc.From != 0) || (n > 0 && mc.From != pages[n-1].EventSeq) || mc.EventSeq < mc.From {
			t.Fatalf("page %d covers (%d,%d] after %+v", n, mc.From, mc.EventSeq, pages)
		}
		for _, m := range mc.Messages {
			if seen[m.Seq] {
				t.Fatalf("message %d sent twice", m.Seq)
			}
			seen[m.Seq] = true
		}
		pages = append(pages, mc)
	}
	if len(seen) != edited+erased || len(pages) < 3 || pages[len(pages)-1].EventSeq != edited+1 {
		t.Fatalf("%d messages in %d pages, last %+v", len(seen), len(pages), pages[len(pages)-1].EventSeq)
	}
}
