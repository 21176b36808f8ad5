package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

func signupMode(mode string) webtest.Option { return func(c *web.Config) { c.Signup = mode } }

func TestSignupInfo(t *testing.T) {
	for _, mode := range []string{"", shared.SignupOpen, shared.SignupInvite, shared.SignupClosed} {
		t.Run("mode "+mode, func(t *testing.T) {
			srv := webtest.MustServer(t, signupMode(mode))
			var info shared.SignupInfo
			if res := srv.MustDo(t, http.MethodGet, shared.APISignup, nil, nil, &info); res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			want := mode
			if want == "" {
				want = shared.SignupOpen
			}
			if info.Mode != want {
				t.Fatalf("mode %q, want %q", info.Mode, want)
			}
		})
	}
}

func TestSignupClosed(t *testing.T) {
	srv := webtest.MustServer(t, signupMode(shared.SignupClosed))
	var er shared.ErrorResponse
	res := srv.MustPost(t, shared.APIRegister, nil, shared.RegisterRequest{Email: "a@example.com", Nickname: "anna", Password: "long enough password"}, &er)
	if res.StatusCode != http.StatusForbidden || codes(er)[""] != shared.CodeSignupClosed || er.Errors[0].Message == "" {
		t.Fatalf("status %d %+v", res.StatusCode, er)
	}
	if n := userCount(t, srv); n != 0 {
		t.Fatalf("%d users", n)
	}
}

func TestSignupByInvite(t *testing.T) {
	srv := webtest.MustServer(t, signupMode(shared.SignupInvite))
	ctx := context.Background()
	_, code, err := srv.Store.CreateInvite(ctx, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Second)
	_, expired, _ := srv.Store.CreateInvite(ctx, 5, &past)
	revokedInv, revoked, _ := srv.Store.CreateInvite(ctx, 5, nil)
	if err := srv.Store.RevokeInvite(ctx, revokedInv.ID); err != nil {
		t.Fatal(err)
	}
	req := func(nick, invite string) shared.RegisterRequest {
		return shared.RegisterRequest{Email: nick + "@example.com", Nickname: nick, Password: "long enough password", Invite: invite}
	}
	refused := []struct {
		name string
		req  shared.RegisterRequest
	}{
		{"no code", req("nocode", "")},
		{"unknown code", req("guess", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GG")},
		{"expired", req("late", expired)},
		{"revoked", req("revoked", revoked)},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			var er shared.ErrorResponse
			res := srv.MustPost(t, shared.APIRegister, nil, tc.req, &er)
			if res.StatusCode != http.StatusUnprocessableEntity || codes(er)["invite"] != shared.CodeInviteInvalid {
				t.Fatalf("status %d %+v", res.StatusCode, er)
			}
		})
	}
	if n := userCount(t, srv); n != 0 {
		t.Fatalf("refused invites created %d users", n)
	}
	// The code works however it is typed, once per use.
	if r := register(t, srv, nil, req("first", " "+strings.ToLower(code)+" ")); r.status != http.StatusAccepted {
		t.Fatalf("first use: %+v", r)
	}
	if res, _, _ := signIn(t, srv, "first", "long enough password"); res.StatusCode != http.StatusOK {
		t.Fatalf("invited user cannot sign in: %d", res.StatusCode)
	}
	// A taken email uses the invite like a new one would, or a second try
	// with the same invite would reveal that the email has an account.
	if r := register(t, srv, nil, shared.RegisterRequest{Email: "first@example.com", Nickname: "second", Password: "long enough password", Invite: code}); r.status != http.StatusAccepted {
		t.Fatalf("taken email: %+v", r)
	}
	var er shared.ErrorResponse
	res := srv.MustPost(t, shared.APIRegister, nil, req("third", code), &er)
	if res.StatusCode != http.StatusUnprocessableEntity || codes(er)["invite"] != shared.CodeInviteInvalid {
		t.Fatalf("used-up invite: %d %+v", res.StatusCode, er)
	}
	if n := userCount(t, srv); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
}
