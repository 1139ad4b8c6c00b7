// Package netguard keeps outgoing requests to user-supplied URLs (webhooks) off the server's
// own network: it refuses loopback, private, link-local, multicast and unspecified addresses,
// both when a URL is saved (CheckURL) and on the address actually dialled (Dialer), so that a
// host name that resolves to a public address when checked and to a private one when used
// (DNS rebinding) is refused too.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Policy says which destinations are allowed. The zero Policy is the strict one production
// uses: https only, public addresses only.
type Policy struct {
	// AllowHTTP allows plain http URLs (development).
	AllowHTTP bool
	// AllowPrivate allows loopback, private, link-local and unspecified addresses
	// (development, or a deployment whose receivers live on its own network).
	AllowPrivate bool
}

// ErrRefused reports a destination the policy refuses.
var ErrRefused = errors.New("destination refused")

// CheckURL checks a URL before it is saved: absolute http(s), no user info, a host, and, when
// the host is an IP address, one the policy allows. Host names are checked when dialled.
func (p Policy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return errors.New("must be an absolute URL such as https://hooks.example.com/paygql")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !p.AllowHTTP {
			return errors.New("must use https")
		}
	default:
		return errors.New("must be an https URL")
	}
	if u.User != nil {
		return errors.New("must not carry a user name or password: authenticate the request by its signature")
	}
	if u.Fragment != "" {
		return errors.New("must not have a #fragment")
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("must name a host")
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		if !p.AllowPrivate {
			return errors.New("must not point at this machine (localhost)")
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := p.checkAddr(ip); err != nil {
			return err
		}
	}
	return nil
}

// checkAddr refuses an address the policy does not allow.
func (p Policy) checkAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	if p.AllowPrivate {
		if ip.IsMulticast() {
			return fmt.Errorf("%w: %s is a multicast address", ErrRefused, ip)
		}
		return nil
	}
	var what string
	switch {
	case ip.IsLoopback():
		what = "a loopback"
	case ip.IsPrivate():
		what = "a private"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		what = "a link-local"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		what = "a multicast"
	case ip.IsUnspecified():
		what = "an unspecified"
	case sharedOrReserved(ip):
		what = "a reserved"
	default:
		return nil
	}
	return fmt.Errorf("%w: %s is %s address", ErrRefused, ip, what)
}

// reserved are ranges that are neither public nor covered by netip's predicates: carrier-grade
// NAT (shared address space, often the cloud's own), IETF protocol assignments, and the
// "this network" block.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
}

func sharedOrReserved(ip netip.Addr) bool {
	for _, p := range reserved {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Dialer returns a dialer that refuses, after name resolution, every address the policy does
// not allow.
func (p Policy) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{
		Timeout: timeout,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil {
				return fmt.Errorf("%w: %q is not an IP address", ErrRefused, host)
			}
			return p.checkAddr(ip)
		},
	}
}

// DialContext is Dialer(timeout).DialContext, for http.Transport.
func (p Policy) DialContext(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return p.Dialer(timeout).DialContext
}
