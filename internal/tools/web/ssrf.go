package web

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// blockedNames are metadata hosts refused by name, before any lookup.
var blockedNames = map[string]bool{
	"metadata.google.internal": true,
	"metadata.goog":            true,
	"metadata":                 true,
	"instance-data":            true,
}

// reserved are ranges that are neither private nor loopback in netip's
// sense but must not be reached: CGNAT (Alibaba's metadata service is
// 100.100.100.200), "this network", IETF protocol assignments, the
// documentation and benchmarking nets, the reserved class E and
// broadcast, and the IPv6 documentation prefix.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// nat64 embeds an IPv4 address in its last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// policy decides which addresses web_extract may reach.
type policy struct {
	allowLoopback bool // tests only: 127.0.0.0/8 and ::1
}

// addrReason says why ip is refused, or "" when it is a public address.
func (p policy) addrReason(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is6() && nat64.Contains(ip) {
		b := ip.As16()
		return p.addrReason(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	switch {
	case !ip.IsValid():
		return "not a valid address"
	case ip.IsLoopback():
		if p.allowLoopback {
			return ""
		}
		return "a loopback address"
	case ip.IsUnspecified():
		return "the unspecified address"
	case ip == netip.MustParseAddr("169.254.169.254") || ip == netip.MustParseAddr("fd00:ec2::254"):
		return "a cloud metadata address"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "a link-local address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	for _, r := range reserved {
		if r.Contains(ip) {
			if r.Bits() == 10 {
				return "a carrier-grade NAT address (cloud metadata lives there)"
			}
			return "a reserved address"
		}
	}
	return ""
}

// checkURL refuses URLs web_extract must not fetch: other schemes,
// metadata names, and hosts with any address that is not public.
func (p policy) checkURL(ctx context.Context, u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("only http and https URLs can be fetched, not %q", u.Scheme)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return fmt.Errorf("%s has no host", u.Redacted())
	}
	if blockedNames[host] {
		return fmt.Errorf("%s is a cloud metadata host", host)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if why := p.addrReason(ip); why != "" {
			return fmt.Errorf("%s is %s", host, why)
		}
		return nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("cannot resolve %s (%v); check the URL", host, lookupReason(err))
	}
	for _, ip := range ips {
		if why := p.addrReason(ip); why != "" {
			return fmt.Errorf("%s resolves to %s, which is %s", host, ip.Unmap(), why)
		}
	}
	return nil
}

func lookupReason(err error) string {
	if dns, ok := err.(*net.DNSError); ok {
		if dns.IsNotFound {
			return "no such host"
		}
		return dns.Err
	}
	return err.Error()
}

// control is the dialer hook that checks the address really connected
// to, after resolution.
func (p policy) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("refusing to connect to %s: not an IP address", address)
	}
	if why := p.addrReason(ip); why != "" {
		return fmt.Errorf("refusing to connect to %s: it is %s", host, why)
	}
	return nil
}
