package main

import (
	"strings"
	"testing"

	"natter/shared"
)

func TestConversationsListShow(t *testing.T) {
	e := newAdminEnv(t)
	a, b, c := e.mustUser("alice"), e.mustUser("bob"), e.mustUser("carol")
	hike := e.mustConversation(a.ID, "Weekend hike", b.ID, c.ID)
	direct := e.mustConversation(b.ID, "", c.ID)

	out := e.mustRun("conversations", "list")
	if !strings.Contains(out, hike.ID) || !strings.Contains(out, "Weekend hike") || !strings.Contains(out, direct.ID) || !strings.Contains(out, "bob, carol") {
		t.Fatalf("list:\n%s", out)
	}
	var convs []shared.Conversation
	e.mustJSON(&convs, "convs", "list")
	if len(convs) != 2 {
		t.Fatalf("%d conversations", len(convs))
	}

	tests := []struct {
		name, id string
		want     []string
		err      string
	}{
		{"group", hike.ID, []string{"Weekend hike", "Owner     alice", "group", "carol"}, ""},
		{"one-to-one, upper-case id", strings.ToUpper(direct.ID), []string{"one-to-one", "Owner     bob"}, ""},
		{"unknown", shared.NewUUIDv7(), nil, "no conversation"},
		{"not a uuid", "42", nil, `no conversation "42"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.run("", "conversations", "show", tt.id)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("show lacks %q:\n%s", w, out)
				}
			}
		})
	}
	var cv shared.Conversation
	e.mustJSON(&cv, "conversations", "show", hike.ID)
	if cv.ID != hike.ID || cv.Owner() != a.ID || len(cv.Members) != 3 {
		t.Fatalf("%+v", cv)
	}
}

func TestConversationsClose(t *testing.T) {
	e := newAdminEnv(t)
	a, b := e.mustUser("alice"), e.mustUser("bob")
	cv := e.mustConversation(a.ID, "Plans", b.ID)

	out := e.mustRun("conversations", "close", cv.ID)
	if !strings.Contains(out, "closed conversation "+cv.ID) {
		t.Fatalf("output %q", out)
	}
	if e.mustConv(cv.ID).ClosedAt == nil {
		t.Fatal("not closed")
	}
	evs := e.mustBatch()
	var got shared.Conversation
	env := decodeEnvelope(t, evs[0].Payload, &got)
	if len(evs) != 1 || env.Type != shared.TypeConversationUpdated || got.ClosedAt == nil || len(evs[0].UserIDs) != 2 {
		t.Fatalf("event %s to %v", evs[0].Payload, evs[0].UserIDs)
	}
	t.Run("again", func(t *testing.T) {
		e.mustFail("", "is closed already", "conversations", "close", cv.ID)
		e.mustQuiet()
	})
	t.Run("unknown", func(t *testing.T) {
		e.mustFail("", "no conversation", "conversations", "close", shared.NewUUIDv7())
		e.mustQuiet()
	})
}

func TestConversationsTransferOwner(t *testing.T) {
	e := newAdminEnv(t)
	a, b, c := e.mustUser("alice"), e.mustUser("bob"), e.mustUser("carol")
	cv := e.mustConversation(a.ID, "Plans", b.ID)
	closed := e.mustConversation(a.ID, "Old", b.ID)
	e.mustRun("conversations", "close", closed.ID)
	e.mustBatch()

	tests := []struct {
		name, conv, user string
		err              string
		owner            int64 // afterwards
	}{
		{"to a non-member", cv.ID, "carol", "carol (id " + itoa(c.ID) + ") is not a member", a.ID},
		{"to the owner", cv.ID, "alice", "owns conversation " + cv.ID + " already", a.ID},
		{"to an unknown user", cv.ID, "zed", `no user "zed"`, a.ID},
		{"of an unknown conversation", shared.NewUUIDv7(), "bob", "no conversation", a.ID},
		{"of a closed conversation", closed.ID, "bob", "is closed already", a.ID},
		{"to a member", cv.ID, "bob@example.org", "", b.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.run("", "conversations", "transfer-owner", tt.conv, tt.user)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				e.mustQuiet()
			} else {
				if err != nil || !strings.Contains(out, "bob (id "+itoa(b.ID)+") owns conversation") {
					t.Fatalf("output %q, err %v", out, err)
				}
				var got shared.Conversation
				decodeEnvelope(t, e.mustBatch()[0].Payload, &got)
				if got.Owner() != b.ID {
					t.Fatalf("published owner %d", got.Owner())
				}
			}
			if after := e.mustConv(cv.ID); after.Owner() != tt.owner {
				t.Fatalf("owner %d, want %d", after.Owner(), tt.owner)
			}
		})
	}
}
