package main

import (
	"context"
	"strings"
	"testing"
)

func TestStats(t *testing.T) {
	e := newAdminEnv(t)
	a, b := e.mustUser("alice"), e.mustUser("bob")
	cv := e.mustConversation(a.ID, "Plans", b.ID)
	e.mustConversation(b.ID, "Old", a.ID)
	if _, err := e.st.SendMessage(context.Background(), a.ID, "019a0000-0000-7000-8000-000000000001", cv.ID, "hello"); err != nil {
		t.Fatal(err)
	}
	e.mustSession(a.ID, "phone")
	e.mustRun("users", "disable", "bob")

	out := e.mustRun("stats")
	for _, w := range []string{"2 (1 disabled)", "2 (2 open)", "Messages       1", "Live sessions  1", "Live connections: not available"} {
		if !strings.Contains(out, w) {
			t.Errorf("stats lacks %q:\n%s", w, out)
		}
	}
	if err := e.node.Heartbeat(context.Background(), "node-a", func() int { return 7 }); err != nil {
		t.Fatal(err)
	}
	var s stats
	e.mustJSON(&s, "stats")
	if s.Users != 2 || s.DisabledUsers != 1 || s.Conversations != 2 || s.Messages != 1 || s.LiveSessions != 1 ||
		len(s.Nodes) != 1 || s.Nodes[0].Name != "node-a" || s.Nodes[0].Connections != 7 {
		t.Fatalf("%+v", s)
	}
	if out := e.mustRun("stats"); !strings.Contains(out, "node-a") {
		t.Fatalf("stats lacks the node:\n%s", out)
	}
}
