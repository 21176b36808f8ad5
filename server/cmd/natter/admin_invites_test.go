package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"natter/server/store"
)

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration // 0: never
		err  bool
	}{
		{"7d", 7 * 24 * time.Hour, false},
		{"1d", 24 * time.Hour, false},
		{"12h", 12 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"never", 0, false},
		{"0d", 0, true},
		{"-5h", 0, true},
		{"soon", 0, true},
		{"1.5d", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseExpiry(tc.in, now)
			if (err != nil) != tc.err {
				t.Fatalf("err %v", err)
			}
			switch {
			case tc.err:
			case tc.want == 0 && got != nil:
				t.Fatalf("got %v, want never", got)
			case tc.want != 0 && (got == nil || got.Sub(now) != tc.want):
				t.Fatalf("got %v, want now+%v", got, tc.want)
			}
		})
	}
}

func TestInvites(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()

	out := e.mustRun("invites", "create")
	code, _, _ := strings.Cut(out, "\n")
	if !strings.Contains(out, "1 uses") || !strings.Contains(out, "only time the code is shown") {
		t.Fatalf("create:\n%s", out)
	}
	h := store.InviteHash(code)
	if ok, err := e.st.InviteUsable(ctx, h); !ok || err != nil {
		t.Fatalf("printed code %q is not usable: %v", code, err)
	}

	var created createdInvite
	e.mustJSON(&created, "invites", "create", "--uses", "5", "--expires", "never")
	if created.Code == "" || created.MaxUses != 5 || created.ExpiresAt != nil {
		t.Fatalf("create --json: %+v", created)
	}
	var weekly createdInvite
	e.mustJSON(&weekly, "invites", "create", "--expires", "2d")
	if d := time.Until(*weekly.ExpiresAt); d < 47*time.Hour || d > 49*time.Hour {
		t.Fatalf("--expires 2d expires in %v", d)
	}

	fails := []struct {
		name string
		args []string
		err  string
	}{
		{"no uses", []string{"create", "--uses", "0"}, "--uses must be at least 1"},
		{"bad expiry", []string{"create", "--expires", "soon"}, `--expires "soon"`},
		{"revoke not a number", []string{"revoke", "abc"}, `invite ID must be a positive number, not "abc"`},
		{"revoke unknown", []string{"revoke", "999999"}, "no invite 999999"},
	}
	for _, tt := range fails {
		t.Run(tt.name, func(t *testing.T) {
			e.mustFail("", tt.err, append([]string{"invites"}, tt.args...)...)
		})
	}

	if _, err := e.st.RegisterUser(ctx, "in@example.org", "invited", fixtureHash(), h); err != nil {
		t.Fatal(err)
	}
	if out := e.mustRun("invites", "revoke", itoa(created.ID)); !strings.Contains(out, "revoked invite "+itoa(created.ID)) {
		t.Fatalf("revoke: %q", out)
	}
	if ok, _ := e.st.InviteUsable(ctx, store.InviteHash(created.Code)); ok {
		t.Fatal("a revoked invite is still usable")
	}

	var list []store.Invite
	e.mustJSON(&list, "invites", "list")
	if len(list) != 3 || list[0].ID != weekly.ID {
		t.Fatalf("list: %+v", list)
	}
	out = e.mustRun("invites", "list")
	for _, want := range []string{"ID  ", "used up", "revoked", "active", "1/1", "0/5", "never"} {
		if !strings.Contains(out, want) {
			t.Fatalf("list lacks %q:\n%s", want, out)
		}
	}
}
