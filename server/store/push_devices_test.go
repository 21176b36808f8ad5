package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"natter/server/store"
	"natter/shared"
)

// TestPushSubscriptionLifetime: a subscription belongs to its session:
// revoking the session deletes it, and so does disabling the account; a
// person keeps at most MaxPushDevices, the newest; the devices list is the
// person's own and marks the current one.
func TestPushSubscriptionLifetime(t *testing.T) {
	s := MustStore(t)
	ann, bob := MustUser(t, s, "ann"), MustUser(t, s, "bob")
	session := func(userID int64) int64 {
		t.Helper()
		sess, err := s.CreateSession(ctx, userID, []byte(fmt.Sprint("tok", time.Now().UnixNano())), "test", time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return sess.ID
	}
	phone, laptop := session(ann.ID), session(ann.ID)
	for sess, ep := range map[int64]string{phone: "https://push.example.com/phone", laptop: "https://push.example.com/laptop"} {
		if err := s.SavePushSubscription(ctx, ann.ID, sess, pushSub(ep, "k")); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := s.PushDevices(ctx, ann.ID, phone)
	if err != nil || len(ds.Devices) != 2 {
		t.Fatalf("devices = %+v, %v", ds, err)
	}
	for _, d := range ds.Devices {
		if d.Current != (d.Endpoint == "https://push.example.com/phone") {
			t.Fatalf("current marks the wrong device: %+v", ds.Devices)
		}
	}
	if other, _ := s.PushDevices(ctx, bob.ID, 0); len(other.Devices) != 0 {
		t.Fatalf("bob sees %+v", other)
	}
	if gone, err := s.DeletePushDevice(ctx, bob.ID, ds.Devices[0].ID); err != nil || gone {
		t.Fatalf("bob turned off ann's device: %v, %v", gone, err)
	}

	if err := s.RevokeSession(ctx, phone); err != nil {
		t.Fatal(err)
	}
	if subs, _ := s.PushSubscriptions(ctx, []int64{ann.ID}); len(subs[ann.ID]) != 1 || subs[ann.ID][0].Endpoint != "https://push.example.com/laptop" {
		t.Fatalf("after revoking the phone's session: %+v", subs)
	}
	if err := s.SavePushSubscription(ctx, ann.ID, phone, pushSub("https://push.example.com/late", "k")); !errors.Is(err, store.ErrNoSession) {
		t.Fatalf("saving on a revoked session: %v", err)
	}
	if err := s.SetUserDisabled(ctx, ann.ID, true); err != nil {
		t.Fatal(err)
	}
	if subs, _ := s.PushSubscriptions(ctx, []int64{ann.ID}); len(subs[ann.ID]) != 0 {
		t.Fatalf("after disabling the account: %+v", subs)
	}

	// Bounded: the newest MaxPushDevices stay.
	for i := range shared.MaxPushDevices + 3 {
		if err := s.SavePushSubscription(ctx, bob.ID, 0, pushSub(fmt.Sprintf("https://push.example.com/b%d", i), "k")); err != nil {
			t.Fatal(err)
		}
	}
	subs, _ := s.PushSubscriptions(ctx, []int64{bob.ID})
	if n := len(subs[bob.ID]); n != shared.MaxPushDevices {
		t.Fatalf("bob has %d subscriptions, want %d", n, shared.MaxPushDevices)
	}
	for _, sub := range subs[bob.ID] {
		if sub.Endpoint == "https://push.example.com/b0" {
			t.Fatal("the oldest subscription was kept")
		}
	}
}
