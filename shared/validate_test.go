package shared_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"natter/shared"
)

func TestValidateNickname(t *testing.T) {
	tests := []struct {
		in   string
		code string
	}{
		{"ann", ""},
		{"Zoë", ""},
		{"a.b_c-d", ""},
		{"42", ""},
		{"a", shared.CodeNicknameLength},
		{strings.Repeat("é", 33), shared.CodeNicknameLength},
		{strings.Repeat("é", 32), ""},
		{"-ann", shared.CodeNicknameChars},
		{"ann smith", shared.CodeNicknameChars},
		{"ann<b>", shared.CodeNicknameChars},
		{"ann\u200b", shared.CodeInvisibleChars},
		{"\u200bann", shared.CodeInvisibleChars},
		{"\u200b", shared.CodeInvisibleChars},
		{"ann\u202egnp", shared.CodeInvisibleChars},
		{"ann\u2066x\u2069", shared.CodeInvisibleChars},
		{"ann\u200e", shared.CodeInvisibleChars},
		{"ann\u200f", shared.CodeInvisibleChars},
		{"ann\u061c", shared.CodeInvisibleChars},
		{"an\u00adn", shared.CodeInvisibleChars},
		{"an\u2060n", shared.CodeInvisibleChars},
		{"\ufeffann", shared.CodeInvisibleChars},
		{"ann\x00", shared.CodeInvisibleChars},
		{"ann\n", shared.CodeInvisibleChars},
		{"\u3164\u3164", shared.CodeInvisibleChars},
		{"ann\U000e0041", shared.CodeInvisibleChars},
		{"سارا", ""},
		{"דוד", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := ""
			if fe := shared.ValidateNickname(tc.in); fe != nil {
				got = fe.Code
				if fe.Field != "nickname" || fe.Message == "" {
					t.Fatalf("error without field or message: %+v", fe)
				}
			}
			if got != tc.code {
				t.Fatalf("code %q, want %q", got, tc.code)
			}
		})
	}
}

func TestValidateTitle(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code string
	}{
		{"empty means member names", "", ""},
		{"plain", "Weekend plans", ""},
		{"emoji with variation selector", "Team ❤️ 🎉", ""},
		{"right to left script", "שלום עולם", ""},
		{"too long", strings.Repeat("x", shared.TitleMax+1), shared.CodeTitleTooLong},
		{"invalid utf8", "a\xffb", shared.CodeInvalid},
		{"right-to-left override", "invoice \u202efdp.exe", shared.CodeInvisibleChars},
		{"left-to-right embedding", "\u202aTeam", shared.CodeInvisibleChars},
		{"pop directional", "Team\u202c", shared.CodeInvisibleChars},
		{"isolates", "\u2067Team\u2069", shared.CodeInvisibleChars},
		{"first strong isolate", "\u2068Team", shared.CodeInvisibleChars},
		{"marks", "Team\u200e\u200f", shared.CodeInvisibleChars},
		{"arabic letter mark", "Team\u061c", shared.CodeInvisibleChars},
		{"zero width space", "Te\u200bam", shared.CodeInvisibleChars},
		{"zero width joiner between emoji", "Team 👨\u200d👩\u200d👧 and 👩🏽\u200d💻", ""},
		{"zero width joiner between letters", "Te\u200dam", shared.CodeInvisibleChars},
		{"zero width joiner after an emoji, before a letter", "👨\u200dam", shared.CodeInvisibleChars},
		{"zero width joiner at the end", "Team 👨\u200d", shared.CodeInvisibleChars},
		{"word joiner", "Te\u2060am", shared.CodeInvisibleChars},
		{"invisible plus", "Te\u2064am", shared.CodeInvisibleChars},
		{"byte order mark", "\ufeffTeam", shared.CodeInvisibleChars},
		{"soft hyphen", "Te\u00adam", shared.CodeInvisibleChars},
		{"newline", "Team\nplans", shared.CodeInvisibleChars},
		{"tab", "Team\tplans", shared.CodeInvisibleChars},
		{"line separator", "Team\u2028plans", shared.CodeInvisibleChars},
		{"delete", "Team\x7f", shared.CodeInvisibleChars},
		{"c1 control", "Team\u0085", shared.CodeInvisibleChars},
		{"hangul filler", "\u3164", shared.CodeInvisibleChars},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if fe := shared.ValidateTitle(tt.in); fe != nil {
				got = fe.Code
				if fe.Field != "title" || fe.Message == "" {
					t.Fatalf("error without field or message: %+v", fe)
				}
			}
			if got != tt.code {
				t.Fatalf("ValidateTitle(%q) code %q, want %q", tt.in, got, tt.code)
			}
		})
	}
}

// TestInvisibleMessageNamesTheCharacter: the user is told which character,
// since by definition they cannot see it.
func TestInvisibleMessageNamesTheCharacter(t *testing.T) {
	fe := shared.ValidateNickname("ann\u202e")
	if fe == nil || !strings.Contains(fe.Message, "U+202E") || !strings.Contains(fe.Message, "invisible") {
		t.Fatalf("message does not name the problem: %+v", fe)
	}
}

