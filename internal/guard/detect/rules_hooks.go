package detect

import (
	"net"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// familyArgs runs, for every simple command, the family rules that do not
// depend on one command name: inline interpreter code, network tools
// given secrets, and cloud metadata endpoints in any spelling.
func (s *scanner) familyArgs(c *call) {
	s.interpRule(c)
	s.netRule(c)
	s.hermesSecretRead(c)
}

// famState is what the family rules remember across the commands of one
// scan: variables that hold a secret or the environment.
type famState struct {
	secretVars map[string]string // name -> "exfil.secret_file" or "exfil.environment"
}

// assignFamilies: HISTFILE=/dev/null and HISTSIZE=0 as assignments;
// variables assigned a secret ($(cat ~/.ssh/id_rsa)) or the environment.
func (s *scanner) assignFamilies(lv *level, a *syntax.Assign, text string) {
	if a == nil || a.Name == nil {
		return
	}
	val := ""
	if a.Value != nil {
		val = s.word(lv, a.Value).val
	}
	if historyVar(a.Name.Value, val) {
		s.add("evade.history", text)
	}
	if a.Value == nil {
		return
	}
	secret, env := s.wordReads(lv, a.Value)
	key := ""
	switch {
	case secret:
		key = "exfil.secret_file"
	case env:
		key = "exfil.environment"
	default:
		return
	}
	if s.fam.secretVars == nil {
		s.fam.secretVars = map[string]string{}
	}
	s.fam.secretVars[a.Name.Value] = key
}

// secretVarKeys returns the keys of the secret-holding variables args use.
func (s *scanner) secretVarKeys(args []arg) []string {
	if len(s.fam.secretVars) == 0 {
		return nil
	}
	var keys []string
	for _, a := range args {
		if !a.dyn {
			continue
		}
		for name, k := range s.fam.secretVars {
			if strings.Contains(a.val, "$"+name) || strings.Contains(a.val, "${"+name) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// metadata endpoints as 32-bit IPv4 addresses.
var metadataIPv4 = map[uint32]bool{
	0xA9FEA9FE: true, // 169.254.169.254 (AWS, Azure, GCP, OpenStack, ...)
	0xA9FEAA02: true, // 169.254.170.2 (ECS task credentials)
	0x646464C8: true, // 100.100.100.200 (Alibaba)
	0xC00000C0: true, // 192.0.0.192 (Oracle)
}

// metadataIPv6 is the EC2 metadata endpoint's IPv6 address.
var metadataIPv6 = net.ParseIP("fd00:ec2::254")

var metadataNames = map[string]bool{
	"metadata": true, "metadata.google.internal": true, "instance-data": true, "instance-data.ec2.internal": true,
	"metadata.azure.internal": true, "metadata.tencentyun.com": true,
}

// metadataURL reports a URL or host whose host is a cloud metadata
// endpoint, in any spelling an IPv4 parser accepts (2852039166,
// 0xa9fea9fe, 0251.0376.0251.0376, 169.254.43518, 0xA9.0xFE.0xA9.0xFE)
// or as an IPv6 address.
func metadataURL(v string) bool {
	if len(v) < 7 || len(v) > 2048 {
		return false
	}
	host := v
	if _, after, ok := strings.Cut(v, "://"); ok {
		host = after
	} else if strings.HasPrefix(v, "-") {
		return false
	}
	if at := strings.LastIndexByte(strings.SplitN(host, "/", 2)[0], '@'); at >= 0 {
		host = host[at+1:]
	}
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return false
		}
		ip := net.ParseIP(host[1:end])
		if ip == nil {
			return false
		}
		if v4 := ip.To4(); v4 != nil {
			return metadataIPv4[uint32(v4[0])<<24|uint32(v4[1])<<16|uint32(v4[2])<<8|uint32(v4[3])]
		}
		return ip.Equal(metadataIPv6)
	}
	if i := strings.IndexAny(host, "/:?#"); i >= 0 {
		host = host[:i]
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if metadataNames[host] {
		return v != host || host != "metadata" // a bare word "metadata" is not a URL
	}
	if !strings.Contains(v, "://") && !strings.Contains(host, ".") {
		return false // a bare number is a URL only with a scheme
	}
	n, ok := parseInetAton(host)
	return ok && metadataIPv4[n]
}

// parseInetAton parses an IPv4 address as inet_aton does: one to four
// parts, each decimal, octal (leading 0) or hexadecimal (0x).
func parseInetAton(h string) (uint32, bool) {
	if h == "" || len(h) > 64 {
		return 0, false
	}
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return 0, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return 0, false
		}
		n, err := strconv.ParseUint(p, 0, 32)
		if err != nil {
			if strings.HasPrefix(p, "0") && len(p) > 1 && !strings.HasPrefix(p, "0x") && !strings.HasPrefix(p, "0X") {
				n, err = strconv.ParseUint(p[1:], 8, 32)
			}
			if err != nil {
				return 0, false
			}
		}
		vals[i] = n
	}
	var out uint64
	switch len(vals) {
	case 1:
		out = vals[0]
	case 2:
		if vals[0] > 255 || vals[1] > 0xFFFFFF {
			return 0, false
		}
		out = vals[0]<<24 | vals[1]
	case 3:
		if vals[0] > 255 || vals[1] > 255 || vals[2] > 0xFFFF {
			return 0, false
		}
		out = vals[0]<<24 | vals[1]<<16 | vals[2]
	case 4:
		for _, x := range vals {
			if x > 255 {
				return 0, false
			}
		}
		out = vals[0]<<24 | vals[1]<<16 | vals[2]<<8 | vals[3]
	}
	return uint32(out), out <= 0xFFFFFFFF
}
