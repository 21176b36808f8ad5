package web_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"natter/server/password"
	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

func userCount(t *testing.T, srv *webtest.Server) int {
	t.Helper()
	n, err := srv.Store.UserCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegisterValidation(t *testing.T) {
	srv := webtest.MustServer(t)
	var existing shared.User
	_, h := srv.MustSignUp(t, "Existing")
	srv.MustDo(t, http.MethodGet, shared.APIMe, h, nil, &existing)

	tests := []struct {
		name   string
		req    shared.RegisterRequest
		status int
		field  string
		code   string
	}{
		{"nickname too short", shared.RegisterRequest{Email: "a@example.com", Nickname: "a", Password: "long enough password"}, 422, "nickname", shared.CodeNicknameLength},
		{"nickname too long", shared.RegisterRequest{Email: "a@example.com", Nickname: strings.Repeat("a", 33), Password: "long enough password"}, 422, "nickname", shared.CodeNicknameLength},
		{"nickname characters", shared.RegisterRequest{Email: "a@example.com", Nickname: "bad name!", Password: "long enough password"}, 422, "nickname", shared.CodeNicknameChars},
		{"nickname taken, other case", shared.RegisterRequest{Email: "new@example.com", Nickname: strings.ToUpper(existing.Nickname), Password: "long enough password"}, 409, "nickname", shared.CodeNicknameTaken},
		{"email malformed", shared.RegisterRequest{Email: "not-an-email", Nickname: "fresh", Password: "long enough password"}, 422, "email", shared.CodeEmailInvalid},
		{"email with display name", shared.RegisterRequest{Email: "Bob <bob@example.com>", Nickname: "fresh", Password: "long enough password"}, 422, "email", shared.CodeEmailInvalid},
		{"password too short", shared.RegisterRequest{Email: "a@example.com", Nickname: "fresh", Password: "short"}, 422, "password", shared.CodePasswordShort},
		{"password too long", shared.RegisterRequest{Email: "a@example.com", Nickname: "fresh", Password: strings.Repeat("p", 129)}, 422, "password", shared.CodePasswordLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := userCount(t, srv)
			var er shared.ErrorResponse
			res := srv.MustPost(t, shared.APIRegister, nil, tc.req, &er)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%+v)", res.StatusCode, tc.status, er)
			}
			if got := codes(er)[tc.field]; got != tc.code {
				t.Fatalf("field %s: code %q, want %q (%+v)", tc.field, got, tc.code, er)
			}
			for _, e := range er.Errors {
				if e.Message == "" {
					t.Errorf("error %s has no human message", e.Code)
				}
			}
			if len(res.Cookies()) != 0 {
				t.Errorf("a failed registration set a cookie")
			}
			if after := userCount(t, srv); after != before {
				t.Fatalf("users %d -> %d: a failed registration wrote something", before, after)
			}
		})
	}
	t.Run("all problems at once", func(t *testing.T) {
		var er shared.ErrorResponse
		srv.MustPost(t, shared.APIRegister, nil, shared.RegisterRequest{Email: "x", Nickname: "!", Password: "x"}, &er)
		if len(er.Errors) != 3 {
			t.Fatalf("got %+v, want three field errors", er)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		var er shared.ErrorResponse
		res := srv.MustDo(t, http.MethodPost, shared.APIRegister, http.Header{"Content-Type": {"text/plain"}}, nil, &er)
		if res.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
}

// registration is what a requester can observe of one registration.
type registration struct {
	status  int
	body    shared.RegisterAccepted
	cookies int
	headers []string
}

func register(t *testing.T, srv *webtest.Server, header http.Header, req shared.RegisterRequest) registration {
	t.Helper()
	var body shared.RegisterAccepted
	res := srv.MustPost(t, shared.APIRegister, header, req, &body)
	var names []string
	for k := range res.Header {
		if k != "Date" && k != "Content-Length" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return registration{status: res.StatusCode, body: body, cookies: len(res.Cookies()), headers: names}
}

// TestRegisterTakenEmailLooksNew: registering an email that has an account
// answers exactly as registering a new one, and neither creates a second
// account nor signs anyone in nor changes the owner's password.
func TestRegisterTakenEmailLooksNew(t *testing.T) {
	srv := webtest.MustServer(t)
	owner, _ := srv.MustSignUp(t, "Owner")
	before := userCount(t, srv)

	taken := register(t, srv, nil, shared.RegisterRequest{Email: strings.ToUpper(owner.Email), Nickname: "intruder", Password: "attacker's password"})
	if after := userCount(t, srv); after != before {
		t.Fatalf("users %d -> %d: a taken email created an account", before, after)
	}
	fresh := register(t, srv, nil, shared.RegisterRequest{Email: "newcomer@example.com", Nickname: "newcomer", Password: "newcomer's password"})
	if after := userCount(t, srv); after != before+1 {
		t.Fatalf("users %d -> %d: a new email created no account", before, after)
	}
	if fmt.Sprint(taken) != fmt.Sprint(fresh) {
		t.Fatalf("taken email answered %+v, new email %+v", taken, fresh)
	}
	if taken.status != http.StatusAccepted || taken.cookies != 0 || taken.body.Message == "" {
		t.Fatalf("answer %+v: want 202, no cookie, a message", taken)
	}
	if res, _, _ := signIn(t, srv, owner.Email, "attacker's password"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the attacker's password signs in to the owner's account: %d", res.StatusCode)
	}
	if res, _, _ := signIn(t, srv, owner.Email, "correct horse battery"); res.StatusCode != http.StatusOK {
		t.Fatalf("the owner's password stopped working: %d", res.StatusCode)
	}
	if res, _, _ := signIn(t, srv, "newcomer@example.com", "newcomer's password"); res.StatusCode != http.StatusOK {
		t.Fatalf("the new account cannot sign in: %d", res.StatusCode)
	}
}

// TestRegisterThrottle: one address gets RegisterLimit registrations per
// window, even in parallel; failed validation costs nothing; other
// addresses are unaffected.
func TestRegisterThrottle(t *testing.T) {
	srv := webtest.MustServer(t, behindProxy, func(c *web.Config) { c.RegisterLimit, c.RegisterWindow = 3, time.Hour })
	for range 5 {
		register(t, srv, from("198.51.100.1"), shared.RegisterRequest{Email: "bad", Nickname: "ok-name", Password: "long enough password"})
	}
	statuses := make([]int, 10)
	retry := make([]string, 10)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			var er shared.ErrorResponse
			res := srv.MustPost(t, shared.APIRegister, from("198.51.100.1"),
				shared.RegisterRequest{Email: fmt.Sprintf("u%d@example.com", i), Nickname: fmt.Sprintf("u%d", i), Password: "long enough password"}, &er)
			statuses[i], retry[i] = res.StatusCode, res.Header.Get("Retry-After")
		})
	}
	wg.Wait()
	count := map[int]int{}
	for i, s := range statuses {
		count[s]++
		if s == http.StatusTooManyRequests && retry[i] == "" {
			t.Error("429 without Retry-After")
		}
	}
	if count[http.StatusAccepted] != 3 || count[http.StatusTooManyRequests] != 7 {
		t.Fatalf("statuses %v: want 3 accepted and 7 refused", count)
	}
	if r := register(t, srv, from("203.0.113.1"), shared.RegisterRequest{Email: "other@example.com", Nickname: "other", Password: "long enough password"}); r.status != http.StatusAccepted {
		t.Fatalf("another address: %+v", r)
	}
}

