//go:build !js

package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"sync"
	"testing"
	"time"

	"natter/server/pgbroker"
	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// signedOutEngine is an engine under test that records OnSignedOut.
type signedOutEngine struct {
	*engine
	tokens *client.MemoryTokens
	got    chan client.SignOut
}

// mustWipeEngine starts an engine for u on a fresh storage, with a draft,
// a conversation with messages and a queued message: everything a
// wipe must remove. It returns the engine and the conversation.
func mustWipeEngine(tb testing.TB, srv *webtest.Server, u, other user) (*signedOutEngine, string) {
	tb.Helper()
	conv := mustDirect(tb, srv, u, other)
	st := client.NewMemoryStorage()
	tp := newTap(&client.WebSocketTransport{URL: srv.WSURL, Header: u.header})
	se := &signedOutEngine{tokens: &client.MemoryTokens{}, got: make(chan client.SignOut, 4)}
	e := client.New(client.Config{Storage: st, Transport: tp, Device: "test", Rand: func() float64 { return 0.05 },
		ResumeTokens: se.tokens, OnSignedOut: func(r client.SignOut) { se.got <- r }})
	e.Start(context.Background())
	tb.Cleanup(e.Stop)
	se.engine = &engine{Engine: e, st: st, tap: tp}
	se.waitCaughtUp(tb)
	if _, err := se.Send(conv, "sent before"); err != nil {
		tb.Fatal(err)
	}
	se.waitSent(tb, conv, 1)
	se.waitAcked(tb)
	// Another tab sends (this one is not the sender), so the message stays
	// queued here while the connection stays up to hear the revocation.
	se.SetSender(false)
	if _, err := se.Send(conv, "queued"); err != nil {
		tb.Fatal(err)
	}
	se.SetDraft(conv, "half a thought")
	se.Flush()
	if un := se.Unsent(); un.Actions != 1 || un.Drafts != 1 {
		tb.Fatalf("Unsent = %+v, want 1 action and 1 draft", un)
	}
	if se.tokens.Get() == "" {
		tb.Fatal("no resume token after welcome")
	}
	return se, conv
}

// awaitSignedOut waits for OnSignedOut and returns its reason.
func (se *signedOutEngine) awaitSignedOut(tb testing.TB) client.SignOut {
	tb.Helper()
	select {
	case r := <-se.got:
		return r
	case <-time.After(webtest.Timeout):
		tb.Fatalf("OnSignedOut never ran; status %+v", se.State().Status)
		return client.SignOut{}
	}
}

// mustWiped checks that nothing of the user is left: not in any bucket,
// not the resume token, not in memory; and that nothing typed afterwards
// is stored.
func (se *signedOutEngine) mustWiped(tb testing.TB, conv string) {
	tb.Helper()
	ctx := context.Background()
	for _, b := range client.Buckets {
		if kvs, err := se.st.List(ctx, b); err != nil || len(kvs) != 0 {
			tb.Errorf("bucket %s holds %d records (%v)", b, len(kvs), err)
		}
	}
	if tok := se.tokens.Get(); tok != "" {
		tb.Error("the resume token survived")
	}
	st := se.State()
	if st.Me.ID != 0 || len(st.Conversations) != 0 || len(st.Outbox) != 0 || se.Draft(conv) != "" {
		tb.Errorf("memory still holds %+v / draft %q", st, se.Draft(conv))
	}
	if _, err := se.Send(conv, "after the wipe"); err == nil {
		tb.Error("Send after the wipe was accepted")
	}
	se.SetDraft(conv, "typed after the wipe")
	se.Flush()
	for _, b := range client.Buckets {
		if kvs, _ := se.st.List(ctx, b); len(kvs) != 0 {
			tb.Errorf("after the wipe bucket %s got %d records", b, len(kvs))
		}
	}
}

// signInAgain opens a second session of u, as another device would.
func signInAgain(tb testing.TB, srv *webtest.Server, u user) *client.API {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	api := &client.API{Base: srv.URL, HTTP: &http.Client{Jar: jar}}
	if _, err := api.SignIn(context.Background(), shared.SignInRequest{Login: u.Nickname, Password: "correct horse battery"}); err != nil {
		tb.Fatalf("sign in again: %v", err)
	}
	return api
}

