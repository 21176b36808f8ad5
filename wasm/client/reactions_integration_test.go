//go:build !js

package client_test

import (
	"testing"
	"time"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// A reaction notifies only the author of the message, live, and not while
// the author muted the conversation; removing one notifies nobody; no
// reaction makes anything unread.
func TestReactionNotifiesOnlyTheAuthor(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob, carol := mustUser(t, srv, "ann"), mustUser(t, srv, "bob"), mustUser(t, srv, "carol")
	w := srv.MustConnect(t, ann.header, nil)
	conv := w.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "Lunch",
		MemberIDs: []int64{bob.ID, carol.ID}}).Conversation.ID
	w.Conn.CloseNow()
	notes := func() (chan string, client.Config) {
		ch := make(chan string, 16)
		return ch, client.Config{OnIncoming: func(m shared.Message, _ client.ConvView) { ch <- m.Body }}
	}
	annNotes, annCfg := notes()
	carolNotes, carolCfg := notes()
	ea, ec := mustEngineWith(t, srv, ann, annCfg), mustEngineWith(t, srv, carol, carolCfg)
	eb := mustEngine(t, srv, bob, nil)
	for _, e := range []*engine{ea, eb, ec} {
		e.waitCaughtUp(t)
	}
	next := func(ch chan string, who string) string {
		t.Helper()
		select {
		case b := <-ch:
			return b
		case <-time.After(webtest.Timeout):
			t.Fatalf("%s was not notified", who)
			return ""
		}
	}
	if _, err := ea.Send(conv, "pizza?\nor sushi"); err != nil {
		t.Fatal(err)
	}
	ea.waitAcked(t)
	if b := next(carolNotes, "carol"); b != "pizza?\nor sushi" {
		t.Fatalf("carol's first note: %q", b)
	}
	eb.wait(t, "bob has the message", func() bool { return len(eb.Messages(conv)) == 1 })

	react := func(emoji string, on bool, chips int) {
		t.Helper()
		if err := eb.React(conv, 1, "", emoji, on); err != nil {
			t.Fatal(err)
		}
		eb.waitAcked(t)
		for _, e := range []*engine{ea, ec} {
			e.wait(t, "the reactions arrive", func() bool { return len(row(t, e, conv, 1).Reactions) == chips })
		}
	}
	react("👍", true, 1)
	if b := next(annNotes, "ann, the author,"); b != "Reacted 👍 to: pizza?" {
		t.Fatalf("ann's note: %q", b)
	}

	// Muted: the author hears of no reaction.
	if err := ea.Mute(conv, nil, true); err != nil {
		t.Fatal(err)
	}
	ea.waitAcked(t)
	react("🎉", true, 2)
	if err := ea.Mute(conv, nil, false); err != nil {
		t.Fatal(err)
	}
	ea.waitAcked(t)
	// A reaction taken back notifies nobody; the next one added does.
	react("👍", false, 1)
	react("❤️", true, 2)
	if b := next(annNotes, "ann, unmuted,"); b != "Reacted ❤️ to: pizza?" {
		t.Fatalf("after the mute and a removal, ann's next note is %q (want the ❤️ one only)", b)
	}
	if len(annNotes) != 0 || len(carolNotes) != 0 {
		t.Fatalf("more notes: ann %d, carol %d", len(annNotes), len(carolNotes))
	}
	if v, _ := ea.Conversation(conv); v.Unread != 0 {
		t.Fatalf("ann's unread: %d", v.Unread)
	}
	if v, _ := ec.Conversation(conv); v.Unread != 1 {
		t.Fatalf("carol's unread: %d, want 1 (the message; reactions count for nothing)", v.Unread)
	}
}
