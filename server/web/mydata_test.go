package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"natter/server/store"
	"natter/server/webtest"
	"natter/shared"
)

// TestExportOverHTTP: "Download my data" needs a session, answers an
// attachment with the person's own data, and is rationed per person.
func TestExportOverHTTP(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, ha := srv.MustSignUp(t, "Exporter")
	if res := srv.MustPost(t, shared.APIMeExport, nil, struct{}{}, nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("export without a session: %d", res.StatusCode)
	}
	var exp store.AccountExport
	res := srv.MustPost(t, shared.APIMeExport, ha, struct{}{}, &exp)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("export: %d %q", res.StatusCode, res.Header.Get("Content-Disposition"))
	}
	if exp.Profile.ID != ann.ID || exp.Profile.Email != ann.Email || len(exp.Sessions) != 1 {
		t.Fatalf("export = %+v", exp)
	}
	for i := 1; ; i++ {
		res := srv.MustPost(t, shared.APIMeExport, ha, struct{}{}, nil)
		if res.StatusCode == http.StatusTooManyRequests {
			if res.Header.Get("Retry-After") == "" || i < 10 {
				t.Fatalf("throttled after %d exports without Retry-After", i)
			}
			break
		}
		if i > 20 {
			t.Fatal("exports are not rationed")
		}
	}
}

// TestDeleteAccountOverHTTP: deleting needs the password; afterwards the
// person's live connections are closed with session_revoked, their cookie
// no longer works, the others see them gone from the conversation and their
// message erased, and asking again changes nothing.
func TestDeleteAccountOverHTTP(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, ha := srv.MustSignUp(t, "Leaver")
	bob, hb := srv.MustSignUp(t, "Stayer")
	wa := srv.MustConnect(t, ha, nil)
	ack := wa.MustAck(t, shared.TypeConversationCreate, shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: "group", MemberIDs: []int64{bob.ID}})
	conv := ack.Conversation
	sent := wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "soon gone"})
	wb := srv.MustConnect(t, hb, nil)
	bobs := wb.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "bob stays"})
	wa.MustAck(t, shared.TypeReactionSet, shared.ReactionSet{MessageRef: shared.MessageRef{ConversationID: conv.ID, Seq: bobs.Message.Seq}, Emoji: "👍", On: true})

	tests := []struct {
		name string
		body any
		want int
	}{
		{"no password", shared.AccountDelete{}, http.StatusUnprocessableEntity},
		{"wrong password", shared.AccountDelete{Password: "not it"}, http.StatusUnprocessableEntity},
		{"unknown field", map[string]string{"pass": "x"}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := srv.MustPost(t, shared.APIMeDelete, ha, tt.body, nil); res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
		})
	}
	if res := srv.MustPost(t, shared.APIMeDelete, ha, shared.AccountDelete{Password: "correct horse battery"}, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	env := wa.MustAwait(t, "revocation", func(e shared.Envelope) bool { return e.Type == shared.TypeError })
	var e shared.Error
	_ = json.Unmarshal(env.Data, &e)
	if e.Code != shared.CodeSessionRevoked || !e.Fatal || e.Message != shared.AccountDeletedMessage {
		t.Fatalf("deleted person's device got %+v", e)
	}
	wb.MustAwait(t, "conversation without ann", func(e shared.Envelope) bool {
		var c shared.Conversation
		return e.Type == shared.TypeConversationUpdated && json.Unmarshal(e.Data, &c) == nil &&
			c.ID == conv.ID && c.Member(ann.ID) == nil && c.Member(bob.ID) != nil && c.Member(bob.ID).Owner
	})
	// One event: ann's message erased, and bob's without her reaction.
	var mc shared.MessagesChanged
	env = wb.MustAwait(t, "erased message", func(e shared.Envelope) bool {
		return e.Type == shared.TypeMessagesChanged && json.Unmarshal(e.Data, &mc) == nil && mc.EventSeq == 2 // 1 was the reaction
	})
	if mc.ConversationID != conv.ID || mc.From != 1 || len(mc.Messages) != 2 {
		t.Fatalf("bob got %s", env.Data)
	}
	if m := mc.Messages[0]; m.Seq != sent.Message.Seq || m.Body != "" || m.DeletedAt == nil {
		t.Errorf("ann's message reached bob as %+v, want it erased", m)
	}
	if m := mc.Messages[1]; m.Seq != bobs.Message.Seq || m.Body != "bob stays" || len(m.Reactions) != 0 {
		t.Errorf("bob's message reached bob as %+v, want it without ann's reaction", m)
	}
	if res := srv.MustDo(t, http.MethodGet, shared.APIMe, ha, nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("session survived the deletion: %d", res.StatusCode)
	}
	if res := srv.MustPost(t, shared.APIMeDelete, ha, shared.AccountDelete{Password: "correct horse battery"}, nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("second delete: %d", res.StatusCode)
	}
	res := srv.MustPost(t, shared.APISignIn, nil, shared.SignInRequest{Login: ann.Email, Password: "correct horse battery"}, nil)
	if res.StatusCode == http.StatusOK {
		t.Fatal("a deleted account can still sign in")
	}
}
