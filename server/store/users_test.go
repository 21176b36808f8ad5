package store_test

import (
	"errors"
	"strings"
	"testing"

	"natter/server/store"
	"natter/shared"
)

func TestCreateUser(t *testing.T) {
	s := MustStore(t)
	alice := MustUser(t, s, "Alice")
	if alice.ID == 0 || alice.Nickname != "Alice" || alice.Email != "Alice@example.com" || alice.PasswordHash != "hash-of-Alice" {
		t.Fatalf("created = %+v", alice)
	}
	tests := []struct {
		name, email, nick, field, code string
	}{
		{"same email other case", "ALICE@example.com", "alice2", "email", shared.CodeEmailTaken},
		{"same nickname other case", "other@example.com", "ALICE", "nickname", shared.CodeNicknameTaken},
		{"bad email", "not-an-email", "bob", "email", shared.CodeEmailInvalid},
		{"bad nickname", "bob@example.com", "b", "nickname", shared.CodeNicknameLength},
		{"nickname chars", "bob@example.com", "bob smith", "nickname", shared.CodeNicknameChars},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateUser(ctx, tt.email, tt.nick, "h")
			var fe *shared.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || fe.Code != tt.code {
				t.Fatalf("err = %#v, want field %s code %s", err, tt.field, tt.code)
			}
		})
	}
	if n, _ := s.UserCount(ctx); n != 1 {
		t.Fatalf("user count = %d, want 1 (failed creates must add nothing)", n)
	}
}

func TestUserLookups(t *testing.T) {
	s := MustStore(t)
	alice := MustUser(t, s, "Alice")
	for _, login := range []string{"alice", "ALICE", " Alice ", "alice@EXAMPLE.com"} {
		u, err := s.UserByLogin(ctx, login)
		if err != nil || u.ID != alice.ID {
			t.Fatalf("UserByLogin(%q) = %+v, %v", login, u, err)
		}
	}
	for _, login := range []string{"", "bob", "alice@example.org"} {
		if _, err := s.UserByLogin(ctx, login); !errors.Is(err, store.ErrNoUser) {
			t.Fatalf("UserByLogin(%q) err = %v, want ErrNoUser", login, err)
		}
	}
	if _, err := s.UserByID(ctx, alice.ID+100); !errors.Is(err, store.ErrNoUser) {
		t.Fatalf("UserByID(unknown) err = %v", err)
	}
	got, err := s.UserByID(ctx, alice.ID)
	if err != nil || got != alice {
		t.Fatalf("UserByID = %+v, %v; want %+v", got, err, alice)
	}
}

func TestUpdateUser(t *testing.T) {
	s := MustStore(t)
	alice := MustUser(t, s, "alice")
	MustUser(t, s, "bob")
	ptr := func(s string) *string { return &s }

	u, err := s.UpdateUser(ctx, alice.ID, ptr("Alicia"), nil, nil)
	if err != nil || u.Nickname != "Alicia" || u.Email != alice.Email || u.PasswordHash != alice.PasswordHash {
		t.Fatalf("rename = %+v, %v", u, err)
	}
	u, err = s.UpdateUser(ctx, alice.ID, nil, ptr("new@example.com"), ptr("newhash"))
	if err != nil || u.Email != "new@example.com" || u.PasswordHash != "newhash" || u.Nickname != "Alicia" {
		t.Fatalf("email+password = %+v, %v", u, err)
	}
	_, err = s.UpdateUser(ctx, alice.ID, ptr("BOB"), nil, nil)
	wantCode(t, err, shared.CodeNicknameTaken)
	_, err = s.UpdateUser(ctx, alice.ID, nil, ptr("Bob@Example.com"), nil)
	wantCode(t, err, shared.CodeEmailTaken)
	_, err = s.UpdateUser(ctx, alice.ID+100, ptr("carol"), nil, nil)
	if !errors.Is(err, store.ErrNoUser) {
		t.Fatalf("update unknown err = %v", err)
	}
	// Own nickname in another case is not "taken".
	if _, err := s.UpdateUser(ctx, alice.ID, ptr("ALICIA"), nil, nil); err != nil {
		t.Fatalf("re-case own nickname: %v", err)
	}
}

