package store_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"natter/server/store"
	"natter/shared"
)

func pushSub(endpoint, p256dh string) shared.PushSubscription {
	var sub shared.PushSubscription
	sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth, sub.Device = endpoint, p256dh, "auth", "phone"
	return sub
}

func TestPushSubscriptions(t *testing.T) {
	s := MustStore(t)
	alice, bob := MustUser(t, s, "alice"), MustUser(t, s, "bob")
	ep := "https://push.example.com/a"
	if err := s.SavePushSubscription(ctx, alice.ID, 0, pushSub(ep, "k1")); err != nil {
		t.Fatal(err)
	}
	if err := s.SavePushSubscription(ctx, alice.ID, 0, pushSub("https://push.example.com/b", "k2")); err != nil {
		t.Fatal(err)
	}
	// The same browser, now signed in as bob, moves to bob with new keys.
	if err := s.SavePushSubscription(ctx, bob.ID, 0, pushSub(ep, "k3")); err != nil {
		t.Fatal(err)
	}
	subs, err := s.PushSubscriptions(ctx, []int64{alice.ID, bob.ID})
	if err != nil || len(subs[alice.ID]) != 1 || len(subs[bob.ID]) != 1 || subs[bob.ID][0].Keys.P256dh != "k3" || subs[bob.ID][0].Device != "phone" {
		t.Fatalf("subs = %+v, %v", subs, err)
	}
	for name, sub := range map[string]shared.PushSubscription{
		"http":     pushSub("http://push.example.com/x", "k"),
		"not url":  pushSub("::", "k"),
		"no keys":  pushSub("https://push.example.com/x", ""),
		"empty ep": pushSub("", "k"),
	} {
		t.Run(name, func(t *testing.T) {
			wantCode(t, s.SavePushSubscription(ctx, alice.ID, 0, sub), shared.CodeInvalid)
		})
	}
	// Alice cannot unsubscribe bob's browser; the push sender can.
	if err := s.DeleteUserPushSubscription(ctx, alice.ID, ep); err != nil {
		t.Fatal(err)
	}
	if subs, _ := s.PushSubscriptions(ctx, []int64{bob.ID}); len(subs[bob.ID]) != 1 {
		t.Fatal("alice removed bob's subscription")
	}
	if err := s.DeletePushSubscription(ctx, ep); err != nil {
		t.Fatal(err)
	}
	if subs, _ := s.PushSubscriptions(ctx, []int64{bob.ID}); len(subs[bob.ID]) != 0 {
		t.Fatal("subscription not deleted")
	}
	if subs, err := s.PushSubscriptions(ctx, nil); err != nil || len(subs) != 0 {
		t.Fatalf("no users = %v, %v", subs, err)
	}
}

func TestKeys(t *testing.T) {
	s := MustStore(t)
	if _, err := s.Key(ctx, "vapid"); !errors.Is(err, store.ErrNoKey) {
		t.Fatalf("missing key err = %v", err)
	}
	// Servers starting together each offer a key; all get the same one.
	const n = 8
	got := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.PutKeyIfAbsent(ctx, "vapid", []byte{byte(i + 1), 0, 0xff})
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		}()
	}
	wg.Wait()
	for i := range got {
		if !bytes.Equal(got[i], got[0]) || len(got[i]) != 3 {
			t.Fatalf("key %d = %x, key 0 = %x", i, got[i], got[0])
		}
	}
	stored, err := s.Key(ctx, "vapid")
	if err != nil || !bytes.Equal(stored, got[0]) {
		t.Fatalf("Key = %x, %v", stored, err)
	}

	for _, name := range []string{"resume/1", "resume/2", "resume_x"} {
		if _, err := s.PutKeyIfAbsent(ctx, name, []byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RetireKey(ctx, "resume/1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RetireKey(ctx, "nope"); !errors.Is(err, store.ErrNoKey) {
		t.Fatalf("retire unknown = %v", err)
	}
	ring, err := s.Keys(ctx, "resume/")
	if err != nil || len(ring) != 2 {
		t.Fatalf("ring = %+v, %v", ring, err)
	}
	for _, k := range ring {
		if (k.Name == "resume/1") != (k.RetiredAt != nil) || string(k.Value) != k.Name {
			t.Fatalf("ring entry %+v", k)
		}
	}
	if err := s.DeleteKey(ctx, "resume/1"); err != nil {
		t.Fatal(err)
	}
	if ring, _ := s.Keys(ctx, "resume/"); len(ring) != 1 || ring[0].Name != "resume/2" {
		t.Fatalf("after delete = %+v", ring)
	}
}
