package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"natter/server/pgbroker"
	"natter/server/store"
	"natter/shared"
)

func TestUsersExport(t *testing.T) {
	e := newAdminEnv(t)
	ann, bob := e.mustUser("ann"), e.mustUser("bob")
	cv := e.mustConversation(ann.ID, "pair", bob.ID)
	if _, err := e.st.SendMessage(context.Background(), ann.ID, shared.NewUUIDv7(), cv.ID, "ann's words"); err != nil {
		t.Fatal(err)
	}
	var exp store.AccountExport
	mustUnmarshal(t, e.mustRun("users", "export", "ann"), &exp)
	if exp.Profile.ID != ann.ID || len(exp.Conversations) != 1 || len(exp.Messages) != 1 || exp.Messages[0].Body != "ann's words" {
		t.Fatalf("export = %+v", exp)
	}
	out := filepath.Join(t.TempDir(), "ann.json")
	e.mustRun("users", "export", "ann", "--out", out)
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v %v", st, err)
	}
	e.mustFail("", `no user "nobody"`, "users", "export", "nobody")
}

func TestUsersDelete(t *testing.T) {
	e := newAdminEnv(t)
	ann, bob, cid := e.mustUser("ann"), e.mustUser("bob"), e.mustUser("cid")
	cv := e.mustConversation(ann.ID, "group", bob.ID, cid.ID)
	if _, err := e.st.SendMessage(context.Background(), ann.ID, shared.NewUUIDv7(), cv.ID, "bye"); err != nil {
		t.Fatal(err)
	}
	sess := e.mustSession(ann.ID, "phone")

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"needs --yes", []string{"users", "delete", "ann"}, "add --yes"},
		{"unknown user", []string{"users", "delete", "nobody", "--yes"}, `no user "nobody"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { e.mustFail("", tt.want, tt.args...) })
	}
	e.mustQuiet()

	var sum deletedSummary
	e.mustJSON(&sum, "users", "delete", "ann", "--yes")
	if sum.UserID != ann.ID || sum.Sessions != 1 || sum.ErasedMessages != 1 || sum.Conversations != 1 {
		t.Fatalf("summary = %+v", sum)
	}
	if c := e.mustControl(); c.Kind != pgbroker.KindDisconnectSession || c.SessionID != sess.ID || c.Reason != shared.AccountDeletedMessage {
		t.Fatalf("control = %+v", c)
	}
	evs := e.mustBatch()
	var got shared.Conversation
	if env := decodeEnvelope(t, evs[0].Payload, &got); env.Type != shared.TypeConversationUpdated || got.Member(ann.ID) != nil {
		t.Fatalf("first event %s: %+v", env.Type, got)
	}
	if conv := e.mustConv(cv.ID); conv.Member(bob.ID) == nil || !conv.Member(bob.ID).Owner {
		t.Fatalf("owner after deletion: %+v", conv.Members)
	}
	e.mustFail("", `no user "ann"`, "users", "delete", "ann", "--yes")
	if out := e.mustRun("users", "list"); strings.Contains(out, "ann") {
		t.Fatalf("ann still listed:\n%s", out)
	}
}
