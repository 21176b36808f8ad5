package web_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"natter/server/web"
	"natter/server/webtest"
	"natter/shared"
)

// behindProxy makes loopback a trusted proxy, so each test request can name
// its client address in X-Forwarded-For.
func behindProxy(c *web.Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
}

func from(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }

// TestSignInThrottleRace is the attack that found the old check-then-count
// race: 40 parallel wrong passwords for one account. Attempts are counted
// before the password is checked, so exactly the limit are verified and
// answered 401; every other one is refused with 429 and Retry-After.
func TestSignInThrottleRace(t *testing.T) {
	srv := webtest.MustServer(t)
	u, _ := srv.MustSignUp(t, "Target")
	statuses := make([]int, 40)
	retry := make([]string, 40)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			res, _, _ := signIn(t, srv, u.Nickname, fmt.Sprintf("guess number %d", i))
			statuses[i], retry[i] = res.StatusCode, res.Header.Get("Retry-After")
		})
	}
	wg.Wait()
	count := map[int]int{}
	for i, s := range statuses {
		count[s]++
		if s == http.StatusTooManyRequests && retry[i] == "" {
			t.Errorf("429 without Retry-After")
		}
	}
	if count[http.StatusUnauthorized] != 8 || count[http.StatusTooManyRequests] != 32 {
		t.Fatalf("statuses %v: want 8 verified (401) and 32 refused (429)", count)
	}
}

func TestSignInThrottle(t *testing.T) {
	const pw = "correct horse battery"
	t.Run("a guesser is locked out, the owner elsewhere is not", func(t *testing.T) {
		srv := webtest.MustServer(t, behindProxy)
		u, _ := srv.MustSignUp(t, "Victim")
		for i := range 8 {
			if res, _, _ := signInFrom(t, srv, from("198.51.100.1"), u.Nickname, fmt.Sprint("guess ", i)); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("guess %d: %d", i, res.StatusCode)
			}
		}
		res, er, _ := signInFrom(t, srv, from("198.51.100.1"), u.Email, pw)
		if res.StatusCode != http.StatusTooManyRequests || er.Errors[0].Code != shared.CodeThrottled || res.Header.Get("Retry-After") == "" {
			t.Fatalf("guesser with the right password: %d %+v", res.StatusCode, er)
		}
		if res, _, _ := signInFrom(t, srv, from("203.0.113.5"), u.Email, pw); res.StatusCode != http.StatusOK {
			t.Fatalf("owner from another address: %d", res.StatusCode)
		}
	})
	t.Run("one address spraying many accounts", func(t *testing.T) {
		srv := webtest.MustServer(t, behindProxy)
		other, _ := srv.MustSignUp(t, "Other")
		for i := range 30 {
			signInFrom(t, srv, from("198.51.100.2"), fmt.Sprintf("ghost%d", i), "whatever password")
		}
		if res, _, _ := signInFrom(t, srv, from("198.51.100.2"), other.Nickname, pw); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("after 30 failures from one address: %d", res.StatusCode)
		}
		if res, _, _ := signInFrom(t, srv, from("198.51.100.3"), other.Nickname, pw); res.StatusCode != http.StatusOK {
			t.Fatalf("another address: %d", res.StatusCode)
		}
	})
	t.Run("a success forgets the address's failures on that account", func(t *testing.T) {
		srv := webtest.MustServer(t, behindProxy)
		u, _ := srv.MustSignUp(t, "Typo")
		for range 2 {
			for i := range 7 {
				if res, _, _ := signInFrom(t, srv, from("198.51.100.4"), u.Nickname, fmt.Sprint("typo ", i)); res.StatusCode != http.StatusUnauthorized {
					t.Fatalf("typo %d: %d", i, res.StatusCode)
				}
			}
			if res, _, _ := signInFrom(t, srv, from("198.51.100.4"), u.Nickname, pw); res.StatusCode != http.StatusOK {
				t.Fatalf("right password after 7 typos: %d", res.StatusCode)
			}
		}
	})
	t.Run("guesses spread over many addresses", func(t *testing.T) {
		srv := webtest.MustServer(t, behindProxy, func(c *web.Config) {
			c.SignIn = web.SignInLimits{PerAccount: 5, PerAccountAddress: 3, PerAddress: 100, Window: time.Hour}
		})
		u, _ := srv.MustSignUp(t, "Popular")
		for i := range 5 {
			if res, _, _ := signInFrom(t, srv, from(fmt.Sprintf("198.51.100.%d", 10+i)), u.Nickname, "guess"); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("bot %d: %d", i, res.StatusCode)
			}
		}
		// The account has had its 5: addresses that failed on it are out,
		// a fresh one gets one guess, and the owner still gets in.
		if res, _, _ := signInFrom(t, srv, from("198.51.100.10"), u.Nickname, "guess again"); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("bot that failed before: %d", res.StatusCode)
		}
		if res, _, _ := signInFrom(t, srv, from("198.51.100.99"), u.Nickname, "fresh bot"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("fresh bot's first guess: %d", res.StatusCode)
		}
		if res, _, _ := signInFrom(t, srv, from("198.51.100.99"), u.Nickname, "fresh bot again"); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("fresh bot's second guess: %d", res.StatusCode)
		}
		if res, _, _ := signInFrom(t, srv, from("203.0.113.7"), u.Nickname, pw); res.StatusCode != http.StatusOK {
			t.Fatalf("owner during the attack: %d", res.StatusCode)
		}
	})
	t.Run("X-Forwarded-For from an untrusted peer is ignored", func(t *testing.T) {
		srv := webtest.MustServer(t)
		u, _ := srv.MustSignUp(t, "Spoof")
		for i := range 8 {
			signInFrom(t, srv, from(fmt.Sprintf("198.51.100.%d", i)), u.Nickname, "guess")
		}
		if res, _, _ := signInFrom(t, srv, from("203.0.113.9"), u.Nickname, pw); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("rotating a forged X-Forwarded-For escaped the throttle: %d", res.StatusCode)
		}
	})
}
