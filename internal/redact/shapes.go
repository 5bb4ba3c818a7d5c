package redact

import (
	"bytes"
	"strings"
)

// tokenOnly reports whether b is made of token bytes only.
func tokenOnly(b []byte) bool {
	for _, c := range b {
		if classes[c]&cTok == 0 {
			return false
		}
	}
	return true
}

// awsSecretByte is a byte of an AWS secret access key.
func awsSecretByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '/' || c == '+'
}

// findAWSSecret finds a 40-character secret access key on a line that
// also has an access key id: a run of exactly 40 base64 bytes, mixed and
// not hexadecimal (a SHA-1 is 40 hex digits). The detector's lits
// already require the access key id on the line.
func findAWSSecret(text []byte, _ bool, add func(match)) {
	for i := 0; i < len(text); {
		if !awsSecretByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && awsSecretByte(text[j]) {
			j++
		}
		if j-i == 40 && (i == 0 || text[i-1] != '=' && text[i-1] != '-' && text[i-1] != '_' && text[i-1] != '.') &&
			(j == len(text) || text[j] != '=' && text[j] != '-' && text[j] != '_' && text[j] != '.') {
			v := text[i:j]
			if mixed(v) && !isHex(v) && !isDotted(v) {
				add(match{s: i, e: j, cs: i, ce: j})
			}
		}
		i = j
	}
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) && !(c|0x20 >= 'a' && c|0x20 <= 'f') {
			return false
		}
	}
	return true
}

// wordAt returns the end of the non-blank word that starts at i.
func wordAt(text []byte, i int) int {
	for i < len(text) && text[i] != ' ' && text[i] != '\t' {
		i++
	}
	return i
}

// cliValue returns the value that starts at i: quoted (the text between
// the quotes) or up to the next blank.
func cliValue(text []byte, i int) (s, e int, ok bool) {
	if i >= len(text) {
		return 0, 0, false
	}
	if q := text[i]; q == '\'' || q == '"' {
		end := closingQuote(text, i+1, q)
		if end == len(text) || end == i+1 {
			return 0, 0, false
		}
		return i + 1, end, true
	}
	e = wordAt(text, i)
	if e == i || plainValue(text[i:e]) {
		return 0, 0, false
	}
	return i, e, true
}

// findCLIPassword masks mysql -pPASS (glued to the flag; a bare -p asks
// for it) and sshpass -p PASS.
func findCLIPassword(text []byte, _ bool, add func(match)) {
	ssh := bytes.Index(text, []byte("sshpass"))
	for off := 0; ; {
		k := bytes.Index(text[off:], []byte(" -p"))
		if k < 0 {
			return
		}
		p := off + k + 3
		off = p
		switch {
		case afterSSHPass(text, ssh, p) && p < len(text) && (text[p] == ' ' || text[p] == '\t'):
			i := p
			for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
				i++
			}
			if s, e, ok := cliValue(text, i); ok {
				add(match{s: s, e: e, cs: p - 3, ce: e})
			}
		case p < len(text) && (classes[text[p]]&cWord != 0 || text[p] == '\'' || text[p] == '"') &&
			(mysqlBefore(text[:p]) || afterSSHPass(text, ssh, p)):
			if s, e, ok := cliValue(text, p); ok {
				add(match{s: s, e: e, cs: p - 3, ce: e})
			}
		}
	}
}

// afterSSHPass reports whether the flag that ends at p follows sshpass.
func afterSSHPass(text []byte, ssh, p int) bool {
	return ssh >= 0 && bytes.HasSuffix(bytes.TrimRight(text[:p-3], " \t"), []byte("sshpass"))
}

// mysqlBefore reports whether a MySQL or MariaDB client is named before
// the flag.
func mysqlBefore(b []byte) bool {
	return bytes.Contains(b, []byte("mysql")) || bytes.Contains(b, []byte("mariadb"))
}

// findNetrc masks .netrc passwords: "password PASS" after "machine" or
// "default" on the line, or alone on its line.
func findNetrc(text []byte, _ bool, add func(match)) {
	for off := 0; ; {
		k := bytes.Index(text[off:], []byte("password"))
		if k < 0 {
			return
		}
		p := off + k
		off = p + 8
		if p > 0 && text[p-1] != ' ' && text[p-1] != '\t' || off >= len(text) || text[off] != ' ' && text[off] != '\t' {
			continue
		}
		i := off
		for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
		s, e, ok := cliValue(text, i)
		if !ok {
			continue
		}
		before := text[:p]
		netrc := hasWord(before, "machine ") || hasWord(before, "default ") ||
			lineStart(before) && len(bytes.TrimSpace(text[e:])) == 0
		if netrc {
			add(match{s: s, e: e, cs: p, ce: e})
			off = e
		}
	}
}

// cookieWords mark a cookie that holds a session or credential.
var cookieWords = []string{"sess", "sid", "token", "auth", "jwt", "login", "remember", "csrf", "xsrf", "key", "secret"}

// findCookies masks the values in Cookie and Set-Cookie headers that are
// sessions or credentials: a name that says so, or a random value of 16
// or more characters. Set-Cookie attributes (Path, Expires) are kept.
func findCookies(text []byte, _ bool, add func(match)) {
	h := headerValue(text, "set-cookie")
	set := h >= 0
	if !set {
		if h = headerValue(text, "cookie"); h < 0 {
			return
		}
	}
	for i := h; i < len(text); {
		for i < len(text) && (text[i] == ' ' || text[i] == ';') {
			i++
		}
		eq := i
		for eq < len(text) && text[eq] != '=' && text[eq] != ';' {
			eq++
		}
		if eq >= len(text) || text[eq] != '=' {
			if set {
				return
			}
			i = eq
			continue
		}
		e := eq + 1
		for e < len(text) && text[e] != ';' && text[e] != ' ' && text[e] != '"' && text[e] != '\'' {
			e++
		}
		name, v := strings.ToLower(string(text[i:eq])), text[eq+1:e]
		if len(v) > 0 && !plainValue(v) && (len(v) >= 16 && mixed(v) || cookieName(name) && len(v) >= 6) {
			add(match{s: eq + 1, e: e, cs: i, ce: e})
		}
		if set {
			return // the rest are attributes
		}
		i = e
	}
}

func cookieName(name string) bool {
	for _, w := range cookieWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// headerValue returns where the value of the header name (lower case)
// starts, when the line holds that header at its start or after a quote
// or blank (curl -H 'Cookie: ...'); -1 otherwise.
func headerValue(text []byte, name string) int {
	for i := 0; i+len(name) < len(text); i++ {
		if text[i]|0x20 != name[0] || !foldPrefix(text[i:], name) || text[i+len(name)] != ':' {
			continue
		}
		if i > 0 && strings.IndexByte(" \t\"'", text[i-1]) < 0 {
			continue
		}
		return i + len(name) + 1
	}
	return -1
}

// hasWord reports whether w occurs in b at the start or after a blank.
func hasWord(b []byte, w string) bool {
	for off := 0; ; {
		k := bytes.Index(b[off:], []byte(w))
		if k < 0 {
			return false
		}
		if p := off + k; p == 0 || b[p-1] == ' ' || b[p-1] == '\t' {
			return true
		}
		off += k + 1
	}
}
