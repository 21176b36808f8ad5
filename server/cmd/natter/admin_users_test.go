package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"natter/server/password"
	"natter/server/pgbroker"
)

func TestUsersCreate(t *testing.T) {
	e := newAdminEnv(t)
	e.mustUser("taken")
	tests := []struct {
		name      string
		stdin     string
		args      []string
		want      string // in the output, or in the error when fail
		fail      bool
		nick, pw  string // the user that must exist after success
		wantAdmin bool
	}{
		{name: "password flag", args: []string{"--email", "ann@example.org", "--nickname", "ann", "--password", "ann's long password"},
			want: "created user ann (id ", nick: "ann", pw: "ann's long password"},
		{name: "password on stdin, admin", stdin: "ben's long password\n", args: []string{"--email", "Ben@Example.org", "--nickname", "ben", "--admin"},
			want: "created user ben", nick: "ben", pw: "ben's long password", wantAdmin: true},
		{name: "email taken in other case", args: []string{"--email", "TAKEN@example.org", "--nickname", "other", "--password", "a long password"},
			want: "email: An account with this email exists already.", fail: true},
		{name: "nickname taken", args: []string{"--email", "new@example.org", "--nickname", "Taken", "--password", "a long password"},
			want: "nickname: This nickname is taken", fail: true},
		{name: "bad email", args: []string{"--email", "not-an-email", "--nickname", "cat", "--password", "a long password"},
			want: "Enter a valid email address", fail: true},
		{name: "bad nickname", args: []string{"--email", "dan@example.org", "--nickname", "-dan", "--password", "a long password"},
			want: "nickname: Nickname may use letters", fail: true},
		{name: "short password", args: []string{"--email", "eve@example.org", "--nickname", "eve", "--password", "short"},
			want: "password: Password must", fail: true},
		{name: "no password", args: []string{"--email", "fay@example.org", "--nickname", "fay"},
			want: "no password: give --password or write it on standard input", fail: true},
		{name: "no email", args: []string{"--nickname", "gus", "--password", "a long password"},
			want: `required flag(s) "email" not set`, fail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := e.st.UserCount(context.Background())
			out, err := e.run(tt.stdin, append([]string{"users", "create"}, tt.args...)...)
			if tt.fail {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want %q", err, tt.want)
				}
				if after, _ := e.st.UserCount(context.Background()); after != before {
					t.Fatalf("users %d -> %d after a failed create", before, after)
				}
				return
			}
			if err != nil || !strings.Contains(out, tt.want) {
				t.Fatalf("output %q, err %v; want %q", out, err, tt.want)
			}
			u, err := e.st.UserByLogin(context.Background(), tt.nick)
			if err != nil {
				t.Fatal(err)
			}
			if ok, _ := password.Check(u.PasswordHash, tt.pw); !ok {
				t.Error("password does not verify")
			}
			if u.Admin != tt.wantAdmin {
				t.Errorf("admin %v, want %v", u.Admin, tt.wantAdmin)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		var u adminUser
		e.mustJSON(&u, "users", "create", "--email", "hal@example.org", "--nickname", "hal", "--password", "hal's long password")
		if u.ID == 0 || u.Nickname != "hal" || u.Email != "hal@example.org" {
			t.Fatalf("%+v", u)
		}
	})
}

func TestUsersList(t *testing.T) {
	e := newAdminEnv(t)
	a, b := e.mustUser("alice"), e.mustUser("bob")
	e.mustRun("users", "disable", "bob")
	e.mustControl()
	out := e.mustRun("users", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "alice@example.org") ||
		!strings.Contains(lines[2], "bob") || strings.Contains(out, "argon2") {
		t.Fatalf("table:\n%s", out)
	}
	var users []adminUser
	e.mustJSON(&users, "users", "list")
	if len(users) != 2 || users[0].ID != a.ID || users[1].ID != b.ID || users[0].DisabledAt != nil || users[1].DisabledAt == nil {
		t.Fatalf("%+v", users)
	}
}

func TestUsersDisableEnable(t *testing.T) {
	e := newAdminEnv(t)
	bob := e.mustUser("bob")
	tests := []struct {
		name, cmd, ref, want string
		disabled, notified   bool
	}{
		{"disable by nickname", "disable", "BOB", "disabled bob (id ", true, true},
		{"disable again", "disable", "bob", "was disabled already", true, true},
		{"enable by email", "enable", "bob@example.org", "enabled bob", false, false},
		{"enable an enabled user", "enable", "bob", "was not disabled", false, false},
		{"disable by id", "disable", itoa(bob.ID), "disabled bob", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := e.mustRun("users", tt.cmd, tt.ref)
			if !strings.Contains(out, tt.want) {
				t.Fatalf("output %q, want %q", out, tt.want)
			}
			if got := e.mustReload(bob.ID).Disabled(); got != tt.disabled {
				t.Fatalf("disabled %v, want %v", got, tt.disabled)
			}
			if tt.notified {
				if c := e.mustControl(); c.Kind != pgbroker.KindDisconnectUser || c.UserID != bob.ID {
					t.Fatalf("control %+v", c)
				}
			}
			e.mustQuiet()
		})
	}
	t.Run("unknown user", func(t *testing.T) {
		for _, cmd := range []string{"disable", "enable", "promote", "demote", "reset-password"} {
			e.mustFail("", `no user "nobody": give a user id, nickname or email`, "users", cmd, "nobody")
			e.mustFail("", `no user "999999"`, "users", cmd, "999999")
		}
		e.mustQuiet()
	})
}

