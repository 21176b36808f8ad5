package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

func codes(er shared.ErrorResponse) map[string]string {
	m := map[string]string{}
	for _, e := range er.Errors {
		m[e.Field] = e.Code
	}
	return m
}

func TestSignInSetsSafeCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprintf("secure=%v", secure), func(t *testing.T) {
			srv := webtest.MustServer(t, func(c *web.Config) { c.SecureCookies = secure })
			if res := srv.MustPost(t, shared.APIRegister, nil, shared.RegisterRequest{Email: "ann@example.com", Nickname: "ann", Password: "correct horse battery"}, nil); res.StatusCode != http.StatusAccepted {
				t.Fatalf("register: %d", res.StatusCode)
			}
			var u shared.User
			res := srv.MustPost(t, shared.APISignIn, nil, shared.SignInRequest{Login: "ann", Password: "correct horse battery"}, &u)
			if res.StatusCode != http.StatusOK || u.Nickname != "ann" || u.Email != "ann@example.com" {
				t.Fatalf("status %d user %+v", res.StatusCode, u)
			}
			name := shared.SessionCookie
			if secure {
				name = shared.SecureSessionCookie
			}
			var c *http.Cookie
			for _, k := range res.Cookies() {
				if k.Name == name {
					c = k
				}
			}
			if c == nil {
				t.Fatalf("no %s cookie in %v", name, res.Cookies())
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.Secure != secure || c.MaxAge <= 0 {
				t.Fatalf("cookie attributes: %+v", c)
			}
			if len(c.Value) < 43 {
				t.Fatalf("token too short for 256 bits: %d chars", len(c.Value))
			}
			if got := res.Header.Get("Strict-Transport-Security"); (got != "") != secure || (secure && got != "max-age=63072000; includeSubDomains") {
				t.Fatalf("Strict-Transport-Security %q with secure=%v", got, secure)
			}
			var me shared.User
			if res := srv.MustDo(t, http.MethodGet, shared.APIMe, http.Header{"Cookie": {c.Name + "=" + c.Value}}, nil, &me); res.StatusCode != 200 || me.ID != u.ID {
				t.Fatalf("me: %d %+v", res.StatusCode, me)
			}
			other := shared.SessionCookie
			if !secure {
				other = shared.SecureSessionCookie
			}
			if res := srv.MustDo(t, http.MethodGet, shared.APIMe, http.Header{"Cookie": {other + "=" + c.Value}}, nil, nil); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("the token under the other cookie name was accepted: %d", res.StatusCode)
			}
		})
	}
}

func signIn(t *testing.T, srv *webtest.Server, login, password string) (*http.Response, shared.ErrorResponse, http.Header) {
	t.Helper()
	return signInFrom(t, srv, nil, login, password)
}

// signInFrom signs in with extra request headers, such as the
// X-Forwarded-For of a trusted proxy.
func signInFrom(t *testing.T, srv *webtest.Server, header http.Header, login, password string) (*http.Response, shared.ErrorResponse, http.Header) {
	t.Helper()
	var er shared.ErrorResponse
	res := srv.MustPost(t, shared.APISignIn, header, shared.SignInRequest{Login: login, Password: password}, &er)
	return res, er, webtest.SessionHeader(res)
}

