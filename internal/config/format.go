package config

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

var (
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	keyNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
)

// IsEnvName reports whether name is an environment variable name a shell
// can carry: letters, digits and _, not starting with a digit. Every
// package that writes `export NAME=...` or reads ${NAME} checks with it.
func IsEnvName(name string) bool { return envNameRE.MatchString(name) }

// checkFormat validates s against a format tag and returns what is wrong,
// or "" when it is fine. An empty value is always fine: it means unset.
func checkFormat(format, s string) string {
	if format == "" || s == "" {
		return ""
	}
	switch format {
	case "envname":
		if !envNameRE.MatchString(s) {
			return fmt.Sprintf("want a variable name (letters, digits and _, not starting with a digit), got %q", s)
		}
	case "keyname":
		if !keyNameRE.MatchString(s) {
			return fmt.Sprintf("want a name of letters, digits, _ and - (at most 64, starting with a letter or digit), got %q", s)
		}
	case "url":
		return checkURL(s)
	case "hostport":
		return checkHostPort(s)
	case "timezone":
		if _, err := time.LoadLocation(s); err != nil {
			return fmt.Sprintf("want an IANA time zone such as Europe/Berlin or UTC, got %q", s)
		}
	case "cwd":
		return CheckWorkdir(s)
	case "glob":
		if _, err := path.Match(s, ""); err != nil {
			return fmt.Sprintf("bad glob %q: %v", s, err)
		}
	default:
		panic("config: unknown format " + format)
	}
	return ""
}

func checkURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("want an http:// or https:// URL, got %q", s)
	}
	if u.User != nil {
		return "a URL must not carry a user or password; put the secret in .env and name it with key_env"
	}
	return ""
}

func checkHostPort(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("want host:port such as 127.0.0.1:8642, got %q", s)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("want a port from 0 to 65535 in %q", s)
	}
	if host == "" {
		return fmt.Sprintf("want an explicit host in %q (0.0.0.0 to listen everywhere, 127.0.0.1 for this machine only)", s)
	}
	return ""
}

// CheckWorkdir validates a working directory as layer 7 of the security
// model asks: absolute or home-relative (~/...), made only of letters,
// digits and / \ : _ - . ~ space + @ = , and without control characters.
// It returns what is wrong, or "".
func CheckWorkdir(s string) string {
	if !strings.HasPrefix(s, "/") && s != "~" && !strings.HasPrefix(s, "~/") {
		return fmt.Sprintf("want an absolute path or one starting with ~/, got %q", s)
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return fmt.Sprintf("control character %U in %q", r, s)
		case unicode.IsLetter(r), unicode.IsDigit(r), strings.ContainsRune(`/\:_-.~ +@=,`, r):
		default:
			return fmt.Sprintf("character %q is not allowed in a working directory (letters, digits and /\\:_-.~ +@=, are)", r)
		}
	}
	for _, part := range strings.Split(s, "/") {
		if part == ".." {
			return fmt.Sprintf("want a path without .. components, got %q", s)
		}
	}
	return ""
}
