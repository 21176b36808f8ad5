package store_test

import (
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"natter/server/store"
)

func hashOf(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func TestSessions(t *testing.T) {
	s := MustStore(t)
	alice := MustUser(t, s, "alice")
	bob := MustUser(t, s, "bob")
	future := time.Now().Add(time.Hour)

	live, err := s.CreateSession(ctx, alice.ID, hashOf("live"), "Firefox", future)
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := s.CreateSession(ctx, alice.ID, hashOf("expired"), "old", time.Now().Add(-time.Minute))
	revoked, _ := s.CreateSession(ctx, alice.ID, hashOf("revoked"), "gone", future)
	if err := s.RevokeSession(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, revoked.ID); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	bobs, _ := s.CreateSession(ctx, bob.ID, hashOf("bob"), "Chrome", future)

	got, err := s.SessionByTokenHash(ctx, hashOf("live"))
	if err != nil || got.ID != live.ID || got.User.ID != alice.ID || got.User.PasswordHash == "" || got.UserAgent != "Firefox" {
		t.Fatalf("live session = %+v, %v", got, err)
	}
	for _, tok := range []string{"expired", "revoked", "unknown"} {
		t.Run(tok, func(t *testing.T) {
			if _, err := s.SessionByTokenHash(ctx, hashOf(tok)); !errors.Is(err, store.ErrNoSession) {
				t.Fatalf("err = %v, want ErrNoSession", err)
			}
		})
	}
	t.Run("disabled user", func(t *testing.T) {
		if err := s.SetUserDisabled(ctx, bob.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByTokenHash(ctx, hashOf("bob")); !errors.Is(err, store.ErrNoSession) {
			t.Fatalf("err = %v, want ErrNoSession", err)
		}
		_ = s.SetUserDisabled(ctx, bob.ID, false)
		if _, err := s.SessionByTokenHash(ctx, hashOf("bob")); err != nil {
			t.Fatalf("re-enabled: %v", err)
		}
	})
	t.Run("touch slides expiry forward only", func(t *testing.T) {
		later := future.Add(24 * time.Hour)
		if err := s.TouchSession(ctx, live.ID, later); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchSession(ctx, live.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		got, _ := s.SessionByTokenHash(ctx, hashOf("live"))
		if got.ExpiresAt.Sub(later).Abs() > time.Millisecond || got.LastSeenAt.Before(live.LastSeenAt) {
			t.Fatalf("after touch: %+v", got.Session)
		}
	})
	t.Run("list", func(t *testing.T) {
		mine, err := s.ListSessions(ctx, alice.ID)
		if err != nil || len(mine) != 1 || mine[0].ID != live.ID {
			t.Fatalf("alice's sessions = %+v, %v", mine, err)
		}
		all, _ := s.ListSessions(ctx, 0)
		if len(all) != 2 {
			t.Fatalf("all sessions = %+v", all)
		}
	})
	t.Run("revoke all but one", func(t *testing.T) {
		other, _ := s.CreateSession(ctx, alice.ID, hashOf("other"), "phone", future)
		ids, err := s.RevokeUserSessions(ctx, alice.ID, live.ID)
		if err != nil || !slices.Equal(ids, []int64{expired.ID, other.ID}) {
			t.Fatalf("revoked = %v, %v; want expired %d and other %d", ids, err, expired.ID, other.ID)
		}
		if _, err := s.SessionByTokenHash(ctx, hashOf("live")); err != nil {
			t.Fatalf("kept session: %v", err)
		}
		if _, err := s.SessionByTokenHash(ctx, hashOf("bob")); err != nil {
			t.Fatalf("other user's session: %v", err)
		}
		_ = bobs
	})
	if err := s.RevokeSession(ctx, 99999); !errors.Is(err, store.ErrNoSession) {
		t.Fatalf("revoke unknown: %v", err)
	}
}
