package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"natter/server/pgtest"
	"natter/server/store"
	"natter/shared"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var ctx = context.Background()

// MustStore returns a store on a fresh migrated database.
func MustStore(tb testing.TB) *store.Store {
	tb.Helper()
	return store.New(pgtest.MustDB(tb))
}

// MustUser creates a user with the given nickname and an email made from it.
func MustUser(tb testing.TB, s *store.Store, nickname string) store.UserRecord {
	tb.Helper()
	u, err := s.CreateUser(ctx, nickname+"@example.com", nickname, "hash-of-"+nickname)
	if err != nil {
		tb.Fatalf("create user %q: %v", nickname, err)
	}
	return u
}

// MustUsers creates n users named prefix0, prefix1, ...
func MustUsers(tb testing.TB, s *store.Store, prefix string, n int) []store.UserRecord {
	tb.Helper()
	us := make([]store.UserRecord, n)
	for i := range us {
		us[i] = MustUser(tb, s, fmt.Sprintf("%s%d", prefix, i))
	}
	return us
}

// MustConv creates a conversation owned by owner with the other members.
func MustConv(tb testing.TB, s *store.Store, owner int64, title string, members ...int64) shared.Conversation {
	tb.Helper()
	c, err := s.CreateConversation(ctx, owner, act(), shared.ConversationCreate{ID: shared.NewUUIDv7(), Title: title, MemberIDs: members})
	if err != nil {
		tb.Fatalf("create conversation: %v", err)
	}
	return c
}

// MustSend sends a message and fails the test on error.
func MustSend(tb testing.TB, s *store.Store, userID int64, convID, body string) shared.Message {
	tb.Helper()
	m, err := s.SendMessage(ctx, userID, act(), convID, body)
	if err != nil {
		tb.Fatalf("send %q: %v", body, err)
	}
	return m
}

func act() string { return shared.NewUUIDv7() }

// wantCode fails unless err is a *shared.Error or *shared.FieldError with
// the given code.
func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := codeOf(err); got != code {
		tb.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func codeOf(err error) string {
	var e *shared.Error
	if errors.As(err, &e) {
		return e.Code
	}
	var fe *shared.FieldError
	if errors.As(err, &fe) {
		return fe.Code
	}
	if err != nil {
		return "non-domain error"
	}
	return ""
}

// count runs a count query.
func count(tb testing.TB, s *store.Store, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := s.DB.NewRaw(query, args...).Scan(ctx, &n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestOpen(t *testing.T) {
	s, err := store.Open(pgtest.MustDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.UserCount(ctx); n != 0 || err != nil {
		t.Fatalf("UserCount = %d, %v", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open("postgres://nobody@127.0.0.1:1/none?sslmode=disable&dial_timeout=1s"); err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
}

func TestMigrateUpDownStatus(t *testing.T) {
	s := store.New(pgtest.Open(t, pgtest.MustEmptyDSN(t)))
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	st, err := s.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) == 0 || !st[0].Applied || st[0].MigratedAt == nil {
		t.Fatalf("status after migrate = %+v", st)
	}
	MustUser(t, s, "alice")
	if err := s.MigrateDown(ctx); err != nil {
		t.Fatal(err)
	}
	st, err = s.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st {
		if m.Applied {
			t.Fatalf("still applied after down: %+v", m)
		}
	}
	if _, err := s.UserCount(ctx); err == nil {
		t.Fatal("users table survived migrate down")
	}
}
