package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"natter/server/push"
	"natter/shared"
)

// TestPushRotateKeys: rotate-keys replaces the VAPID pair servers sign
// with and deletes every subscription, and says so.
func TestPushRotateKeys(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	old, err := push.LoadKeys(ctx, e.st)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.st.CreateUser(ctx, "ann@example.com", "ann", fixtureHash())
	if err != nil {
		t.Fatal(err)
	}
	var sub shared.PushSubscription
	sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth = "https://push.example.com/ann", "p", "a"
	if err := e.st.SavePushSubscription(ctx, u.ID, 0, sub); err != nil {
		t.Fatal(err)
	}
	out := e.mustRun("push", "rotate-keys")
	if !strings.Contains(out, "push subscriptions deleted: 1") {
		t.Fatalf("output: %s", out)
	}
	k, err := push.LoadKeys(ctx, e.st)
	if err != nil || k == old || !strings.Contains(out, k.Public) {
		t.Fatalf("keys after rotating: %+v (was %+v), %v; output %s", k, old, err, out)
	}
	var res struct {
		PublicKey            string `json:"public_key"`
		SubscriptionsDeleted int64  `json:"subscriptions_deleted"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("--json", "push", "rotate-keys")), &res); err != nil || res.PublicKey == k.Public || res.SubscriptionsDeleted != 0 {
		t.Fatalf("json = %+v, %v", res, err)
	}
}
