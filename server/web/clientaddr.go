package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads NATTER_TRUSTED_PROXIES: comma-separated CIDRs
// (or single addresses) of the reverse proxies and load balancers in front
// of the server. Only requests arriving from one of them may name their
// client in X-Forwarded-For.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("web: trusted proxy %q is neither a CIDR (10.0.0.0/8) nor an address", f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// clientAddr returns the address of the client that made r. It is
// RemoteAddr, unless RemoteAddr is a trusted proxy: then X-Forwarded-For is
// read from the right, skipping trusted proxies, and the first untrusted
// entry is the client. That entry was appended by a proxy we trust, so the
// client cannot forge it; anything further left could be client-written and
// is never read. Without trusted proxies X-Forwarded-For is ignored.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	remote := parseHostAddr(r.RemoteAddr)
	if !remote.IsValid() || !isTrusted(remote, trusted) {
		return remote
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := remote
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseHostAddr(strings.TrimSpace(hops[i]))
		if !a.IsValid() {
			// Garbage where a proxy should have written an address: the
			// last hop we trust is the best we know.
			return client
		}
		client = a
		if !isTrusted(a, trusted) {
			return a
		}
	}
	return client
}

// parseHostAddr parses "ip", "ip:port" or "[ipv6]:port", unmapping IPv4 in
// IPv6; it returns the zero Addr when s is none of them.
func parseHostAddr(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	return netip.Addr{}
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// addrKey is the throttling key of a client address. An IPv6 client
// usually holds a whole /64, so throttles count the /64 as one client;
// otherwise one attacker would get a fresh budget per address.
func addrKey(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