func TestDisableAndAdmin(t *testing.T) {
	s := MustStore(t)
	alice := MustUser(t, s, "alice")
	if err := s.SetUserDisabled(ctx, alice.ID, true); err != nil {
		t.Fatal(err)
	}
	u, _ := s.UserByID(ctx, alice.ID)
	if !u.Disabled() {
		t.Fatal("not disabled")
	}
	if err := s.SetUserDisabled(ctx, alice.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserAdmin(ctx, alice.ID, true); err != nil {
		t.Fatal(err)
	}
	u, _ = s.UserByID(ctx, alice.ID)
	if u.Disabled() || !u.Admin {
		t.Fatalf("after enable+promote: %+v", u)
	}
	if err := s.SetUserAdmin(ctx, 999, true); !errors.Is(err, store.ErrNoUser) {
		t.Fatalf("promote unknown err = %v", err)
	}
	if err := s.SetUserDisabled(ctx, 999, true); !errors.Is(err, store.ErrNoUser) {
		t.Fatalf("disable unknown err = %v", err)
	}
}

func TestSearchUsers(t *testing.T) {
	s := MustStore(t)
	me := MustUser(t, s, "ann")
	for _, n := range []string{"Anna", "annie", "Anne.Marie", "an_x", "anxa", "anzb", "bob", "an-z"} {
		MustUser(t, s, n)
	}
	// "an_" must not match "anxa", and "%" must match nothing: LIKE
	// metacharacters in the query are literal.
	gone := MustUser(t, s, "anabel")
	if err := s.SetUserDisabled(ctx, gone.ID, true); err != nil {
		t.Fatal(err)
	}
	names := func(us []shared.User) string {
		var out []string
		for _, u := range us {
			if u.Email != "" {
				t.Fatalf("search leaked an email: %+v", u)
			}
			out = append(out, u.Nickname)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		prefix string
		want   string
	}{
		{"ann", "Anna,Anne.Marie,annie"},
		{"ANN", "Anna,Anne.Marie,annie"},
		{"an_", "an_x"},
		{"an%", ""},
		{"%", ""},
		{"_", ""},
		{`an\`, ""},
		{"bo", "bob"},
		{"zz", ""},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			us, next, err := s.SearchUsers(ctx, tt.prefix, "", 50, me.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(us); got != tt.want || next != "" {
				t.Fatalf("SearchUsers(%q) = %q next %q, want %q", tt.prefix, got, next, tt.want)
			}
		})
	}

	// Paging two at a time through "an" walks every match once, in order,
	// skipping the searcher and the disabled user.
	var all []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		us, next, err := s.SearchUsers(ctx, "an", after, 2, me.ID)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, names(us))
		if next == "" {
			break
		}
		after = next
	}
	if got, want := strings.Join(all, ","), "an-z,an_x,Anna,Anne.Marie,annie,anxa,anzb"; got != want {
		t.Fatalf("paged = %q, want %q", got, want)
	}
}

func TestListUsersAndByIDs(t *testing.T) {
	s := MustStore(t)
	us := MustUsers(t, s, "user", 3)
	all, err := s.ListUsers(ctx)
	if err != nil || len(all) != 3 || all[0].ID != us[0].ID || all[0].PasswordHash == "" {
		t.Fatalf("ListUsers = %+v, %v", all, err)
	}
	pub, err := s.UsersByIDs(ctx, []int64{us[2].ID, us[0].ID, 12345})
	if err != nil || len(pub) != 2 || pub[0].ID != us[0].ID || pub[1].ID != us[2].ID || pub[0].Email != "" {
		t.Fatalf("UsersByIDs = %+v, %v", pub, err)
	}
	if n, err := s.UserCount(ctx); n != 3 || err != nil {
		t.Fatalf("UserCount = %d, %v", n, err)
	}
}
