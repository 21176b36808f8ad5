package client

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"natter/shared"
)

// mustLiveSession makes e believe it is connected and caught up, so
// handle applies frames as live traffic.
func mustLiveSession(tb testing.TB, e *Engine) *session {
	tb.Helper()
	s := &session{e: e, kickc: make(chan struct{}, 1), listed: map[string]bool{}, quiet: map[string]bool{},
		lastTyping: map[string]time.Time{}, filling: map[string]bool{}, asked: map[string]gap{}, caught: true, welcome: true}
	e.mu.Lock()
	e.sess = s
	e.mu.Unlock()
	return s
}

func mustEnvelope(tb testing.TB, typ string, seq int64, v any) shared.Envelope {
	tb.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return shared.Envelope{V: shared.ProtocolVersion, Type: typ, Seq: seq, Data: raw}
}

func TestLiveMessageIsOneChangeAndOneRevision(t *testing.T) {
	e := mustOfflineEngine(t, NewMemoryStorage())
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, 2000)
	s := mustLiveSession(t, e)
	changes := 0
	e.Subscribe(func() { changes++ })

	before := e.MessagesAt(conv)
	cv, _ := e.Conversation(conv)
	if cv.Rev != before.Rev {
		t.Fatalf("ConvView.Rev %d, Messages rev %d: they must agree", cv.Rev, before.Rev)
	}
	m := shared.Message{ConversationID: conv, Seq: 2001, SenderID: 8, Sender: "bob", Body: "live", CreatedAt: time.Now()}
	if err := e.handle(s, []shared.Envelope{mustEnvelope(t, shared.TypeMessageCreated, 2001, m)}); err != nil {
		t.Fatal(err)
	}
	if changes != 1 {
		t.Errorf("one live message made %d changes, want 1", changes)
	}
	after := e.MessagesAt(conv)
	if after.Rev == before.Rev {
		t.Errorf("revision stayed %d after a new message", after.Rev)
	}
	if len(after.Msgs) != 2001 || after.Msgs[2000].Body != "live" {
		t.Fatalf("after: %d messages, last %+v", len(after.Msgs), after.Msgs[len(after.Msgs)-1])
	}
	if len(before.Msgs) != 2000 {
		t.Errorf("the view handed out before grew to %d: views must be immutable", len(before.Msgs))
	}
	if &after.Msgs[0] != &before.Msgs[0] {
		t.Errorf("an append copied the held rows: appending must be O(1)")
	}
	if again := e.MessagesAt(conv); again.Rev != after.Rev || &again.Msgs[0] != &after.Msgs[0] {
		t.Errorf("a read without a change gave rev %d (was %d) or a new slice", again.Rev, after.Rev)
	}
	if cv, _ := e.Conversation(conv); cv.Rev != after.Rev {
		t.Errorf("ConvView.Rev %d, Messages rev %d after the message", cv.Rev, after.Rev)
	}
}

func TestRevisionFollowsWhatMessagesShows(t *testing.T) {
	e := mustOfflineEngine(t, NewMemoryStorage())
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, 5)
	s := mustLiveSession(t, e)
	for _, tc := range []struct {
		name   string
		change func(t *testing.T)
		bumps  bool
	}{
		{"a read mark is not shown", func(t *testing.T) { e.MarkSeen(conv, 5) }, false},
		{"typing is not shown", func(t *testing.T) {
			if err := e.handle(s, []shared.Envelope{mustEnvelope(t, shared.TypeTypingEvent, 0, shared.Typing{ConversationID: conv, UserID: 8, Nickname: "bob"})}); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a queued message is shown", func(t *testing.T) {
			if _, err := e.Send(conv, "queued"); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a queued edit is shown", func(t *testing.T) {
			if err := e.Edit(conv, 3, "", "edited"); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"an edit from the server is shown", func(t *testing.T) {
			m := shared.Message{ConversationID: conv, Seq: 2, SenderID: 8, Body: "changed", EventSeq: 9}
			if err := e.handle(s, []shared.Envelope{mustEnvelope(t, shared.TypeMessagesChanged, 0, shared.MessagesChanged{ConversationID: conv, From: 0, EventSeq: 9, Messages: []shared.Message{m}})}); err != nil {
				t.Fatal(err)
			}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.MessagesAt(conv)
			snapshot := fmt.Sprint(before.Msgs)
			tc.change(t)
			after := e.MessagesAt(conv)
			if bumped := after.Rev != before.Rev; bumped != tc.bumps {
				t.Errorf("revision %d -> %d: bumped %v, want %v", before.Rev, after.Rev, bumped, tc.bumps)
			}
			if fmt.Sprint(before.Msgs) != snapshot {
				t.Errorf("the view handed out before changed under its holder")
			}
			if !tc.bumps && fmt.Sprint(after.Msgs) != snapshot {
				t.Errorf("the messages changed without a new revision")
			}
		})
	}
}

