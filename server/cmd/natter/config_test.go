package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseRegisterLimit(t *testing.T) {
	tests := []struct {
		in     string
		n      int
		window time.Duration
		err    bool
	}{
		{"", 0, 0, false},
		{"off", -1, 0, false},
		{"10/1h", 10, time.Hour, false},
		{" 3/15m ", 3, 15 * time.Minute, false},
		{"0/1h", 0, 0, true},
		{"10", 0, 0, true},
		{"10/forever", 0, 0, true},
		{"ten/1h", 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			n, w, err := parseRegisterLimit(tc.in)
			if (err != nil) != tc.err || n != tc.n || w != tc.window {
				t.Fatalf("got %d, %v, %v", n, w, err)
			}
		})
	}
}

func TestLoadAccountsConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		err  string
		ok   func(c config) bool
	}{
		{"defaults", nil, "", func(c config) bool {
			return c.Signup == "open" && c.TrustedProxies == nil && c.Argon2Concurrency == 0 && c.MetricsAddr == "" &&
				c.PushContact == "mailto:natter@localhost"
		}},
		{"push off", map[string]string{"NATTER_PUSH_CONTACT": "off"}, "", func(c config) bool { return c.PushContact == "off" }},
		{"bad push contact", map[string]string{"NATTER_PUSH_CONTACT": "ops@example.com"}, "NATTER_PUSH_CONTACT must be", nil},
		{"all set", map[string]string{"NATTER_SIGNUP": "invite", "NATTER_TRUSTED_PROXIES": "10.0.0.0/8,::1",
			"NATTER_ARGON2_CONCURRENCY": "4", "NATTER_REGISTER_LIMIT": "5/10m", "NATTER_METRICS_ADDR": "127.0.0.1:9090"}, "",
			func(c config) bool {
				return c.Signup == "invite" && len(c.TrustedProxies) == 2 && c.Argon2Concurrency == 4 &&
					c.RegisterLimit == 5 && c.RegisterWindow == 10*time.Minute && c.MetricsAddr == "127.0.0.1:9090"
			}},
		{"bad signup", map[string]string{"NATTER_SIGNUP": "maybe"}, "NATTER_SIGNUP must be open, invite or closed", nil},
		{"bad proxy", map[string]string{"NATTER_TRUSTED_PROXIES": "lb.internal"}, "NATTER_TRUSTED_PROXIES", nil},
		{"bad concurrency", map[string]string{"NATTER_ARGON2_CONCURRENCY": "0"}, "NATTER_ARGON2_CONCURRENCY must be", nil},
		{"bad register limit", map[string]string{"NATTER_REGISTER_LIMIT": "lots"}, "NATTER_REGISTER_LIMIT must be", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"NATTER_SIGNUP", "NATTER_TRUSTED_PROXIES", "NATTER_ARGON2_CONCURRENCY", "NATTER_REGISTER_LIMIT", "NATTER_METRICS_ADDR", "NATTER_PUSH_CONTACT"} {
				t.Setenv(k, tc.env[k])
			}
			c, err := loadConfig()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !tc.ok(c) {
				t.Fatalf("config %+v, err %v", c, err)
			}
		})
	}
}
