package shared_test

import (
	"net/mail"
	"strings"
	"testing"

	"natter/shared"
)

// netMailRule is ValidateEmail as it was written with net/mail, which the
// browser's wasm can no longer afford: the two must agree on every input.
func netMailRule(s string) bool {
	if s == "" || len(s) > shared.EmailMax {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}

var emailSeeds = []string{
	"ann@example.com", "ann+tag@mail.example.org", "ann@localhost", "ann", "", "@", "a@", "@b.c",
	"Ann <ann@example.com>", "<ann@example.com>", "ann@example.com ", " ann@example.com",
	"ann@example.com (work)", `"ann"@example.com`, `"a b"@example.com`, "a.b@example.com",
	".a@example.com", "a.@example.com", "a..b@example.com", "a@example..com", "a@.example.com",
	"a@example.com.", "a@b@example.com", "a@[1.2.3.4]", "a@[::ffff:1.2.3.4]", "a@[::1]",
	"a@[fe80::1%eth0.x]", "a@[01.2.3.4]", "a@[1.2.3]", "a@[1.2.3.4", "a@1.2.3.4]", "a@[]",
	"jörg@bücher.de", "a@b.c\xff", "\xffa@b.c", "a\uFFFD@b.c", "a!#$%&'*+-/=?^_`{|}~@b.c",
	"a(b)@c.d", "a,b@c.d", "a;b@c.d", "a:b@c.d", "a\\b@c.d", "a\tb@c.d", "a\x7f@b.c",
	"=?utf-8?q?a?=@b.c", "a@b.c,d@e.f", "a@[1.2.3.4].com", "a@b.c\n", "a@[ 1.2.3.4]",
	strings.Repeat("a", 250) + "@example.com",
}

func TestAddrSpecMatchesNetMail(t *testing.T) {
	for _, s := range emailSeeds {
		if got, want := shared.ValidateEmail(s) == nil, netMailRule(s); got != want {
			t.Errorf("%q: ValidateEmail says %v, net/mail %v", s, got, want)
		}
	}
}

// FuzzAddrSpecMatchesNetMail searches for an input the two rules disagree
// on: go test -fuzz FuzzAddrSpecMatchesNetMail ./shared/
func FuzzAddrSpecMatchesNetMail(f *testing.F) {
	for _, s := range emailSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := shared.ValidateEmail(s) == nil, netMailRule(s); got != want {
			t.Errorf("%q: ValidateEmail says %v, net/mail %v", s, got, want)
		}
	})
}