func TestUsersPromoteDemote(t *testing.T) {
	e := newAdminEnv(t)
	u := e.mustUser("carol")
	for _, tt := range []struct {
		cmd   string
		admin bool
	}{{"promote", true}, {"promote", true}, {"demote", false}} {
		t.Run(tt.cmd, func(t *testing.T) {
			var got adminUser
			e.mustJSON(&got, "users", tt.cmd, "carol")
			if got.Admin != tt.admin || e.mustReload(u.ID).Admin != tt.admin {
				t.Fatalf("admin %v in output, %v stored; want %v", got.Admin, e.mustReload(u.ID).Admin, tt.admin)
			}
		})
	}
}

func TestUsersResetPassword(t *testing.T) {
	e := newAdminEnv(t)
	u := e.mustUser("dave")
	other := e.mustUser("erin")
	otherSession := e.mustSession(other.ID, "erin's phone")
	newPassword := regexp.MustCompile(`new password for dave \(id \d+\): (\S+)\n`)

	t.Run("bad password from stdin changes nothing", func(t *testing.T) {
		s := e.mustSession(u.ID, "dave's laptop")
		e.mustFail("short\n", "password: Password must", "users", "reset-password", "dave", "--stdin")
		if ok, _ := password.Check(e.mustReload(u.ID).PasswordHash, fixturePassword); !ok {
			t.Fatal("password changed")
		}
		if live, _ := e.st.ListSessions(context.Background(), u.ID); len(live) != 1 || live[0].ID != s.ID {
			t.Fatalf("sessions %+v", live)
		}
		e.mustQuiet()
	})
	t.Run("generated", func(t *testing.T) {
		s2 := e.mustSession(u.ID, "dave's phone")
		out := e.mustRun("users", "reset-password", "dave")
		m := newPassword.FindStringSubmatch(out)
		if m == nil || !strings.Contains(out, "signed out of 2 sessions") {
			t.Fatalf("output %q", out)
		}
		if ok, _ := password.Check(e.mustReload(u.ID).PasswordHash, m[1]); !ok {
			t.Fatal("printed password does not verify")
		}
		var sessions []int64
		for range 2 {
			c := e.mustControl()
			if c.Kind != pgbroker.KindDisconnectSession || c.Reason == "" {
				t.Fatalf("control %+v", c)
			}
			sessions = append(sessions, c.SessionID)
		}
		if !slices.Contains(sessions, s2.ID) {
			t.Fatalf("disconnected sessions %v, want %d among them", sessions, s2.ID)
		}
		if live, _ := e.st.ListSessions(context.Background(), 0); len(live) != 1 || live[0].ID != otherSession.ID {
			t.Fatalf("live sessions %+v, want only erin's", live)
		}
		e.mustQuiet()
	})
	t.Run("from stdin, json", func(t *testing.T) {
		var res resetResult
		out, err := e.run("dave's chosen password\n", "users", "reset-password", "dave", "--stdin", "--json")
		if err != nil {
			t.Fatal(err)
		}
		mustUnmarshal(t, out, &res)
		if res.Password != "" || res.User.Nickname != "dave" || len(res.Revoked) != 0 {
			t.Fatalf("%+v", res)
		}
		if ok, _ := password.Check(e.mustReload(u.ID).PasswordHash, "dave's chosen password"); !ok {
			t.Fatal("password from stdin does not verify")
		}
		e.mustQuiet()
	})
}

func TestFindUser(t *testing.T) {
	e := newAdminEnv(t)
	bob := e.mustUser("bob")
	digits := e.mustUser("12") // a nickname of digits, not an id in use
	tests := []struct {
		ref  string
		want int64 // 0: not found
	}{
		{"bob", bob.ID},
		{"  Bob ", bob.ID},
		{"BOB@example.org", bob.ID},
		{itoa(bob.ID), bob.ID},
		{"12", digits.ID},
		{"", 0},
		{"0", 0},
		{"-1", 0},
		{"bob@example.com", 0},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			u, err := findUser(context.Background(), e.st, tt.ref)
			if tt.want == 0 {
				if err == nil || !strings.Contains(err.Error(), "no user") {
					t.Fatalf("user %+v, err %v; want not found", u, err)
				}
				return
			}
			if err != nil || u.ID != tt.want {
				t.Fatalf("user %d, err %v; want %d", u.ID, err, tt.want)
			}
		})
	}
}
