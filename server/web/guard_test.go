package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"natter/server/webtest"
	"natter/shared"
)

// send makes a raw request, so tests control every header and the body.
func send(t *testing.T, srv *webtest.Server, method, path string, header http.Header, body []byte) (*http.Response, shared.ErrorResponse) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var er shared.ErrorResponse
	if res.StatusCode >= 300 {
		_ = json.Unmarshal(raw, &er)
	}
	return res, er
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestCrossOriginRefused sends every state-changing route a request from
// another site, the way a browser would (with Sec-Fetch-Site, or only with
// Origin), and checks it is refused with 403 and changes nothing; then the
// same request from the app's own origin works.
func TestCrossOriginRefused(t *testing.T) {
	srv := webtest.MustServer(t)
	me, h := srv.MustSignUp(t, "Mark")
	withCookie := func(extra http.Header) http.Header {
		out := h.Clone()
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	crossSite := []struct {
		name   string
		header http.Header
	}{
		{"Sec-Fetch-Site cross-site", http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}},
		{"Sec-Fetch-Site same-site", http.Header{"Sec-Fetch-Site": {"same-site"}, "Origin": {"https://sub.example"}}},
		{"Origin only", http.Header{"Origin": {"https://evil.example"}}},
	}
	sameOrigin := http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {srv.URL}}
	routes := []struct {
		name, method, path string
		body               []byte
		signedIn           bool
		ok                 int
		unchanged          func(t *testing.T)
	}{
		{"register", http.MethodPost, shared.APIRegister,
			mustJSON(shared.RegisterRequest{Email: "csrf@example.com", Nickname: "csrf", Password: "long enough password"}), false, http.StatusAccepted,
			func(t *testing.T) {
				if _, err := srv.Store.UserByLogin(context.Background(), "csrf"); err == nil {
					t.Fatal("a cross-origin registration created the account")
				}
			}},
		{"sign in", http.MethodPost, shared.APISignIn,
			mustJSON(shared.SignInRequest{Login: me.Nickname, Password: "correct horse battery"}), false, http.StatusOK, nil},
		{"update profile", http.MethodPatch, shared.APIMe, mustJSON(shared.ProfileUpdate{Nickname: "Renamed"}), true, http.StatusOK,
			func(t *testing.T) {
				var u shared.User
				srv.MustDo(t, http.MethodGet, shared.APIMe, h, nil, &u)
				if u.Nickname != me.Nickname {
					t.Fatalf("a cross-origin PATCH renamed the user to %q", u.Nickname)
				}
			}},
		{"sign out without a body", http.MethodPost, shared.APISignOut, nil, true, http.StatusNoContent, nil},
		{"sign out everywhere", http.MethodPost, shared.APISignOut, mustJSON(shared.SignOutRequest{All: true}), true, http.StatusNoContent, nil},
		{"a page", http.MethodPost, shared.RouteHome, nil, false, 0, nil},
	}
	stillSignedIn := func(t *testing.T) {
		if res := srv.MustDo(t, http.MethodGet, shared.APIMe, h, nil, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("the session ended: /api/me %d", res.StatusCode)
		}
	}
	for _, rt := range routes {
		for _, cs := range crossSite {
			t.Run(rt.name+"/"+cs.name, func(t *testing.T) {
				hdr := cs.header.Clone()
				if rt.body != nil {
					hdr.Set("Content-Type", "application/json")
				}
				if rt.signedIn {
					hdr = withCookie(hdr)
				}
				res, er := send(t, srv, rt.method, rt.path, hdr, rt.body)
				if res.StatusCode != http.StatusForbidden || codes(er)[""] != shared.CodeCrossOrigin {
					t.Fatalf("status %d %+v, want 403 %s", res.StatusCode, er, shared.CodeCrossOrigin)
				}
				if len(res.Cookies()) != 0 {
					t.Fatalf("a refused request set cookies: %v", res.Cookies())
				}
				if rt.unchanged != nil {
					rt.unchanged(t)
				}
				stillSignedIn(t)
			})
		}
	}
	// From the app's own origin the same requests work. Sign-out goes
	// last: it ends the session the others use.
	for _, rt := range routes {
		if rt.ok == 0 || rt.name == "sign out everywhere" {
			continue
		}
		t.Run(rt.name+"/same origin", func(t *testing.T) {
			hdr := sameOrigin.Clone()
			if rt.body != nil {
				hdr.Set("Content-Type", "application/json")
			}
			if rt.signedIn {
				hdr = withCookie(hdr)
			}
			if res, er := send(t, srv, rt.method, rt.path, hdr, rt.body); res.StatusCode != rt.ok {
				t.Fatalf("status %d %+v, want %d", res.StatusCode, er, rt.ok)
			}
		})
	}
}

// TestStateChangesNeedJSON: a body that is not JSON, as an HTML form would
// send, is refused on every state-changing route, even same-origin.
func TestStateChangesNeedJSON(t *testing.T) {
	srv := webtest.MustServer(t)
	_, h := srv.MustSignUp(t, "Form")
	for _, rt := range []struct{ method, path string }{
		{http.MethodPost, shared.APIRegister},
		{http.MethodPost, shared.APISignIn},
		{http.MethodPost, shared.APISignOut},
		{http.MethodPatch, shared.APIMe},
	} {
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
			t.Run(rt.method+" "+rt.path+" "+ct, func(t *testing.T) {
				hdr := h.Clone()
				if ct != "" {
					hdr.Set("Content-Type", ct)
				}
				res, er := send(t, srv, rt.method, rt.path, hdr, []byte(`{"all":true}`))
				if res.StatusCode != http.StatusUnsupportedMediaType || codes(er)[""] != shared.CodeMalformed {
					t.Fatalf("status %d %+v", res.StatusCode, er)
				}
				if res := srv.MustDo(t, http.MethodGet, shared.APIMe, h, nil, nil); res.StatusCode != http.StatusOK {
					t.Fatalf("session ended: %d", res.StatusCode)
				}
			})
		}
	}
}
