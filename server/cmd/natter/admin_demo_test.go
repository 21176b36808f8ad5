package main

import (
	"context"
	"testing"

	"natter/server/password"
)

func TestDemo(t *testing.T) {
	e := newAdminEnv(t)
	var first demoResult
	e.mustJSON(&first, "demo")
	if len(first.Users) != 3 || len(first.Conversations) != 3 {
		t.Fatalf("%+v", first)
	}
	for _, u := range first.Users {
		rec := e.mustReload(u.ID)
		if ok, _ := password.Check(rec.PasswordHash, u.Password); !u.Created || !ok {
			t.Fatalf("user %+v: created %v, printed password verifies %v", u, u.Created, ok)
		}
	}
	var msgs int64
	for _, cv := range first.Conversations {
		msgs += cv.LastSeq
	}
	if msgs != int64(len(demoMessages)) {
		t.Fatalf("%d messages, want %d", msgs, len(demoMessages))
	}

	// Again: nothing new, passwords untouched.
	out := e.mustRun("demo")
	var again demoResult
	e.mustJSON(&again, "demo")
	for i, u := range again.Users {
		if u.Created || u.Password != "" || u.ID != first.Users[i].ID {
			t.Fatalf("second run: user %+v", u)
		}
		if ok, _ := password.Check(e.mustReload(u.ID).PasswordHash, first.Users[i].Password); !ok {
			t.Fatalf("second run changed %s's password", u.Nickname)
		}
	}
	for i, cv := range again.Conversations {
		if cv.ID != first.Conversations[i].ID || cv.LastSeq != first.Conversations[i].LastSeq {
			t.Fatalf("second run changed conversation %+v", cv)
		}
	}
	if n, _ := e.st.UserCount(context.Background()); n != 3 {
		t.Fatalf("%d users", n)
	}
	if len(out) == 0 {
		t.Fatal("no text output")
	}
}
