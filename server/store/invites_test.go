package store_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"natter/server/store"
)

func TestInviteCode(t *testing.T) {
	code, err := store.NewInviteCode()
	if err != nil {
		t.Fatal(err)
	}
	if len(strings.ReplaceAll(code, "-", "")) != 26 || strings.Count(code, "-") != 6 {
		t.Fatalf("code %q", code)
	}
	h := store.InviteHash(code)
	for _, typed := range []string{strings.ToLower(code), strings.ReplaceAll(code, "-", " "), strings.ReplaceAll(code, "-", "")} {
		if string(store.InviteHash(typed)) != string(h) {
			t.Errorf("%q does not match %q", typed, code)
		}
	}
	other, _ := store.NewInviteCode()
	if other == code {
		t.Fatal("two codes are equal")
	}
}

func TestInviteLifecycle(t *testing.T) {
	s := MustStore(t)
	past := time.Now().Add(-time.Minute)
	future := time.Now().Add(time.Hour)
	tests := []struct {
		name    string
		uses    int
		expires *time.Time
		revoke  bool
		admits  int
	}{
		{"one use", 1, nil, false, 1},
		{"three uses, expiring later", 3, &future, false, 3},
		{"expired", 5, &past, false, 0},
		{"revoked", 5, nil, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv, code, err := s.CreateInvite(ctx, tc.uses, tc.expires)
			if err != nil {
				t.Fatal(err)
			}
			if tc.revoke {
				if err := s.RevokeInvite(ctx, inv.ID); err != nil {
					t.Fatal(err)
				}
			}
			h := store.InviteHash(code)
			for i := 0; i <= tc.admits; i++ {
				usable, err := s.InviteUsable(ctx, h)
				if err != nil {
					t.Fatal(err)
				}
				nick := strings.ReplaceAll(tc.name, " ", "")[:4] + string(rune('a'+i))
				_, err = s.RegisterUser(ctx, nick+"@example.com", nick, "hash", h)
				if want := i < tc.admits; usable != want || (err == nil) != want {
					t.Fatalf("registration %d: usable %v, err %v; want admitted %v", i, usable, err, want)
				}
				if err != nil && !errors.Is(err, store.ErrInviteInvalid) {
					t.Fatalf("registration %d: %v", i, err)
				}
			}
		})
	}
	t.Run("a failed registration does not use the invite", func(t *testing.T) {
		MustUser(t, s, "taken")
		_, code, _ := s.CreateInvite(ctx, 1, nil)
		if _, err := s.RegisterUser(ctx, "other@example.com", "Taken", "hash", store.InviteHash(code)); err == nil {
			t.Fatal("registered a taken nickname")
		}
		if _, err := s.RegisterUser(ctx, "other@example.com", "fresh", "hash", store.InviteHash(code)); err != nil {
			t.Fatalf("the invite was used by a failed registration: %v", err)
		}
	})
	t.Run("list and revoke", func(t *testing.T) {
		list, err := s.ListInvites(ctx)
		if err != nil || len(list) != 5 || list[0].ID < list[4].ID {
			t.Fatalf("%d invites, %v", len(list), err)
		}
		if list[0].Uses != 1 || list[0].Usable(time.Now()) {
			t.Fatalf("newest invite %+v", list[0])
		}
		if err := s.RevokeInvite(ctx, 99999); !errors.Is(err, store.ErrNoInvite) {
			t.Fatalf("revoke unknown: %v", err)
		}
	})
}

// TestInviteConcurrentUses races ten registrations on an invite for three:
// exactly three get in.
func TestInviteConcurrentUses(t *testing.T) {
	s := MustStore(t)
	_, code, _ := s.CreateInvite(ctx, 3, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for i := range 10 {
		wg.Go(func() {
			nick := "racer" + string(rune('a'+i))
			if _, err := s.RegisterUser(ctx, nick+"@example.com", nick, "hash", store.InviteHash(code)); err == nil {
				mu.Lock()
				admitted++
				mu.Unlock()
			} else if !errors.Is(err, store.ErrInviteInvalid) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if admitted != 3 {
		t.Fatalf("%d registrations admitted by an invite for 3", admitted)
	}
}

func TestTaken(t *testing.T) {
	s := MustStore(t)
	MustUser(t, s, "alice")
	tests := []struct {
		email, nick   string
		email2, nick2 bool
	}{
		{"ALICE@example.com", "bob", true, false},
		{"bob@example.com", "Alice", false, true},
		{"bob@example.com", "bob", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.email+"/"+tc.nick, func(t *testing.T) {
			e, n, err := s.Taken(ctx, tc.email, tc.nick)
			if err != nil || e != tc.email2 || n != tc.nick2 {
				t.Fatalf("Taken = %v, %v, %v", e, n, err)
			}
		})
	}
}
