package push_test

import (
	"net/http"
	"testing"

	"natter/server/pgtest"
	"natter/server/push"
	"natter/server/push/pushtest"
	"natter/server/store"
	"natter/server/webtest"
	"natter/shared"
)

// TestKeys: the VAPID pair is made once and kept; rotating replaces it and
// deletes every subscription (they were made with the old public key).
func TestKeys(t *testing.T) {
	st := store.New(pgtest.MustDB(t))
	k1, err := push.LoadKeys(t.Context(), st)
	if err != nil {
		t.Fatal(err)
	}
	if k2, err := push.LoadKeys(t.Context(), st); err != nil || k2 != k1 {
		t.Fatalf("second load = %+v, %v; want the same pair", k2, err)
	}
	u, err := st.CreateUser(t.Context(), "ann@example.com", "ann", "hash")
	if err != nil {
		t.Fatal(err)
	}
	var sub shared.PushSubscription
	sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth = "https://push.example.com/x", "p", "a"
	if err := st.SavePushSubscription(t.Context(), u.ID, 0, sub); err != nil {
		t.Fatal(err)
	}
	n, err := push.RotateKeys(t.Context(), st)
	if err != nil || n != 1 {
		t.Fatalf("rotate = %d, %v", n, err)
	}
	k3, err := push.LoadKeys(t.Context(), st)
	if err != nil || k3 == k1 || k3.Public == "" {
		t.Fatalf("after rotating: %+v, %v", k3, err)
	}
	if subs, _ := st.PushSubscriptions(t.Context(), []int64{u.ID}); len(subs[u.ID]) != 0 {
		t.Fatalf("subscriptions kept: %+v", subs)
	}
}

// TestCheckEndpoint: https on a public host only.
func TestCheckEndpoint(t *testing.T) {
	for ep, ok := range map[string]bool{
		"https://fcm.googleapis.com/fcm/send/x":           true,
		"https://updates.push.services.mozilla.com/wpush": true,
		"https://8.8.8.8/x":                               true,
		"http://fcm.googleapis.com/x":                     false,
		"https://user:pw@fcm.googleapis.com/x":            false,
		"https://127.0.0.1/x":                             false,
		"https://[::ffff:10.0.0.1]/x":                     false,
		"https://100.64.1.1/x":                            false,
		"https://printer.local/x":                         false,
		"https://metadata/x":                              false,
	} {
		if err := push.CheckEndpoint(ep, false); (err == nil) != ok {
			t.Errorf("%s: %v", ep, err)
		}
	}
	if err := push.CheckEndpoint("https://127.0.0.1:8443/x", true); err != nil {
		t.Errorf("tests may use loopback: %v", err)
	}
}

// TestPushAfterRotation: a device subscribing right after a rotation gets
// the new key, and a node still signing with the old pair reads the new
// one when the push service refuses its signature, and pushes again.
func TestPushAfterRotation(t *testing.T) {
	svc := pushtest.Start(t)
	srv := webtest.MustServer(t, withPush(svc))
	_, ah := srv.MustSignUp(t, "alice")
	bob, bh := srv.MustSignUp(t, "bob")
	key := func() string {
		var k shared.PushKey
		srv.MustDo(t, http.MethodGet, shared.APIVAPIDKey, bh, nil, &k)
		return k.Key
	}
	old := svc.NewDevice(t, "old")
	svc.RequireKey(old.Name, key())
	subscribe(t, srv, bh, old)
	wa := srv.MustConnect(t, ah, nil)
	conv := startConv(t, wa, "", bob.ID)
	if p := svc.Next(t, old.Name, wait); p.Status != http.StatusCreated {
		t.Fatalf("before rotating: %+v", p)
	}

	if _, err := push.RotateKeys(t.Context(), srv.Store); err != nil {
		t.Fatal(err)
	}
	k2 := key()
	renewed := svc.NewDevice(t, "renewed")
	svc.RequireKey(renewed.Name, k2)
	subscribe(t, srv, bh, renewed)
	send(t, wa, conv.ID, "after the rotation")
	p := svc.Next(t, renewed.Name, wait)
	if p.Status == http.StatusForbidden { // this node still signed with the old pair
		p = svc.Next(t, renewed.Name, wait)
	}
	if p.Status != http.StatusCreated || p.VAPIDKey != k2 || p.Err != nil {
		t.Fatalf("after rotating: %+v", p)
	}
}
