package web

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestParseTrustedProxies(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}, false},
		{" 10.1.2.3/8 , 192.168.1.1, ::1 ", []string{"10.0.0.0/8", "192.168.1.1/32", "::1/128"}, false},
		{"fd00::/8,", []string{"fd00::/8"}, false},
		{"10.0.0.0/33", nil, true},
		{"proxy.example.com", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseTrustedProxies(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("err %v, want error %v", err, tc.err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i].String() != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	trusted, _ := ParseTrustedProxies("10.0.0.0/8, 2001:db8:ffff::/48")
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"direct, no header", "203.0.113.7:5555", nil, trusted, "203.0.113.7"},
		{"direct client forging XFF", "203.0.113.7:5555", []string{"1.2.3.4"}, trusted, "203.0.113.7"},
		{"no trusted proxies: XFF ignored", "10.0.0.1:80", []string{"1.2.3.4"}, nil, "10.0.0.1"},
		{"one proxy", "10.0.0.1:80", []string{"198.51.100.9"}, trusted, "198.51.100.9"},
		{"client-written entry left of the real one", "10.0.0.1:80", []string{"6.6.6.6, 198.51.100.9"}, trusted, "198.51.100.9"},
		{"two proxies", "10.0.0.1:80", []string{"6.6.6.6, 198.51.100.9, 10.2.3.4"}, trusted, "198.51.100.9"},
		{"several headers are one list", "10.0.0.1:80", []string{"6.6.6.6", "198.51.100.9, 10.2.3.4"}, trusted, "198.51.100.9"},
		{"proxy without header", "10.0.0.1:80", nil, trusted, "10.0.0.1"},
		{"every hop trusted", "10.0.0.1:80", []string{"10.9.9.9, 10.2.3.4"}, trusted, "10.9.9.9"},
		{"garbage hop", "10.0.0.1:80", []string{"6.6.6.6, not-an-ip, 10.2.3.4"}, trusted, "10.2.3.4"},
		{"ipv6 client with port", "10.0.0.1:80", []string{"[2001:db8::1]:443"}, trusted, "2001:db8::1"},
		{"ipv6 proxy", "[2001:db8:ffff::2]:80", []string{"198.51.100.9"}, trusted, "198.51.100.9"},
		{"mapped ipv4 remote", "[::ffff:10.0.0.1]:80", []string{"198.51.100.9"}, trusted, "198.51.100.9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.remote
			for _, h := range tc.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := clientAddr(r, tc.trusted); got.String() != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestAddrKey(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::99", "2001:db8:1:2::/64"},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			if got := addrKey(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	if addrKey(netip.Addr{}) != "unknown" {
		t.Fatal("zero address")
	}
}
