package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// A conversation's page carries its newest messages for a member only,
// HTML-escaped and never stored by a cache; a stranger, an unknown
// conversation, a permalink and the service worker's precache get the
// static page without them, and a navigation without a session is sent to
// the sign-in page, whose skeleton it then gets.
func TestConversationPageDrawsMessagesForMembersOnly(t *testing.T) {
	srv := webtest.MustServer(t)
	_, ha := srv.MustSignUp(t, "ann")
	ben, hb := srv.MustSignUp(t, "ben")
	_, hm := srv.MustSignUp(t, "mallory")
	wa := srv.MustConnect(t, ha, nil)
	conv := mustConversation(t, wa, "ours", ben)
	const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)> & more`
	for _, body := range []string{"plain marker words", hostile} {
		wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: body})
	}
	page := shared.ConversationPath(conv.ID)
	with := func(h http.Header, kv ...string) http.Header {
		out := h.Clone()
		if out == nil {
			out = http.Header{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	escaped := `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; more`

	t.Run("members get the messages, escaped", func(t *testing.T) {
		for name, h := range map[string]http.Header{"ann": ha, "ben": hb} {
			res, body := get(t, srv.URL+page, with(h, "Sec-Fetch-Mode", "navigate"))
			b := string(body)
			if res.StatusCode != 200 || !strings.Contains(b, "plain marker words") || !strings.Contains(b, `data-hold="`+page+`"`) {
				t.Fatalf("%s: status %d, no messages drawn:\n%.3000s", name, res.StatusCode, skeletonPart(b))
			}
			if !strings.Contains(b, escaped) || strings.Contains(b, `<script>alert`) || strings.Contains(b, `<img src=x`) {
				t.Errorf("%s: the hostile body is not escaped:\n%s", name, skeletonPart(b))
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s: Cache-Control %q, want no-store", name, cc)
			}
			if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Cookie") {
				t.Errorf("%s: Vary %q lacks Cookie", name, res.Header.Values("Vary"))
			}
		}
	})

	for _, c := range []struct {
		name   string
		path   string
		header http.Header
	}{
		{"a stranger", page, with(hm, "Sec-Fetch-Mode", "navigate")},
		{"an unknown conversation", shared.ConversationPath(shared.NewUUIDv7()), with(ha, "Sec-Fetch-Mode", "navigate")},
		{"a permalink", shared.MessagePath(conv.ID, 1), with(ha, "Sec-Fetch-Mode", "navigate")},
		{"a revoked-looking cookie", page, with(nil, "Cookie", shared.SessionCookie+"=nonsense", "Sec-Fetch-Mode", "navigate")},
		{"the service worker's precache (no cookie, not a navigation)", page, nil},
	} {
		t.Run(c.name+" gets the static page", func(t *testing.T) {
			res, body := get(t, srv.URL+c.path, c.header)
			b := string(body)
			if res.StatusCode != 200 || !strings.Contains(b, `data-skeleton="true"`) {
				t.Fatalf("status %d, no skeleton:\n%.2000s", res.StatusCode, b)
			}
			if strings.Contains(b, "plain marker words") || strings.Contains(b, "data-hold") || strings.Contains(b, "alert(") {
				t.Fatalf("messages drawn:\n%s", skeletonPart(b))
			}
		})
	}

	t.Run("a navigation without a session goes to sign in", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+page, nil)
		req.Header.Set("Sec-Fetch-Mode", "navigate")
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := shared.RouteSignIn + "?next=" + url.QueryEscape(page)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Fatalf("status %d, Location %q, want 303 to %q", res.StatusCode, res.Header.Get("Location"), want)
		}
		res, body := get(t, srv.URL+want, with(nil, "Sec-Fetch-Mode", "navigate"))
		if res.StatusCode != 200 || !strings.Contains(string(body), `data-page="signin"`) || strings.Contains(string(body), "plain marker") {
			t.Fatalf("sign-in page: status %d:\n%.2000s", res.StatusCode, skeletonPart(string(body)))
		}
	})
}

// Drawn pages cost queries, so each user gets a budget of them; past it
// the static page goes out (the app fills it), for a member's flood and a
// stranger's alike.
func TestConversationPageBudget(t *testing.T) {
	srv := webtest.MustServer(t, func(c *web.Config) { c.PageLimit = 3 })
	_, ha := srv.MustSignUp(t, "ann")
	ben, _ := srv.MustSignUp(t, "ben")
	_, hm := srv.MustSignUp(t, "mallory")
	wa := srv.MustConnect(t, ha, nil)
	conv := mustConversation(t, wa, "ours", ben)
	wa.MustAck(t, shared.TypeMessageSend, shared.MessageSend{ConversationID: conv.ID, Body: "budget marker"})
	page := srv.URL + shared.ConversationPath(conv.ID)
	drawn := 0
	for range 10 {
		res, body := get(t, page, ha)
		if res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
		if strings.Contains(string(body), "budget marker") {
			drawn++
		}
	}
	if drawn != 3 {
		t.Fatalf("%d of 10 pages drawn, want the budget of 3", drawn)
	}
	for range 10 {
		if res, body := get(t, page, hm); res.StatusCode != 200 || strings.Contains(string(body), "budget marker") {
			t.Fatalf("stranger: status %d, messages drawn", res.StatusCode)
		}
	}
}

// skeletonPart is the page from its body on, for failure messages (the
// inlined CSS before it is long).
func skeletonPart(page string) string {
	if i := strings.Index(page, "<body>"); i >= 0 {
		return page[i:]
	}
	return page
}
