//go:build !js

package client_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"sync"
	"sync/atomic"
	"testing"

	"natter/server/webtest"
	"natter/shared"
	"natter/wasm/client"
)

// signInOnDial is a transport whose first dial goes out without a session
// cookie, as the app's first dial does on the sign-in page, and which signs
// the person in (during) once that connection is open but before the
// engine reads the server's answer to it: the server's "not signed in"
// then arrives after the sign-in, as it does when someone signs in within
// a second of the page loading.
type signInOnDial struct {
	url    string
	mu     sync.Mutex
	header http.Header // what the next dial carries
	dials  int
	during func(t *signInOnDial)
}

func (d *signInOnDial) Dial(ctx context.Context) (client.Conn, error) {
	d.mu.Lock()
	h := d.header.Clone()
	d.dials++
	first := d.dials == 1
	d.mu.Unlock()
	c, err := (&client.WebSocketTransport{URL: d.url, Header: h}).Dial(ctx)
	if err == nil && first {
		d.during(d)
	}
	return c, err
}

// TestSignInDuringFirstDial: a connection dialed before the sign-in is
// refused as signed out, and the refusal arrives after the sign-in. The
// engine must take it for the old cookie's answer and dial again, not for
// the new session's end: nothing is wiped, OnSignedOut never runs, and the
// engine connects as the person who signed in.
func TestSignInDuringFirstDial(t *testing.T) {
	srv := webtest.MustServer(t)
	ann := mustUser(t, srv, "ann")
	var e *client.Engine
	var signedOut atomic.Bool
	tr := &signInOnDial{url: srv.WSURL, header: http.Header{"Origin": {srv.URL}}}
	tr.during = func(d *signInOnDial) {
		d.mu.Lock()
		d.header = ann.header.Clone()
		d.mu.Unlock()
		e.SignedIn(ann.User)
		e.SetDraft("new", "typed right after signing in")
	}
	st := client.NewMemoryStorage()
	e = client.New(client.Config{Storage: st, Transport: tr, Device: "test", Rand: func() float64 { return 0.05 },
		OnSignedOut: func(client.SignOut) { signedOut.Store(true) }})
	e.Start(context.Background())
	t.Cleanup(e.Stop)
	te := &engine{Engine: e, st: st}
	te.wait(t, "caught up, or signed out", func() bool {
		s := e.State().Status
		return s.CaughtUp || s.State == client.StateSignedOut || signedOut.Load()
	})
	if signedOut.Load() || e.State().Status.State == client.StateSignedOut {
		t.Fatalf("the refusal of the connection dialed before the sign-in signed the new session out: %+v", e.State().Status)
	}
	if got := e.State().Me.ID; got != ann.ID {
		t.Errorf("connected as user %d, want %d", got, ann.ID)
	}
	if got := e.Draft("new"); got != "typed right after signing in" {
		t.Errorf("draft after the sign-in = %q: the device was wiped", got)
	}
	tr.mu.Lock()
	n := tr.dials
	tr.mu.Unlock()
	if n < 2 {
		t.Errorf("%d dials, want the refused one and one with the new cookie", n)
	}
}

// TestAPIRequestAcrossSignIn: an account request sent before a sign-in and
// answered 401 after it is asked again with the new session's cookie,
// instead of telling the UI that the person who just signed in is signed
// out (which wipes the device).
func TestAPIRequestAcrossSignIn(t *testing.T) {
	srv := webtest.MustServer(t)
	ann := mustUser(t, srv, "ann")
	jar, _ := cookiejar.New(nil)
	api := &client.API{Base: srv.URL}
	var once sync.Once
	api.HTTP = &http.Client{Jar: jar, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		res, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && r.URL.Path == shared.APIMe && res.StatusCode == http.StatusUnauthorized {
			// The first answer, 401 for want of a cookie, is held until the
			// sign-in has happened.
			once.Do(func() {
				if _, err := api.SignIn(r.Context(), shared.SignInRequest{Login: ann.Nickname, Password: "correct horse battery"}); err != nil {
					t.Errorf("sign in: %v", err)
				}
			})
		}
		return res, err
	})}
	u, err := api.Me(context.Background())
	if err != nil {
		t.Fatalf("Me asked before the sign-in, answered after it: %v", err)
	}
	if u.ID != ann.ID {
		t.Errorf("Me = user %d, want %d", u.ID, ann.ID)
	}
	// Without a sign-in in between, a 401 is the answer.
	jar2, _ := cookiejar.New(nil)
	if _, err := (&client.API{Base: srv.URL, HTTP: &http.Client{Jar: jar2}}).Me(context.Background()); err == nil {
		t.Error("Me without a session succeeded")
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
