package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"natter/server/webtest"
	"natter/shared"
)

// TestProfilePasswordGuessing: a borrowed signed-in device cannot guess the
// current password through the profile form faster than through sign-in:
// wrong current passwords count against the same throttle.
func TestProfilePasswordGuessing(t *testing.T) {
	srv := webtest.MustServer(t)
	_, h := srv.MustSignUp(t, "Borrowed")
	for i := range 8 {
		var er shared.ErrorResponse
		res := srv.MustDo(t, http.MethodPatch, shared.APIMe, h, shared.ProfileUpdate{NewPassword: "a takeover password", CurrentPassword: fmt.Sprint("guess ", i)}, &er)
		if res.StatusCode != http.StatusUnprocessableEntity || codes(er)["current_password"] != shared.CodeWrongPassword {
			t.Fatalf("guess %d: %d %+v", i, res.StatusCode, er)
		}
	}
	var er shared.ErrorResponse
	res := srv.MustDo(t, http.MethodPatch, shared.APIMe, h, shared.ProfileUpdate{NewPassword: "a takeover password", CurrentPassword: "correct horse battery"}, &er)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("ninth try: %d %+v", res.StatusCode, er)
	}
	// Renaming needs no password and is not throttled.
	if res := srv.MustDo(t, http.MethodPatch, shared.APIMe, h, shared.ProfileUpdate{Nickname: "StillMe"}, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("rename: %d", res.StatusCode)
	}
}

// TestEmailChangeRationed: the profile form answers a taken email with 409
// (its owner needs to know), so trying emails there is rationed per user,
// or any account could test addresses for existing accounts.
func TestEmailChangeRationed(t *testing.T) {
	srv := webtest.MustServer(t)
	_, h := srv.MustSignUp(t, "Prober")
	for i := range 5 {
		var er shared.ErrorResponse
		res := srv.MustDo(t, http.MethodPatch, shared.APIMe, h, shared.ProfileUpdate{Email: fmt.Sprintf("probe%d@example.com", i), CurrentPassword: "correct horse battery"}, &er)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("change %d: %d %+v", i, res.StatusCode, er)
		}
	}
	var er shared.ErrorResponse
	res := srv.MustDo(t, http.MethodPatch, shared.APIMe, h, shared.ProfileUpdate{Email: "probe9@example.com", CurrentPassword: "correct horse battery"}, &er)
	if res.StatusCode != http.StatusTooManyRequests || codes(er)[""] != shared.CodeThrottled {
		t.Fatalf("sixth change: %d %+v", res.StatusCode, er)
	}
	var me shared.User
	if srv.MustDo(t, http.MethodGet, shared.APIMe, h, nil, &me); me.Email != "probe4@example.com" {
		t.Fatalf("email %q after a refused change", me.Email)
	}
}

// TestRenameReachesOthersLive: a new nickname is published to everyone who
// shares a conversation with the person, as a delta carrying only their
// member entry, so the others' screens follow without a reconnect.
func TestRenameReachesOthersLive(t *testing.T) {
	srv := webtest.MustServer(t)
	a, ha := srv.MustSignUp(t, "ann")
	b, hb := srv.MustSignUp(t, "bob")
	wa := srv.MustConnect(t, ha, nil)
	wb := srv.MustConnect(t, hb, nil)
	conv := mustConversation(t, wa, "", b)
	wb.MustAwait(t, "the conversation", func(e shared.Envelope) bool { return e.Type == shared.TypeConversationUpdated })

	if res := srv.MustDo(t, http.MethodPatch, shared.APIMe, ha, shared.ProfileUpdate{Nickname: "annabel"}, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("rename: %d", res.StatusCode)
	}
	env := wb.MustAwait(t, "the rename", func(e shared.Envelope) bool { return e.Type == shared.TypeConversationUpdated })
	var got shared.Conversation
	if err := json.Unmarshal(env.Data, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != conv.ID || !got.Delta || len(got.Members) != 1 || got.Members[0].UserID != a.ID || got.Members[0].Nickname != "annabel" {
		t.Fatalf("b got %s", env.Data)
	}
}
