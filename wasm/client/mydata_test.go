//go:build !js

package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"testing"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// TestMyDataAPI drives "Download my data" and "Delete my account" as the
// browser does, against a real server.
func TestMyDataAPI(t *testing.T) {
	srv := webtest.MustServer(t)
	jar, _ := cookiejar.New(nil)
	api := &client.API{Base: srv.URL, HTTP: &http.Client{Jar: jar}}
	ctx := context.Background()
	u, err := api.Register(ctx, shared.RegisterRequest{Email: "mia@example.com", Nickname: "mia", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := api.ExportData(ctx)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	var exp struct {
		Profile struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
		} `json:"profile"`
	}
	if err := json.Unmarshal(raw, &exp); err != nil || exp.Profile.ID != u.ID || exp.Profile.Email != "mia@example.com" {
		t.Fatalf("export = %s (%v)", raw, err)
	}
	var fe *client.FormError
	if err := api.DeleteAccount(ctx, "wrong"); !errors.As(err, &fe) || fe.For("password") == "" {
		t.Fatalf("delete with a wrong password: %v", err)
	}
	if err := api.DeleteAccount(ctx, "correct horse battery"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := api.Me(ctx); !errors.As(err, &fe) || fe.Status != http.StatusUnauthorized {
		t.Fatalf("me after deletion: %v", err)
	}
	if _, err := api.ExportData(ctx); !errors.As(err, &fe) || fe.Status != http.StatusUnauthorized {
		t.Fatalf("export after deletion: %v", err)
	}
}
