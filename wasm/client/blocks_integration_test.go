//go:build !js

package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"testing"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// signedIn returns an API signed in as a new user.
func signedIn(t *testing.T, srv *webtest.Server, nick string) (*client.API, shared.User) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	api := &client.API{Base: srv.URL, HTTP: &http.Client{Jar: jar}}
	u, err := api.Register(context.Background(), shared.RegisterRequest{Email: nick + "@example.com", Nickname: nick, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return api, u
}

func TestBlocksCache(t *testing.T) {
	srv := webtest.MustServer(t)
	ctx := context.Background()
	api, ann := signedIn(t, srv, "ann")
	_, bob := signedIn(t, srv, "bob")
	_, cat := signedIn(t, srv, "cat")

	b := &client.Blocks{API: api}
	b.Use(ann.ID)
	if err := b.Load(ctx, false); err != nil || !b.Loaded() || len(b.List()) != 0 {
		t.Fatalf("first load: %v, loaded %v, %v", err, b.Loaded(), b.List())
	}
	for _, id := range []int64{bob.ID, cat.ID, bob.ID} {
		if err := b.Block(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if l := b.List(); len(l) != 2 || l[0].Nickname != "cat" || !b.Has(bob.ID) {
		t.Fatalf("after blocking: %+v", l)
	}
	if err := b.Unblock(ctx, cat.ID); err != nil || b.Has(cat.ID) {
		t.Fatalf("unblock: %v, still has cat %v", err, b.Has(cat.ID))
	}
	// What the server holds matches the cache.
	if err := b.Load(ctx, true); err != nil || len(b.List()) != 1 || b.List()[0].UserID != bob.ID {
		t.Fatalf("reload: %v %+v", err, b.List())
	}
	err := b.Block(ctx, ann.ID)
	var fe *client.FormError
	if !errors.As(err, &fe) || fe.For("user_id") != "You cannot block yourself." {
		t.Fatalf("blocking oneself: %v", err)
	}
	b.Use(bob.ID) // someone else signs in on this device
	if b.Loaded() || len(b.List()) != 0 {
		t.Fatalf("another user's cache shows %+v", b.List())
	}
}

func TestLeftOutNotice(t *testing.T) {
	blocked := func(names ...string) []shared.LeftOut {
		out := make([]shared.LeftOut, len(names))
		for i, n := range names {
			out[i] = shared.LeftOut{UserID: int64(i + 1), Nickname: n, Reason: shared.CodeBlocked}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		in   []shared.LeftOut
		want string
	}{
		{"nobody", nil, ""},
		{"one", blocked("ann"), "ann was not added: they are not accepting new conversations from you."},
		{"two", blocked("ann", "bob"), "ann and bob were not added: they are not accepting new conversations from you."},
		{"three", blocked("ann", "bob", "cat"), "ann, bob and cat were not added: they are not accepting new conversations from you."},
		{"other reason", []shared.LeftOut{{Nickname: "ann", Reason: "gone"}}, "ann was not added to this conversation."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := client.LeftOutNotice(tc.in); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