// TestBodyKeepsFormatCharacters: bodies are not names; emoji ZWJ sequences,
// right-to-left marks in mixed text and soft hyphens are legitimate there.
func TestBodyKeepsFormatCharacters(t *testing.T) {
	for _, body := range []string{"👨\u200d👩\u200d👧", "see \u200fשלום\u200f ok", "hyphen\u00adation", "a\u202eb"} {
		if fe := shared.ValidateBody(body, 100); fe != nil {
			t.Errorf("body %q refused: %v", body, fe)
		}
	}
}

func TestValidateEmail(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"ann@example.com", true},
		{"ann+tag@mail.example.org", true},
		{"ann@localhost", false},
		{"ann", false},
		{"", false},
		{"Ann <ann@example.com>", false},
		{"ann@example.com ", false},
		{strings.Repeat("a", 250) + "@example.com", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if ok := shared.ValidateEmail(tc.in) == nil; ok != tc.ok {
				t.Fatalf("valid=%v, want %v", ok, tc.ok)
			}
		})
	}
}

func TestValidateBodyCountsCharacters(t *testing.T) {
	emoji := "😀"
	if fe := shared.ValidateBody(strings.Repeat(emoji, 4000), 4000); fe != nil {
		t.Fatalf("4000 emoji refused: %v", fe)
	}
	if fe := shared.ValidateBody(strings.Repeat(emoji, 4001), 4000); fe == nil || fe.Code != shared.CodeBodyTooLong {
		t.Fatalf("4001 emoji: %v", fe)
	}
	if fe := shared.ValidateBody(" \n\t", 10); fe == nil || fe.Code != shared.CodeEmptyBody {
		t.Fatalf("blank body: %v", fe)
	}
	if fe := shared.ValidateBody("\xff", 10); fe == nil {
		t.Fatal("invalid UTF-8 accepted")
	}
}

func TestUUIDv7(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 1000; i++ {
		id := shared.NewUUIDv7()
		if !shared.IsUUID(id) || id[14] != '7' || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		if id[:13] < prev[:min(13, len(prev))] {
			t.Fatalf("ids not time-ordered: %s after %s", id, prev)
		}
		seen[id], prev = true, id
	}
	for _, bad := range []string{"", "x", strings.Repeat("0", 36), "0190a8a0-0000-7000-8000-00000000000g"} {
		if shared.IsUUID(bad) {
			t.Errorf("%q taken for a UUID", bad)
		}
	}
}

func TestConversationPaths(t *testing.T) {
	id := shared.NewUUIDv7()
	if got := shared.ConversationFromPath(shared.ConversationPath(id)); got != id {
		t.Fatalf("round trip: %q", got)
	}
	for _, p := range []string{"/", "/c/", "/c/nope", "/c/" + id + "/x", "/c/" + id + "/m/", "/c/" + id + "/m/0", "/c/" + id + "/m/-3", "/c/" + id + "/m/07", "/c/" + id + "/m/1x"} {
		if got := shared.ConversationFromPath(p); got != "" {
			t.Errorf("%q gave %q", p, got)
		}
		if seq := shared.MessageFromPath(p); seq != 0 {
			t.Errorf("%q gave message %d", p, seq)
		}
	}
	link := shared.MessagePath(id, 4711)
	if got, seq := shared.ConversationFromPath(link), shared.MessageFromPath(link); got != id || seq != 4711 {
		t.Fatalf("permalink %q: %q %d", link, got, seq)
	}
	re := regexp.MustCompile(shared.RouteConversationPattern)
	if !re.MatchString(link) || !re.MatchString(shared.ConversationPath(id)) || re.MatchString(link+"/x") {
		t.Fatalf("the route pattern does not match permalinks exactly")
	}
}

// FuzzValidators: no input panics, and what passes meets the documented
// bounds.
func FuzzValidators(f *testing.F) {
	for _, s := range []string{"ann", "", "é", "a@b.co", "😀😀", "\x00", "\xff\xfe", strings.Repeat("x", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if shared.ValidateNickname(s) == nil {
			n := utf8.RuneCountInString(s)
			if n < shared.NicknameMin || n > shared.NicknameMax {
				t.Fatalf("nickname %q of %d characters passed", s, n)
			}
		}
		if shared.ValidateEmail(s) == nil && (!strings.Contains(s, "@") || len(s) > shared.EmailMax) {
			t.Fatalf("email %q passed", s)
		}
		if shared.ValidateBody(s, 100) == nil && (strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > 100 || !utf8.ValidString(s)) {
			t.Fatalf("body %q passed", s)
		}
		if shared.ValidateNickname(s) == nil || shared.ValidateTitle(s) == nil {
			for _, r := range s {
				if unicode.In(r, unicode.Cc, unicode.Cf) {
					t.Fatalf("name or title %q with %U passed", s, r)
				}
			}
		}
		_ = shared.ValidatePassword("password", s)
		_ = shared.ConversationFromPath(s)
	})
}
