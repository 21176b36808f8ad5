package push

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"natter/shared"
)

// A push endpoint is a URL the browser gave us and we POST to: without
// care, a crafted subscription would make the server request any address
// it can reach (SSRF). So an endpoint must be https on a public host name
// or address, checked when it is saved (CheckEndpoint) and again for every
// address actually dialled (publicOnly), which also defeats a name that
// resolves to a private address only later (DNS rebinding).

// errPrivate is what dialling a refused address fails with.
var errPrivate = errors.New("push: endpoint address is not public")

// CheckEndpoint refuses an endpoint that is not https or names a loopback,
// private, link-local or otherwise non-public address literally (names are
// checked when dialled). allowPrivate lifts the address rule, for tests
// with a push service on loopback.
func CheckEndpoint(endpoint string, allowPrivate bool) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
		return &shared.Error{Code: shared.CodeInvalid, Field: "endpoint", Message: "The push endpoint must be an https URL."}
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".local") || !strings.Contains(host, ".") && net.ParseIP(host) == nil {
		return &shared.Error{Code: shared.CodeInvalid, Field: "endpoint", Message: "The push endpoint must be on a public host."}
	}
	if a, err := netip.ParseAddr(host); err == nil && !public(a) {
		return &shared.Error{Code: shared.CodeInvalid, Field: "endpoint", Message: "The push endpoint must be on a public address, not a private, loopback or link-local one."}
	}
	return nil
}

// public reports whether a is a global unicast address outside the
// private, shared (CGNAT) and documentation ranges.
func public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (CGNAT)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved
	netip.MustParsePrefix("::ffff:0:0/96"),   // mapped (Unmap handles them; belt and braces)
	netip.MustParsePrefix("fc00::/7"),        // unique local
	netip.MustParsePrefix("fe80::/10"),       // link-local
	netip.MustParsePrefix("169.254.0.0/16"),  // link-local
	netip.MustParsePrefix("127.0.0.0/8"),     // loopback
	netip.MustParsePrefix("192.168.0.0/16"),  // private
	netip.MustParsePrefix("172.16.0.0/12"),   // private
	netip.MustParsePrefix("10.0.0.0/8"),      // private
	netip.MustParsePrefix("224.0.0.0/4"),     // multicast
	netip.MustParsePrefix("ff00::/8"),        // multicast
	netip.MustParsePrefix("::/128"),          // unspecified
	netip.MustParsePrefix("::1/128"),         // loopback
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments
	netip.MustParsePrefix("2002::/16"),       // 6to4 may wrap private IPv4
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
}

// publicOnly refuses, at connect time, any address that is not public:
// whatever a name resolved to, the socket only ever reaches the internet.
func publicOnly(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !public(ap.Addr()) {
		return errPrivate
	}
	return nil
}

// NewHTTPClient returns the client pushes are sent with: bounded timeouts,
// no redirects (a push service never redirects; following one would leave
// the checked host) and, unless allowPrivate, only public addresses.
func NewHTTPClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = publicOnly
	}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
