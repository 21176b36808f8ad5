package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"natter/server/webtest"
	"natter/shared"
)

// A device that was offline when its account was disabled learns why when
// it comes back: the WebSocket says account_disabled before closing, and
// the API answers 403 account_disabled; a stranger's or a revoked cookie
// still just reads as signed out.
func TestDisabledAccountIsToldSo(t *testing.T) {
	srv := webtest.MustServer(t)
	u, h := srv.MustSignUp(t, "ann")
	if err := srv.Store.SetUserDisabled(context.Background(), u.ID, true); err != nil {
		t.Fatal(err)
	}
	w := srv.MustDial(t, h)
	env := w.MustNext(t)
	var e shared.Error
	json.Unmarshal(env.Data, &e)
	if env.Type != shared.TypeError || e.Code != shared.CodeAccountDisabled || !e.Fatal {
		t.Fatalf("WebSocket of a disabled account: %s %s", env.Type, env.Data)
	}
	var fe shared.ErrorResponse
	res := srv.MustDo(t, http.MethodGet, shared.APIMe, h, nil, &fe)
	if res.StatusCode != http.StatusForbidden || len(fe.Errors) == 0 || fe.Errors[0].Code != shared.CodeAccountDisabled {
		t.Fatalf("/api/me of a disabled account: %d %+v", res.StatusCode, fe)
	}
	// Enabled again, the same device is signed in again: disabling is not
	// revoking.
	if err := srv.Store.SetUserDisabled(context.Background(), u.ID, false); err != nil {
		t.Fatal(err)
	}
	if res := srv.MustDo(t, http.MethodGet, shared.APIMe, h, nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("/api/me after enabling: %d", res.StatusCode)
	}
	// A made-up cookie is simply signed out.
	bad := http.Header{}
	bad.Set("Cookie", shared.SessionCookie+"=made-up")
	if res := srv.MustDo(t, http.MethodGet, shared.APIMe, bad, nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/api/me with a made-up cookie: %d", res.StatusCode)
	}
}