// TestRevokedElsewhereWipesDevice: "sign out of all devices" on another
// device ends this one's session; the engine wipes everything of the user
// and says why.
func TestRevokedElsewhereWipesDevice(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	e, conv := mustWipeEngine(t, srv, ann, bob)
	if err := signInAgain(t, srv, ann).SignOut(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	r := e.awaitSignedOut(t)
	if r.Code != shared.CodeSessionRevoked || r.Message == "" || r.FromTab {
		t.Errorf("reason %+v, want session_revoked with the server's words", r)
	}
	if s := e.State().Status; s.State != client.StateSignedOut || s.Code != shared.CodeSessionRevoked {
		t.Errorf("status %+v", s)
	}
	e.mustWiped(t, conv)
	if got := mustHistory(t, srv, bob, conv); len(got) != 1 {
		t.Errorf("server holds %d messages, want only the one sent before", len(got))
	}
}

// TestDisabledAccountWipesDevice: the operator disables the account (the
// admin CLI's path: the store, then the broker's disconnect control).
func TestDisabledAccountWipesDevice(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	e, conv := mustWipeEngine(t, srv, ann, bob)
	if err := srv.Store.SetUserDisabled(context.Background(), ann.ID, true); err != nil {
		t.Fatal(err)
	}
	pgbroker.Apply(srv.Hub)(pgbroker.Control{Kind: pgbroker.KindDisconnectUser, UserID: ann.ID})
	r := e.awaitSignedOut(t)
	if r.Code != shared.CodeAccountDisabled {
		t.Errorf("reason %+v, want account_disabled", r)
	}
	e.mustWiped(t, conv)
}

// TestSignOutHereWipesDevice: signing out on this device reports it as
// such, although the server also ends this very connection with
// session_revoked; a failed sign-out wipes nothing.
func TestSignOutHereWipesDevice(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	e, conv := mustWipeEngine(t, srv, ann, bob)
	ctx := context.Background()

	boom := errors.New("network down")
	if err := e.SignOut(ctx, false, func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed sign-out returned %v", err)
	}
	if un := e.Unsent(); un.Actions != 1 || un.Drafts != 1 {
		t.Fatalf("a failed sign-out wiped: %+v %+v", un, e.State().Outbox)
	}

	revoke := func(ctx context.Context) error {
		res := srv.MustPost(t, shared.APISignOut, ann.header, shared.SignOutRequest{}, nil)
		if res.StatusCode != http.StatusNoContent {
			t.Errorf("sign out: %d", res.StatusCode)
		}
		// The server's session_revoked reaches the engine before the
		// wipe: it must be taken for this sign-out.
		e.wait(t, "the server ended the connection", func() bool { return e.State().Status.State == client.StateSignedOut })
		return nil
	}
	if err := e.SignOut(ctx, false, revoke); err != nil {
		t.Fatal(err)
	}
	if r := e.awaitSignedOut(t); r.Code != client.SignedOutHere {
		t.Errorf("reason %+v, want signed out here", r)
	}
	e.mustWiped(t, conv)
	select {
	case r := <-e.got:
		t.Errorf("OnSignedOut ran twice, again with %+v", r)
	default:
	}
}

// TestWipeRacingSends: a revocation while sends are being stored leaves
// no half state: every send either failed or was wiped.
func TestWipeRacingSends(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	e, conv := mustWipeEngine(t, srv, ann, bob)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			<-start
			for range 50 {
				e.Send(conv, "racing")
				e.SetDraft(conv, "racing draft")
			}
		})
	}
	close(start)
	if err := e.Forget(client.SignOut{Code: shared.CodeSessionRevoked, FromTab: true}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	e.Flush()
	if r := e.awaitSignedOut(t); !r.FromTab {
		t.Errorf("reason %+v, want the other tab's", r)
	}
	e.mustWiped(t, conv)
}

// TestDataLeftWithoutItsUserIsDropped: a tab that wrote after another tab
// wiped, and died before wiping again, leaves records with no user; the
// next start drops them rather than keep or send them.
func TestDataLeftWithoutItsUserIsDropped(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	e, conv := mustWipeEngine(t, srv, ann, bob)
	e.SetOnline(false)
	st := e.st
	ctx := context.Background()
	outbox, _ := st.List(ctx, client.BucketOutbox)
	e.Stop()
	if err := st.Delete(ctx, client.BucketMeta, "me"); err != nil {
		t.Fatal(err)
	}
	if len(outbox) != 1 {
		t.Fatalf("outbox holds %d", len(outbox))
	}
	e2 := mustEngine(t, srv, ann, st)
	e2.waitCaughtUp(t)
	if un := e2.Unsent(); un.Actions != 0 || un.Drafts != 0 {
		t.Errorf("orphaned data kept: %+v", un)
	}
	if got := mustHistory(t, srv, bob, conv); len(got) != 1 {
		t.Errorf("server holds %d messages: the orphaned send went out", len(got))
	}
}

// TestSignedOutWithNothingHeldDoesNotWipe: the sign-in page's engine is
// refused too (no session yet). It holds nothing, so it must not wipe and
// report a sign-out, or the sign-in page would reload itself for ever.
func TestSignedOutWithNothingHeldDoesNotWipe(t *testing.T) {
	srv := webtest.MustServer(t)
	got := make(chan client.SignOut, 1)
	h := http.Header{}
	h.Set("Origin", srv.URL)
	e := client.New(client.Config{Storage: client.NewMemoryStorage(), Device: "test",
		Transport:   &client.WebSocketTransport{URL: srv.WSURL, Header: h},
		OnSignedOut: func(r client.SignOut) { got <- r }})
	e.Start(context.Background())
	t.Cleanup(e.Stop)
	en := &engine{Engine: e}
	en.wait(t, "refused", func() bool { return e.State().Status.State == client.StateSignedOut })
	e.SessionEnded(client.SignOut{Code: shared.CodeUnauthorized})
	e.Stop()
	// A wipe would have started the hook before Stop returned (the loop
	// runs it before it ends); a negative check needs some bound.
	select {
	case r := <-got:
		t.Fatalf("an engine holding nothing reported a sign-out: %+v", r)
	case <-time.After(100 * time.Millisecond):
	}
}
