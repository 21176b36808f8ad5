package main

import (
	"context"
	"strings"
	"testing"

	"natter/server/pgbroker"
)

func TestSessionsList(t *testing.T) {
	e := newAdminEnv(t)
	a, b := e.mustUser("alice"), e.mustUser("bob")
	sa := e.mustSession(a.ID, "Firefox on Linux")
	sb := e.mustSession(b.ID, strings.Repeat("Very long user agent ", 10))
	out := e.mustRun("sessions", "list")
	if !strings.Contains(out, "alice ("+itoa(a.ID)+")") || !strings.Contains(out, "Firefox on Linux") || !strings.Contains(out, "…") {
		t.Fatalf("list:\n%s", out)
	}
	var got []adminSession
	e.mustJSON(&got, "sessions", "list", "--user", "bob")
	if len(got) != 1 || got[0].ID != sb.ID || got[0].Nickname != "bob" {
		t.Fatalf("%+v", got)
	}
	e.mustJSON(&got, "sessions", "list")
	if len(got) != 2 || (got[0].ID != sa.ID && got[1].ID != sa.ID) {
		t.Fatalf("%+v", got)
	}
	e.mustFail("", `no user "zed"`, "sessions", "list", "--user", "zed")
}

func TestSessionsRevoke(t *testing.T) {
	e := newAdminEnv(t)
	a, b := e.mustUser("alice"), e.mustUser("bob")
	sa := e.mustSession(a.ID, "laptop")
	b1, b2 := e.mustSession(b.ID, "phone"), e.mustSession(b.ID, "tablet")
	live := func() int {
		ss, err := e.st.ListSessions(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(ss)
	}

	fails := []struct {
		name string
		args []string
		err  string
	}{
		{"neither", nil, "give the session ID to revoke, or --user USER"},
		{"both", []string{itoa(sa.ID), "--user", "bob"}, "not both"},
		{"not a number", []string{"abc"}, `session ID must be a positive number, not "abc"`},
		{"unknown", []string{"999999"}, "no session 999999"},
		{"unknown user", []string{"--user", "zed"}, `no user "zed"`},
	}
	for _, tt := range fails {
		t.Run(tt.name, func(t *testing.T) {
			e.mustFail("", tt.err, append([]string{"sessions", "revoke"}, tt.args...)...)
			if n := live(); n != 3 {
				t.Fatalf("%d live sessions after a failed revoke", n)
			}
			e.mustQuiet()
		})
	}
	t.Run("one", func(t *testing.T) {
		out := e.mustRun("sessions", "revoke", itoa(sa.ID))
		if !strings.Contains(out, "revoked 1 sessions") || live() != 2 {
			t.Fatalf("output %q, %d live", out, live())
		}
		if c := e.mustControl(); c.Kind != pgbroker.KindDisconnectSession || c.SessionID != sa.ID {
			t.Fatalf("control %+v", c)
		}
	})
	t.Run("a user's", func(t *testing.T) {
		var res revokeResult
		e.mustJSON(&res, "sessions", "revoke", "--user", "bob")
		if len(res.Revoked) != 2 || live() != 0 {
			t.Fatalf("%+v, %d live", res, live())
		}
		got := map[int64]bool{}
		for range 2 {
			got[e.mustControl().SessionID] = true
		}
		if !got[b1.ID] || !got[b2.ID] {
			t.Fatalf("disconnected %v", got)
		}
		e.mustQuiet()
	})
}