// TestPasswordSlotsBusy: when every argon2 slot stays taken past
// PasswordWait, registration and sign-in answer 503 with Retry-After,
// change nothing, and do not count the sign-in as a failure.
func TestPasswordSlotsBusy(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) { c.PasswordWait = 20 * time.Millisecond })
	u, _ := srv.MustSignUp(t, "Patient")
	password.SetConcurrency(1)
	t.Cleanup(func() { password.SetConcurrency(0) })
	release, err := password.Hold(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	before := userCount(t, srv)
	for i := range 10 {
		var er shared.ErrorResponse
		res := srv.MustPost(t, shared.APIRegister, nil, shared.RegisterRequest{Email: "late@example.com", Nickname: "late", Password: "long enough password"}, &er)
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || codes(er)[""] != shared.CodeUnavailable {
			t.Fatalf("register while busy: %d %+v", res.StatusCode, er)
		}
		res, er, _ = signIn(t, srv, u.Nickname, fmt.Sprint("guess ", i))
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Fatalf("sign in while busy: %d %+v", res.StatusCode, er)
		}
	}
	if after := userCount(t, srv); after != before {
		t.Fatalf("users %d -> %d while busy", before, after)
	}
	release()
	if r := register(t, srv, nil, shared.RegisterRequest{Email: "late@example.com", Nickname: "late", Password: "long enough password"}); r.status != http.StatusAccepted {
		t.Fatalf("register once free: %+v", r)
	}
	// Ten unanswered sign-ins did not count against the limit of 8.
	if res, _, _ := signIn(t, srv, u.Nickname, "correct horse battery"); res.StatusCode != http.StatusOK {
		t.Fatalf("sign in once free: %d", res.StatusCode)
	}
}