func TestSignIn(t *testing.T) {
	srv := webtest.MustServer(t)
	u, _ := srv.MustSignUp(t, "Bea")
	t.Run("by email, any case", func(t *testing.T) {
		res, _, h := signIn(t, srv, strings.ToUpper(u.Email), "correct horse battery")
		if res.StatusCode != 200 || h.Get("Cookie") == "" {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
	t.Run("by nickname, any case", func(t *testing.T) {
		res, _, _ := signIn(t, srv, strings.ToLower(u.Nickname), "correct horse battery")
		if res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
	for _, tc := range []struct{ name, login, password string }{
		{"wrong password", u.Nickname, "wrong password!"},
		{"unknown login", "nobody-here", "correct horse battery"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, er, h := signIn(t, srv, tc.login, tc.password)
			if res.StatusCode != http.StatusUnauthorized || codes(er)["password"] != shared.CodeBadCredentials || h.Get("Cookie") != "" {
				t.Fatalf("status %d %+v", res.StatusCode, er)
			}
		})
	}
	t.Run("empty fields", func(t *testing.T) {
		res, er, _ := signIn(t, srv, "", "")
		if res.StatusCode != 422 || len(er.Errors) != 2 {
			t.Fatalf("status %d %+v", res.StatusCode, er)
		}
	})
	// A disabled account answers a right password exactly like a wrong
	// one: anything else would confirm a guessed password.
	t.Run("disabled account", func(t *testing.T) {
		d, _ := srv.MustSignUp(t, "Dis")
		if err := srv.Store.SetUserDisabled(context.Background(), d.ID, true); err != nil {
			t.Fatal(err)
		}
		right, rightErr, h := signIn(t, srv, d.Nickname, "correct horse battery")
		wrong, wrongErr, _ := signIn(t, srv, d.Nickname, "not the password")
		if right.StatusCode != http.StatusUnauthorized || h.Get("Cookie") != "" || right.StatusCode != wrong.StatusCode ||
			fmt.Sprint(rightErr) != fmt.Sprint(wrongErr) {
			t.Fatalf("right password: %d %+v; wrong password: %d %+v", right.StatusCode, rightErr, wrong.StatusCode, wrongErr)
		}
	})
}

func TestSignOut(t *testing.T) {
	srv := webtest.MustServer(t)
	u, h1 := srv.MustSignUp(t, "Cat")
	_, _, h2 := signIn(t, srv, u.Nickname, "correct horse battery")
	_, _, h3 := signIn(t, srv, u.Nickname, "correct horse battery")

	res := srv.MustPost(t, shared.APISignOut, h1, shared.SignOutRequest{}, nil)
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	if !cookieCleared(res) {
		t.Error("sign out did not clear the cookie")
	}
	if res := srv.MustDo(t, http.MethodGet, shared.APIMe, h1, nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked session: /api/me %d", res.StatusCode)
	}
	assertWSRefused(t, srv, h1)
	if res := srv.MustDo(t, http.MethodGet, shared.APIMe, h2, nil, nil); res.StatusCode != 200 {
		t.Fatalf("other device signed out too: %d", res.StatusCode)
	}

	// A live connection of a device signed out everywhere is told and closed.
	ws := srv.MustConnect(t, h3, nil)
	srv.MustPost(t, shared.APISignOut, h2, shared.SignOutRequest{All: true}, nil)
	env := ws.MustAwait(t, "revocation", func(e shared.Envelope) bool { return e.Type == shared.TypeError })
	var e shared.Error
	json.Unmarshal(env.Data, &e)
	if e.Code != shared.CodeSessionRevoked || !e.Fatal {
		t.Fatalf("got %+v", e)
	}
	for _, h := range []http.Header{h2, h3} {
		if res := srv.MustDo(t, http.MethodGet, shared.APIMe, h, nil, nil); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("sign out everywhere left a session: %d", res.StatusCode)
		}
	}
}

func cookieCleared(res *http.Response) bool {
	for _, c := range res.Cookies() {
		if c.Name == shared.SessionCookie && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

func assertWSRefused(t *testing.T, srv *webtest.Server, h http.Header) {
	t.Helper()
	ws := srv.MustDial(t, h)
	env := ws.MustNext(t)
	var e shared.Error
	json.Unmarshal(env.Data, &e)
	if env.Type != shared.TypeError || e.Code != shared.CodeUnauthorized || !e.Fatal || e.Message == "" {
		t.Fatalf("got %s %s, want a fatal unauthorized error", env.Type, env.Data)
	}
}

func TestWebSocketNeedsSession(t *testing.T) {
	srv := webtest.MustServer(t)
	assertWSRefused(t, srv, nil)
	assertWSRefused(t, srv, http.Header{"Cookie": {shared.SessionCookie + "=forged-token"}})
}

func TestSessionsSurviveRestart(t *testing.T) {
	srv := webtest.MustServer(t)
	u, h := srv.MustSignUp(t, "Dan")
	srv.Restart(t)
	var me shared.User
	if res := srv.MustDo(t, http.MethodGet, shared.APIMe, h, nil, &me); res.StatusCode != 200 || me.ID != u.ID {
		t.Fatalf("after restart: %d %+v", res.StatusCode, me)
	}
}

func TestUpdateProfile(t *testing.T) {
	srv := webtest.MustServer(t)
	u, h := srv.MustSignUp(t, "Eve")
	other, _ := srv.MustSignUp(t, "Fay")
	_, _, h2 := signIn(t, srv, u.Nickname, "correct horse battery")

	tests := []struct {
		name   string
		req    shared.ProfileUpdate
		status int
		field  string
		code   string
	}{
		{"nickname taken", shared.ProfileUpdate{Nickname: strings.ToUpper(other.Nickname)}, 409, "nickname", shared.CodeNicknameTaken},
		{"nickname invalid", shared.ProfileUpdate{Nickname: "x"}, 422, "nickname", shared.CodeNicknameLength},
		{"email needs current password", shared.ProfileUpdate{Email: "new@example.com"}, 422, "current_password", shared.CodeWrongPassword},
		{"email with wrong password", shared.ProfileUpdate{Email: "new@example.com", CurrentPassword: "not my password"}, 422, "current_password", shared.CodeWrongPassword},
		{"email malformed", shared.ProfileUpdate{Email: "nope", CurrentPassword: "correct horse battery"}, 422, "email", shared.CodeEmailInvalid},
		{"email taken", shared.ProfileUpdate{Email: other.Email, CurrentPassword: "correct horse battery"}, 409, "email", shared.CodeEmailTaken},
		{"password too short", shared.ProfileUpdate{NewPassword: "short", CurrentPassword: "correct horse battery"}, 422, "new_password", shared.CodePasswordShort},
		{"password needs current", shared.ProfileUpdate{NewPassword: "a brand new password"}, 422, "current_password", shared.CodeWrongPassword},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var er shared.ErrorResponse
			res := srv.MustDo(t, http.MethodPatch, shared.APIMe, h, tc.req, &er)
			if res.StatusCode != tc.status || codes(er)[tc.field] != tc.code {
				t.Fatalf("status %d %+v; want %d %s=%s", res.StatusCode, er, tc.status, tc.field, tc.code)
			}
			var me shared.User
			srv.MustDo(t, http.MethodGet, shared.APIMe, h, nil, &me)
			if me.Nickname != u.Nickname || me.Email != u.Email {
				t.Fatalf("a failed update changed the profile: %+v", me)
			}
		})
	}
	t.Run("nickname", func(t *testing.T) {
		var me shared.User
		if res := srv.MustDo(t, http.MethodPatch, shared.APIMe, h, shared.ProfileUpdate{Nickname: "Evelyn"}, &me); res.StatusCode != 200 || me.Nickname != "Evelyn" {
			t.Fatalf("%d %+v", res.StatusCode, me)
		}
	})
	t.Run("email and password", func(t *testing.T) {
		var me shared.User
		res := srv.MustDo(t, http.MethodPatch, shared.APIMe, h, shared.ProfileUpdate{Email: "evelyn@example.com", NewPassword: "a brand new password", CurrentPassword: "correct horse battery"}, &me)
		if res.StatusCode != 200 || me.Email != "evelyn@example.com" {
			t.Fatalf("%d %+v", res.StatusCode, me)
		}
		if res, _, _ := signIn(t, srv, "evelyn@example.com", "correct horse battery"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("old password still works: %d", res.StatusCode)
		}
		if res, _, _ := signIn(t, srv, "evelyn@example.com", "a brand new password"); res.StatusCode != 200 {
			t.Fatalf("new password refused: %d", res.StatusCode)
		}
		if res := srv.MustDo(t, http.MethodGet, shared.APIMe, h2, nil, nil); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("other sessions survive a password change: %d", res.StatusCode)
		}
		if res := srv.MustDo(t, http.MethodGet, shared.APIMe, h, nil, nil); res.StatusCode != 200 {
			t.Fatalf("the changing session was signed out: %d", res.StatusCode)
		}
	})
	t.Run("not signed in", func(t *testing.T) {
		if res := srv.MustDo(t, http.MethodPatch, shared.APIMe, nil, shared.ProfileUpdate{Nickname: "Zed"}, nil); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%d", res.StatusCode)
		}
	})
}

func TestSearchUsers(t *testing.T) {
	srv := webtest.MustServer(t)
	_, h := srv.MustSignUp(t, "searcher")
	for i := 0; i < 25; i++ {
		srv.MustSignUp(t, "zeta")
	}
	var page shared.UserPage
	srv.MustDo(t, http.MethodGet, shared.APIUsers+"?q=ZETA", h, nil, &page)
	if len(page.Users) != 20 || page.Next == "" {
		t.Fatalf("first page: %d users, next %q", len(page.Users), page.Next)
	}
	for _, u := range page.Users {
		if u.Email != "" {
			t.Fatalf("search leaks emails: %+v", u)
		}
	}
	var page2 shared.UserPage
	srv.MustDo(t, http.MethodGet, shared.APIUsers+"?q=zeta&after="+page.Next, h, nil, &page2)
	if len(page2.Users) != 5 || page2.Next != "" {
		t.Fatalf("second page: %d users, next %q", len(page2.Users), page2.Next)
	}
	if res := srv.MustDo(t, http.MethodGet, shared.APIUsers+"?q=zeta", nil, nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous search: %d", res.StatusCode)
	}
	for _, q := range []string{"", "?q=", "?q=%20%20"} {
		t.Run("empty query "+q, func(t *testing.T) {
			var er shared.ErrorResponse
			res := srv.MustDo(t, http.MethodGet, shared.APIUsers+q, h, nil, &er)
			if res.StatusCode != http.StatusUnprocessableEntity || codes(er)["q"] != shared.CodeQueryRequired || er.Errors[0].Message == "" {
				t.Fatalf("status %d %+v", res.StatusCode, er)
			}
		})
	}
}

// TestAdminFlagIsPrivate: only the admin themself sees their flag, on
// /api/me; the directory does not point attackers at admin accounts.
func TestAdminFlagIsPrivate(t *testing.T) {
	srv := webtest.MustServer(t)
	boss, bossH := srv.MustSignUp(t, "boss")
	_, h := srv.MustSignUp(t, "staff")
	if err := srv.Store.SetUserAdmin(context.Background(), boss.ID, true); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(mustRequest(t, srv.URL+shared.APIUsers+"?q=boss", h))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var page shared.UserPage
	if err := json.Unmarshal(raw, &page); err != nil || len(page.Users) != 1 || page.Users[0].ID != boss.ID {
		t.Fatalf("search: %s %v", raw, err)
	}
	if strings.Contains(string(raw), "admin") {
		t.Fatalf("search shows the admin flag: %s", raw)
	}
	var me shared.User
	if srv.MustDo(t, http.MethodGet, shared.APIMe, bossH, nil, &me); !me.Admin {
		t.Fatalf("/api/me hides the admin flag from the admin: %+v", me)
	}
}

func mustRequest(t *testing.T, url string, h http.Header) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	return req
}
