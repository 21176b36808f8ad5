package ui

import (
	"strings"
	"testing"

	"natter/shared"
	"natter/wasm/client"
)

func TestSignOutWording(t *testing.T) {
	tests := []struct {
		r         client.SignOut
		title     string
		detailHas string
	}{
		{client.SignOut{Code: client.SignedOutHere}, "You signed out.", "deleted"},
		{client.SignOut{Code: client.SignedOutHere, All: true}, "You signed out of all your devices.", "deleted"},
		{client.SignOut{Code: shared.CodeAccountDisabled, Message: "This account has been disabled."}, "This account has been disabled.", "was deleted"},
		{client.SignOut{Code: shared.CodeAccountDisabled, Message: "Spam."}, "This account has been disabled.", "“Spam.”"},
		{client.SignOut{Code: shared.CodeSessionRevoked, Message: "You signed out."}, "You were signed out of this device because you signed out in another tab or on another device.", "deleted"},
		{client.SignOut{Code: shared.CodeSessionRevoked, Message: "Your session has ended. Please sign in again."}, "You were signed out of this device because your session was ended elsewhere.", "“Your session has ended. Please sign in again.”"},
		{client.SignOut{Code: shared.CodeUnauthorized}, "You were signed out of this device because your session has ended.", "deleted"},
	}
	for _, tt := range tests {
		title, detail := signOutText(tt.r)
		if title != tt.title || !strings.Contains(detail, tt.detailHas) {
			t.Errorf("%+v: %q / %q, want %q / …%q…", tt.r, title, detail, tt.title, tt.detailHas)
		}
	}
}

func TestSignOutQuestionCounts(t *testing.T) {
	tests := []struct {
		all  bool
		un   client.Unsent
		want []string
	}{
		{false, client.Unsent{}, []string{"Nothing is waiting to be sent."}},
		{false, client.Unsent{Actions: 3, Drafts: 1}, []string{"3 messages or changes not sent yet and 1 draft", "never sent"}},
		{true, client.Unsent{Actions: 1}, []string{"1 message or change not sent yet", "Every other device"}},
		{false, client.Unsent{Drafts: 2}, []string{"2 drafts on this device will be deleted."}},
	}
	for _, tt := range tests {
		q, d := signOutQuestion(tt.all, tt.un)
		if (q == "Sign out of all devices?") != tt.all {
			t.Errorf("question %q for all=%v", q, tt.all)
		}
		for _, w := range tt.want {
			if !strings.Contains(d, w) {
				t.Errorf("%+v: %q lacks %q", tt.un, d, w)
			}
		}
	}
}
