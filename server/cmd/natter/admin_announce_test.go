package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"natter/shared"
)

func TestAnnounce(t *testing.T) {
	e := newAdminEnv(t)
	a, b, c := e.mustUser("alice"), e.mustUser("bob"), e.mustUser("carol")
	one := e.mustConversation(a.ID, "One", b.ID)
	two := e.mustConversation(b.ID, "Two", a.ID, c.ID)
	if _, err := e.st.SendMessage(context.Background(), b.ID, "019a0000-0000-7000-8000-000000000001", two.ID, "hi"); err != nil {
		t.Fatal(err)
	}
	closed := e.mustConversation(c.ID, "Closed", a.ID)
	e.mustRun("conversations", "close", closed.ID)
	e.mustBatch()

	fails := []struct {
		name, text, err string
	}{
		{"blank", "   ", "announcement:"},
		{"too long", strings.Repeat("x", shared.DefaultBodyMax+1), "announcement:"},
	}
	for _, tt := range fails {
		t.Run(tt.name, func(t *testing.T) {
			e.mustFail("", tt.err, "announce", tt.text)
			if e.mustConv(one.ID).LastSeq != 0 || e.mustConv(two.ID).LastSeq != 1 {
				t.Fatal("a failed announcement posted something")
			}
			e.mustQuiet()
		})
	}

	out := e.mustRun("announce", "Maintenance", "at noon.")
	if !strings.Contains(out, "announced in 2 conversations (1 closed ones skipped)") {
		t.Fatalf("output %q", out)
	}
	wantSeq := map[string]int64{one.ID: 1, two.ID: 2}
	evs := e.mustBatch()
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	for _, ev := range evs {
		var msg shared.Message
		env := decodeEnvelope(t, ev.Payload, &msg)
		if env.Type != shared.TypeMessageCreated || msg.Kind != shared.KindSystem || msg.Body != "Maintenance at noon." ||
			env.Seq != msg.Seq || msg.Seq != wantSeq[msg.ConversationID] {
			t.Fatalf("event %s", ev.Payload)
		}
		members := e.mustConv(msg.ConversationID).Members
		for _, m := range members {
			if !slices.Contains(ev.UserIDs, m.UserID) {
				t.Fatalf("event for %s misses member %d: %v", msg.ConversationID, m.UserID, ev.UserIDs)
			}
		}
		if len(ev.UserIDs) != len(members) {
			t.Fatalf("event for %v, members %v", ev.UserIDs, members)
		}
	}
	if cv := e.mustConv(closed.ID); cv.LastSeq != 0 {
		t.Fatalf("closed conversation got seq %d", cv.LastSeq)
	}
	e.mustQuiet()
}
