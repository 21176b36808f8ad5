package push_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"natter/server/push"
	"natter/server/push/pushtest"
	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// TestPushGone: a push service answering 410 Gone (or 404) makes the
// server delete the subscription; 500 is retried with backoff, then
// counted as a failure, and the subscription stays.
func TestPushGone(t *testing.T) {
	svc := pushtest.Start(t)
	srv := webtest.MustServer(t, withPush(svc))
	_, ah := srv.MustSignUp(t, "alice")
	bob, bh := srv.MustSignUp(t, "bob")
	phone, laptop := svc.NewDevice(t, "phone"), svc.NewDevice(t, "laptop")
	subscribe(t, srv, bh, phone)
	subscribe(t, srv, signInAgain(t, srv, bob), laptop)
	svc.SetStatus(phone.Name, http.StatusGone)
	svc.SetStatus(laptop.Name, http.StatusInternalServerError)
	wa := srv.MustConnect(t, ah, nil)
	conv := startConv(t, wa, "", bob.ID) // pushed to both: being added
	if p := svc.Next(t, phone.Name, wait); p.Status != http.StatusGone || p.Err != nil {
		t.Fatalf("push = %+v", p)
	}
	// The message goes out once the 410 has taken the phone's subscription
	// away: sent earlier, its push could be planned for the phone too (a
	// second 410, which is right but not what this test counts).
	eventually(t, "the gone subscription deleted", func() bool {
		subs, err := srv.Store.PushSubscriptions(context.Background(), []int64{bob.ID})
		return err == nil && len(subs[bob.ID]) == 1
	})
	send(t, wa, conv.ID, "anyone?")
	for i := range 8 { // being added, then the message: the first try and three retries each
		if p := svc.Next(t, laptop.Name, wait); p.Status != http.StatusInternalServerError {
			t.Fatalf("try %d = %+v", i, p)
		}
	}
	eventually(t, "the gone subscription deleted, the failure counted", func() bool {
		subs, err := srv.Store.PushSubscriptions(context.Background(), []int64{bob.ID})
		c := srv.Web.Push().Counts()
		return err == nil && len(subs[bob.ID]) == 1 && subs[bob.ID][0].Endpoint == laptop.Subscription().Endpoint &&
			c["gone"] == 1 && c["failed_status"] == 2 && c["retries"] == 6
	})
}

// TestPushRoutes: subscribing needs a session and a public https
// endpoint; the devices list is the person's own; nobody turns off
// someone else's device; revoking a session (signing out) deletes its
// subscription; a flood is refused while others keep going.
func TestPushRoutes(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) { c.Push = &push.Config{} }) // public endpoints only
	_, ah := srv.MustSignUp(t, "alice")
	_, mh := srv.MustSignUp(t, "mallory")
	sub := func(endpoint string) shared.PushSubscription {
		var s shared.PushSubscription
		s.Endpoint, s.Keys.P256dh, s.Keys.Auth, s.Device = endpoint, "BKey", "auth", "Firefox on Linux"
		return s
	}
	status := func(method, path string, h http.Header, in any) (int, shared.ErrorResponse) {
		var e shared.ErrorResponse
		res := srv.MustDo(t, method, path, h, in, &e)
		return res.StatusCode, e
	}
	if code, _ := status(http.MethodPost, shared.APIPushSub, nil, sub("https://push.example.com/x")); code != http.StatusUnauthorized {
		t.Fatalf("without a session: %d", code)
	}
	for _, ep := range []string{"http://push.example.com/x", "https://127.0.0.1/x", "https://localhost/x", "https://10.1.2.3/x",
		"https://[::1]/x", "https://169.254.169.254/latest", "https://[fe80::1]/x", "https://192.168.1.1/x", "https://intranet/x", "ftp://x"} {
		if code, e := status(http.MethodPost, shared.APIPushSub, ah, sub(ep)); code != http.StatusUnprocessableEntity || e.Errors[0].Field != "endpoint" {
			t.Errorf("endpoint %s: %d %+v", ep, code, e)
		}
	}
	if code, _ := status(http.MethodPost, shared.APIPushSub, ah, sub("https://fcm.googleapis.com/fcm/send/abc")); code != http.StatusNoContent {
		t.Fatalf("subscribe: %d", code)
	}
	var mine shared.PushDevices
	srv.MustDo(t, http.MethodGet, shared.APIPushDevices, ah, nil, &mine)
	if len(mine.Devices) != 1 || !mine.Devices[0].Current || mine.Devices[0].Device != "Firefox on Linux" {
		t.Fatalf("devices = %+v", mine)
	}
	var theirs shared.PushDevices
	srv.MustDo(t, http.MethodGet, shared.APIPushDevices, mh, nil, &theirs)
	if len(theirs.Devices) != 0 {
		t.Fatalf("mallory sees %+v", theirs)
	}
	path := shared.APIPushDevices + "/" + itoa(mine.Devices[0].ID)
	if code, _ := status(http.MethodDelete, path, mh, nil); code != http.StatusNotFound {
		t.Fatalf("mallory turned off alice's device: %d", code)
	}
	// Another origin cannot change anything with alice's cookie.
	evil := ah.Clone()
	evil.Set("Origin", "https://evil.example")
	if code, _ := status(http.MethodDelete, path, evil, nil); code != http.StatusForbidden {
		t.Fatalf("cross-origin delete: %d", code)
	}
	if code, _ := status(http.MethodDelete, path, ah, nil); code != http.StatusNoContent {
		t.Fatalf("turn off: %d", code)
	}

	// Signing out deletes the device's subscription on the server.
	if code, _ := status(http.MethodPost, shared.APIPushSub, ah, sub("https://fcm.googleapis.com/fcm/send/def")); code != http.StatusNoContent {
		t.Fatalf("subscribe again: %d", code)
	}
	if code, _ := status(http.MethodPost, shared.APISignOut, ah, struct{}{}); code >= 300 {
		t.Fatalf("sign out: %d", code)
	}
	if n := countSubs(t, srv); n != 0 {
		t.Fatalf("%d subscriptions after signing out", n)
	}

	// A flood of changes is refused with 429; someone else is unaffected.
	refused := 0
	for range 40 {
		if code, _ := status(http.MethodPut, shared.APIPushSettings, mh, shared.PushSettings{HidePreviews: true}); code == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused == 0 {
		t.Fatal("40 changes in a row were all accepted")
	}
	_, ch := srv.MustSignUp(t, "carol")
	if code, _ := status(http.MethodPut, shared.APIPushSettings, ch, shared.PushSettings{HidePreviews: true}); code != http.StatusNoContent {
		t.Fatalf("carol during mallory's flood: %d", code)
	}
	// Malformed input changes nothing and says why.
	if code, e := status(http.MethodDelete, shared.APIPushDevices+"/abc", ch, nil); code != http.StatusBadRequest || !strings.Contains(e.Errors[0].Message, "id") {
		t.Fatalf("bad id: %d %+v", code, e)
	}
}

func countSubs(t *testing.T, srv *webtest.Server) int {
	t.Helper()
	var n int
	if err := srv.Store.DB.NewRaw(`SELECT count(*) FROM push_subscriptions`).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// eventually waits, bounded, for a condition that follows an event the
// test cannot observe (a row deleted after an HTTP answer).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
