package push_test

import (
	"testing"

	"natter/server/pgtest"
	"natter/server/push"
	"natter/server/store"
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
