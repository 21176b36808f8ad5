//go:build !js

package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

func TestLiveChatBetweenTwoEngines(t *testing.T) {
	srv := webtest.MustServer(t)
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	a, b := mustEngine(t, srv, ann, nil), mustEngine(t, srv, bob, nil)
	var mu sync.Mutex
	var notified []shared.Message
	a.Engine.Stop()
	a = mustEngineWith(t, srv, ann, client.Config{OnIncoming: func(m shared.Message, v client.ConvView) {
		mu.Lock()
		defer mu.Unlock()
		notified = append(notified, m)
	}})
	a.waitCaughtUp(t)
	b.waitCaughtUp(t)

	if _, err := a.Send(conv, "hi bob"); err != nil {
		t.Fatal(err)
	}
	b.wait(t, "ann's message", func() bool { ms := b.Messages(conv); return len(ms) == 1 && ms[0].Body == "hi bob" })
	b.Typing(conv)
	a.wait(t, "bob typing", func() bool { v, _ := a.Conversation(conv); return len(v.Typing) == 1 && v.Typing[0] == bob.Nickname })
	if _, err := b.Send(conv, "hi ann"); err != nil {
		t.Fatal(err)
	}
	a.wait(t, "bob's answer", func() bool { return len(a.Messages(conv)) == 2 })
	if v, _ := a.Conversation(conv); len(v.Typing) != 0 {
		t.Errorf("bob still shows as typing after his message arrived: %v", v.Typing)
	}
	if v, _ := a.Conversation(conv); v.Unread != 1 {
		t.Errorf("ann's unread = %d, want 1", v.Unread)
	}
	a.MarkSeen(conv, 2)
	a.waitAcked(t)
	b.wait(t, "ann's read cursor", func() bool {
		v, _ := b.Conversation(conv)
		m := v.Member(ann.ID)
		return m != nil && m.SeenSeq == 2
	})
	sb, err := b.SeenBy(context.Background(), conv, 2)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range sb.Seen {
		found = found || s.UserID == ann.ID
	}
	if !found {
		t.Errorf("seen by %+v lacks ann", sb.Seen)
	}
	b.SetViewing(conv, 2, 500)
	a.wait(t, "bob's ghost", func() bool {
		v, _ := a.Conversation(conv)
		return len(v.Viewers) == 1 && v.Viewers[0].UserID == bob.ID && v.Viewers[0].Seq == 2
	})

	mu.Lock()
	defer mu.Unlock()
	if len(notified) != 1 || notified[0].Body != "hi ann" {
		t.Errorf("OnIncoming got %v, want only bob's live message", notified)
	}
}

// mustEngineWith starts an engine with extra configuration.
func mustEngineWith(tb testing.TB, srv *webtest.Server, u user, cfg client.Config) *engine {
	tb.Helper()
	st := client.NewMemoryStorage()
	tp := newTap(&client.WebSocketTransport{URL: srv.WSURL, Header: u.header})
	cfg.Storage, cfg.Transport, cfg.Rand = st, tp, func() float64 { return 0.05 }
	e := client.New(cfg)
	e.Start(context.Background())
	tb.Cleanup(e.Stop)
	return &engine{Engine: e, st: st, tap: tp}
}

func TestHalfOpenConnectionIsDropped(t *testing.T) {
	srv := webtest.MustServer(t) // heartbeat 2s
	ann, bob := mustUser(t, srv, "ann"), mustUser(t, srv, "bob")
	conv := mustDirect(t, srv, ann, bob)
	e := mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)

	// From now on the current connection delivers nothing: half-open. The
	// server keeps it open (the engine's pings reach it); only the engine's
	// silence check can notice.
	first := e.tap.dialCount()
	e.tap.mu.Lock()
	e.tap.silent = func(dial int) bool { return dial == first }
	e.tap.mu.Unlock()
	var mu sync.Mutex
	var reasons []string
	stop := e.Subscribe(func() {
		if s := e.State().Status; s.State == client.StateReconnecting {
			mu.Lock()
			reasons = append(reasons, s.LastError)
			mu.Unlock()
		}
	})
	defer stop()
	e.wait(t, "a new connection", func() bool { return e.tap.dialCount() > first })
	e.waitCaughtUp(t)
	mu.Lock()
	if len(reasons) == 0 || !strings.Contains(reasons[0], "no answer") {
		t.Errorf("reconnecting said %q, want the silence named", reasons)
	}
	mu.Unlock()
	if _, err := e.Send(conv, "after the gap"); err != nil {
		t.Fatal(err)
	}
	e.waitAcked(t)
}

func TestSignedOutStopsReconnecting(t *testing.T) {
	srv := webtest.MustServer(t)
	ann := mustUser(t, srv, "ann")
	e := mustEngine(t, srv, ann, nil)
	e.waitCaughtUp(t)
	res := srv.MustPost(t, shared.APISignOut, ann.header, shared.SignOutRequest{}, nil)
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	e.wait(t, "signed out", func() bool { return e.State().Status.State == client.StateSignedOut })
	if s := e.State().Status; s.LastError == "" {
		t.Errorf("signed out without a reason: %+v", s)
	}
}

func TestAPI(t *testing.T) {
	srv := webtest.MustServer(t)
	jar, _ := cookiejar.New(nil)
	api := &client.API{Base: srv.URL, HTTP: &http.Client{Jar: jar}}
	ctx := context.Background()

	_, err := api.Register(ctx, shared.RegisterRequest{Email: "nope", Nickname: "x", Password: "short"})
	var fe *client.FormError
	if !errors.As(err, &fe) || fe.For("email") == "" || fe.For("nickname") == "" || fe.For("password") == "" {
		t.Fatalf("bad registration: %v, want a message per field", err)
	}
	u, err := api.Register(ctx, shared.RegisterRequest{Email: "zoe@example.com", Nickname: "zoe", Password: "correct horse battery"})
	if err != nil || u.ID == 0 || u.Nickname != "zoe" {
		t.Fatalf("register: %+v %v", u, err)
	}
	if me, err := api.Me(ctx); err != nil || me.ID != u.ID {
		t.Fatalf("me: %+v %v", me, err)
	}
	if me, err := api.UpdateProfile(ctx, shared.ProfileUpdate{Nickname: "zoe2"}); err != nil || me.Nickname != "zoe2" {
		t.Fatalf("update profile: %+v %v", me, err)
	}
	mustUser(t, srv, "zed")
	page, err := api.SearchUsers(ctx, "ze", "")
	if err != nil || len(page.Users) != 1 {
		t.Fatalf("search: %+v %v", page, err)
	}
	if err := api.SignOut(ctx, false); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	if _, err := api.Me(ctx); !errors.As(err, &fe) || fe.Status != http.StatusUnauthorized {
		t.Fatalf("me after sign out: %v", err)
	}
	if _, err := api.SignIn(ctx, shared.SignInRequest{Login: "zoe2", Password: "wrong password!"}); !errors.As(err, &fe) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := api.SignIn(ctx, shared.SignInRequest{Login: "zoe2", Password: "correct horse battery"}); err != nil {
		t.Fatalf("sign in: %v", err)
	}

	srv.Stop(t)
	if _, err := api.Me(ctx); !errors.Is(err, client.ErrUnreachable) {
		t.Errorf("server down: %v, want ErrUnreachable", err)
	}
}