func TestReplayBatchIsOneChange(t *testing.T) {
	e := mustOfflineEngine(t, NewMemoryStorage())
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, 10)
	s := mustLiveSession(t, e)
	e.mu.Lock()
	s.caught = false // a replay comes before caught_up
	e.mu.Unlock()
	changes := 0
	e.Subscribe(func() { changes++ })
	var frame []shared.Envelope
	for seq := int64(11); seq <= 10010; seq++ {
		frame = append(frame, mustEnvelope(t, shared.TypeMessageCreated, seq,
			shared.Message{ConversationID: conv, Seq: seq, SenderID: 8, Body: fmt.Sprint("missed ", seq), CreatedAt: time.Now()}))
	}
	if err := e.handle(s, frame); err != nil {
		t.Fatal(err)
	}
	if changes != 1 {
		t.Errorf("a replayed frame of 10,000 messages made %d changes, want 1", changes)
	}
	if got := e.Messages(conv); len(got) != 10010 || got[10009].Seq != 10010 {
		t.Errorf("after the replay: %d messages", len(got))
	}
}

// TestUnreadAndMentionFollowAppendsAndEdits: the unread count and the
// mention flag are kept up to date by reading only what arrived since the
// last look, and read everything again after an edit or a new read cursor.
func TestUnreadAndMentionFollowAppendsAndEdits(t *testing.T) {
	e := mustOfflineEngine(t, NewMemoryStorage()) // ann, id 7
	conv := shared.NewUUIDv7()
	mustConv(t, e, conv, 3)
	s := mustLiveSession(t, e)
	say := func(seq, from int64, body string) {
		t.Helper()
		m := shared.Message{ConversationID: conv, Seq: seq, SenderID: from, Body: body, CreatedAt: time.Now()}
		if err := e.handle(s, []shared.Envelope{mustEnvelope(t, shared.TypeMessageCreated, seq, m)}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, unread int64, mentioned bool) {
		t.Helper()
		v, _ := e.Conversation(conv)
		if v.Unread != unread || v.Mentioned != mentioned {
			t.Errorf("%s: unread %d, mentioned %v; want %d, %v", what, v.Unread, v.Mentioned, unread, mentioned)
		}
	}
	check("three from bob", 3, false)
	say(4, 7, "mine")
	check("and one of mine", 3, false)
	say(5, 8, "hi @ann")
	check("a mention", 4, true)
	say(6, 8, "more")
	check("after the mention", 5, true)
	mc := shared.MessagesChanged{ConversationID: conv, EventSeq: 20, Messages: []shared.Message{{ConversationID: conv, Seq: 5, SenderID: 8, Body: "hi all", EventSeq: 20}}}
	if err := e.handle(s, []shared.Envelope{mustEnvelope(t, shared.TypeMessagesChanged, 0, mc)}); err != nil {
		t.Fatal(err)
	}
	check("the mention edited away", 5, false)
	e.MarkSeen(conv, 6)
	check("all read", 0, false)
}
