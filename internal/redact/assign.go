package redact

import (
	"bytes"
	"strings"
)

// secretWords are name words that mark a secret; secretSuffixes catch
// glued words such as "accesstoken" or "dbpassword".
var (
	secretWords = setOf("key", "apikey", "token", "secret", "secrets", "password", "passwd", "pwd",
		"passphrase", "credential", "credentials", "creds", "auth", "authorization", "signature")
	secretSuffixes = []string{"token", "secret", "password", "passwd", "apikey", "privatekey", "secretkey", "accesskey", "authkey"}
	// A name ending in one of these describes a secret without holding it:
	// password_hint, KEY_FILE, token_url, max_tokens_limit, AUTH_USER.
	describingTails = setOf("hint", "prompt", "label", "field", "fields", "name", "names", "file", "filename",
		"path", "dir", "url", "uri", "endpoint", "host", "len", "length", "count", "type", "id", "ids", "env",
		"var", "header", "policy", "mode", "format", "kind", "limit", "expiry", "expires", "expiration", "ttl",
		"usage", "required", "enabled", "disabled", "prefix", "suffix", "pattern", "regex", "min", "max", "size",
		"config", "cmd", "command", "helper", "method", "provider", "source", "ref", "index", "timeout",
		"duration", "rotation", "store", "version", "style", "scheme", "algorithm", "alg", "fingerprint",
		"user", "username", "login", "email", "parallelism", "mismatch", "error", "err", "sock", "socket")
	// Values that are plainly not secrets.
	plainValues = setOf("true", "false", "yes", "no", "on", "off", "none", "null", "nil", "undefined",
		"required", "optional", "enabled", "disabled", "str", "string", "bytes", "int", "bool", "any", "object",
		"redacted", "hidden", "masked", "~")
	authSchemes = []string{"bearer", "basic", "token", "bot", "digest", "apikey", "sso-key", "key"}
	// A name whose only secret word is "key" and that has one of these
	// words names a database, cache or public key, not a secret:
	// primary_key, sort_key, cache_key, public_key.
	keyQualifiers = setOf("public", "pub", "primary", "foreign", "sort", "cache", "partition", "hash", "range",
		"unique", "composite", "surrogate", "natural", "idempotency", "lookup", "map", "dict", "group", "shard",
		"routing", "row", "column", "object", "i18n", "translation", "message", "sorting", "dedup", "dedupe",
		"order", "ordering", "index", "cluster", "clustering", "distribution", "dist", "join", "parent", "child",
		"hotkey", "shortcut", "keyboard", "hot", "react", "list", "item", "query", "foreign_key", "fk", "pk")
	// Public key algorithms: a value starting with one is a public key.
	publicKeyPrefixes = []string{"ssh-ed25519 ", "ssh-rsa ", "ssh-dss ", "ecdsa-sha2-", "sk-ssh-ed25519@", "sk-ecdsa-sha2-"}
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// secretName reports whether an assignment's name says it holds a secret.
func secretName(name []byte) bool {
	if !hasKeyword(name) {
		return false
	}
	var lb [128]byte
	lower := append(lb[:0], name...)
	for i, c := range lower {
		if c >= 'A' && c <= 'Z' {
			lower[i] = c + 'a' - 'A'
		}
	}
	if string(lower) == "pwd" || string(lower) == "oldpwd" {
		return false // the shell's working directories
	}
	var wb [16][2]int
	words := splitWords(name, wb[:0])
	if len(words) == 0 {
		return false
	}
	if last := words[len(words)-1]; describingTails[string(lower[last[0]:last[1]])] {
		return false
	}
	secret, strong, qualified := false, false, false
	for _, w := range words {
		word := lower[w[0]:w[1]]
		if keyQualifiers[string(word)] {
			qualified = true
		}
		if secretWords[string(word)] {
			secret = true
			strong = strong || string(word) != "key"
			continue
		}
		for _, s := range secretSuffixes {
			if bytes.HasSuffix(word, []byte(s)) {
				secret, strong = true, true
			}
		}
	}
	return secret && (strong || !qualified)
}

func hasKeyword(b []byte) bool {
	for i := range b {
		if classes[b[i]]&cKw != 0 && keywordAt(b[i:]) {
			return true
		}
	}
	return false
}

// splitWords appends the bounds of name's words to dst: it splits at
// punctuation and at camelCase boundaries, so "X-Api-Key" and "xApiKey"
// are both x, api, key.
func splitWords(name []byte, dst [][2]int) [][2]int {
	start := -1
	isUp := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	isLo := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	for i := 0; i <= len(name); i++ {
		if i == len(name) || !isUp(name[i]) && !isLo(name[i]) {
			if start >= 0 {
				dst = append(dst, [2]int{start, i})
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		// a new word at aB, and at the B of ABc
		if isUp(name[i]) && (isLo(name[i-1]) || i+1 < len(name) && isLo(name[i+1]) && isUp(name[i-1])) {
			dst = append(dst, [2]int{start, i})
			start = i
		}
	}
	return dst
}

// findAssignments masks the values of secret-named assignments: KEY=v,
// KEY: v, "key": v, 'key' => v, key := v. It looks only at the '=' and ':'
// bytes of text and walks back to the name, so it is linear in the line.
// cont is set when text continues a line (a window of a long one).
func findAssignments(text []byte, cont bool, add func(match)) {
	for j := 0; j < len(text); j++ {
		c := text[j]
		if c != '=' && c != ':' {
			continue
		}
		sepEnd := j + 1
		switch {
		case c == ':' && sepEnd < len(text) && text[sepEnd] == '=', c == '=' && sepEnd < len(text) && text[sepEnd] == '>':
			sepEnd++
		case c == '=' && j > 0 && strings.IndexByte("=!<>:+-*/%&|^", text[j-1]) >= 0:
			continue // the second half of := or a comparison
		}
		k := j
		for k > 0 && (text[k-1] == ' ' || text[k-1] == '\t') {
			k--
		}
		spaced := k < j
		quotedName := k > 0 && (text[k-1] == '"' || text[k-1] == '\'')
		if quotedName {
			k--
		}
		ne := k
		for k > 0 && nameByte(text[k-1]) {
			k--
		}
		if bytes.Contains(text[k:ne], []byte("...")) {
			continue // an earlier mask ("abc123...9xyz"), not a name
		}
		for k < ne && !(text[k] == '_' || text[k]|0x20 >= 'a' && text[k]|0x20 <= 'z') {
			k++
		}
		ns := k
		if ns == ne || ns > 0 && (text[ns-1] == '?' || text[ns-1] == '&' || text[ns-1] == '$') {
			continue // no name, a query parameter (the query detector's) or a $VAR
		}
		if !secretName(text[ns:ne]) {
			continue
		}
		i := sepEnd
		for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
		if foldEqual(text[ns:ne], "key") && lettersOnly(text[i:valueEnd(text, i)]) {
			continue // key: value, a map's key and not a secret
		}
		env := c == '=' && sepEnd == j+1 && !spaced && !quotedName && envName(text[ns:ne]) && !cont && lineStart(text[:ns])
		if m, ok := assignedValue(text, i, quotedName, spaced, env); ok {
			m.cs = ns
			add(m)
			j = max(j, m.e-1)
		}
	}
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// lineStart reports whether a name begins its line, as in env's output
// or a .env file: only blanks or "export " before it.
func lineStart(before []byte) bool {
	before = bytes.TrimLeft(before, " \t")
	return len(before) == 0 || string(before) == "export "
}

// envName reports an environment variable's name: upper case, digits and
// underscores.
func envName(name []byte) bool {
	for _, c := range name {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// assignedValue parses the value that starts at i and returns its secret
// part, or false when the value is empty or plainly not a secret. An
// unquoted value of an environment variable (env) runs to the end of the
// line, as in the output of env (when the name begins the line); other
// unquoted values end at a space.
func assignedValue(text []byte, i int, quotedName, spaced, env bool) (match, bool) {
	if i >= len(text) {
		return match{}, false
	}
	if q := text[i]; q == '"' || q == '\'' || q == '`' {
		end := closingQuote(text, i+1, q)
		if end == len(text) {
			return match{}, false // unclosed: code such as f("Password: ")
		}
		s, e := skipScheme(text, i+1, end, true)
		v := text[s:e]
		if len(v) == 0 || plainValue(v) {
			return match{}, false
		}
		return match{s: s, e: e, ce: min(end+1, len(text))}, true
	}
	if text[i] == '=' {
		return match{}, false // a comparison: token == x
	}
	if env {
		e := i
		for e < len(text) && text[e] != '"' && text[e] != '\'' && (text[e] >= 0x20 || text[e] == '\t') {
			e++
		}
		for e > i && (text[e-1] == ' ' || text[e-1] == '\t') {
			e--
		}
		if e == i || plainValue(text[i:e]) || isCall(text[i:e]) {
			return match{}, false
		}
		return match{s: i, e: e, ce: e}, true
	}
	e := valueEnd(text, i)
	s, e := skipScheme(text, i, e, false)
	v := text[s:e]
	if len(v) == 0 || plainValue(v) || codeValue(text, s, e, quotedName, spaced) {
		return match{}, false
	}
	return match{s: s, e: e, ce: e}, true
}

// closingQuote returns the index of the quote that closes a value opened
// just before i, honouring backslash escapes; len(text) when unclosed.
func closingQuote(text []byte, i int, q byte) int {
	for ; i < len(text); i++ {
		switch text[i] {
		case '\\':
			if q != '\'' {
				i++
			}
		case q:
			return i
		}
	}
	return len(text)
}

// valueEnd returns the end of an unquoted value starting at i.
func valueEnd(text []byte, i int) int {
	for ; i < len(text); i++ {
		switch c := text[i]; c {
		case ' ', '\t', '"', '\'', '`', ',', ';', '}', ')', ']', '<', '>':
			return i
		case '&':
			if nextParam(text[i+1:]) {
				return i // a=b&name=c: the next form field
			}
		default:
			if c < 0x20 || c == 0x7f {
				return i
			}
		}
	}
	return i
}

// skipScheme moves past an auth scheme word ("Bearer ", "Basic ") so that
// only the credential is masked. An unquoted value then continues with the
// next word.
func skipScheme(text []byte, s, e int, quoted bool) (int, int) {
	for _, sc := range authSchemes {
		n := len(sc)
		if s+n >= len(text) || !foldPrefix(text[s:], sc) || text[s+n] != ' ' && text[s+n] != '\t' {
			continue
		}
		if quoted && s+n >= e {
			continue
		}
		t := s + n
		for t < len(text) && (text[t] == ' ' || text[t] == '\t') {
			t++
		}
		if quoted {
			return t, e
		}
		return t, valueEnd(text, t)
	}
	return s, e
}

func identStart(c byte) bool { return c == '_' || c|0x20 >= 'a' && c|0x20 <= 'z' }

// isNumber matches [+-]?[0-9][0-9._]*.
func isNumber(v []byte) bool {
	if len(v) > 0 && (v[0] == '+' || v[0] == '-') {
		v = v[1:]
	}
	if len(v) == 0 || !isDigit(v[0]) {
		return false
	}
	for _, c := range v {
		if !isDigit(c) && c != '.' && c != '_' {
			return false
		}
	}
	return true
}

// isReference matches $VAR, ${VAR}, $(cmd), %s-style verbs, {{ templates }},
// {} and <placeholders>.
func isReference(v []byte) bool {
	if len(v) < 2 {
		return false
	}
	switch v[0] {
	case '$':
		return identStart(v[1]) || v[1] == '{' || v[1] == '('
	case '%':
		return strings.IndexByte("sdvqwx(", v[1]) >= 0
	case '{':
		return v[1] == '{' || v[1] == '}'
	case '<':
		return v[1] == '%' || v[len(v)-1] == '>'
	}
	return false
}

// nextParam reports whether b starts with a form field name and '='.
func nextParam(b []byte) bool {
	n := 0
	for n < len(b) && n <= 32 && nameByte(b[n]) {
		n++
	}
	return n > 0 && n < len(b) && b[n] == '='
}

func foldEqual(b []byte, k string) bool { return len(b) == len(k) && foldPrefix(b, k) }

// isPath matches a file path (/etc/x.json, ~/.config/x, ./a/b) whose parts
// are not random tokens.
func isPath(v []byte) bool {
	switch {
	case len(v) > 1 && v[0] == '/', bytes.HasPrefix(v, []byte("~/")), bytes.HasPrefix(v, []byte("./")),
		bytes.HasPrefix(v, []byte("../")):
	default:
		return false
	}
	for _, c := range v {
		if !nameByte(c) && c != '/' && c != '~' {
			return false
		}
	}
	slash := bytes.LastIndexByte(v, '/')
	if bytes.Count(v, []byte("/")) < 2 && bytes.IndexByte(v[slash:], '.') < 0 {
		return false
	}
	for part := range bytes.SplitSeq(v, []byte("/")) {
		if len(part) >= 16 && mixed(part) {
			return false
		}
	}
	return true
}

// isPublicKey matches an OpenSSH public key: ssh-ed25519 AAAA...
func isPublicKey(v []byte) bool {
	for _, p := range publicKeyPrefixes {
		if len(v) >= len(p) && string(v[:len(p)]) == p || string(v) == strings.TrimSuffix(p, " ") {
			return true
		}
	}
	return false
}

// isCall matches an identifier or dotted path followed by ( or [.
func isCall(v []byte) bool {
	if len(v) == 0 || !identStart(v[0]) {
		return false
	}
	for _, c := range v[1:] {
		switch {
		case c == '(' || c == '[':
			return true
		case !wordByte(c) && c != '.':
			return false
		}
	}
	return false
}

// isDotted matches a.b.c where every part is an identifier.
func isDotted(v []byte) bool {
	parts := bytes.Split(v, []byte("."))
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 || !identStart(p[0]) {
			return false
		}
		for _, c := range p {
			if !wordByte(c) {
				return false
			}
		}
	}
	return true
}

func lettersOnly(v []byte) bool {
	for _, c := range v {
		if !identStart(c) {
			return false
		}
	}
	return len(v) > 0
}

// plainValue reports values that are not secrets wherever they appear:
// booleans, nulls, short numbers, references to variables and templates,
// repeated placeholder characters and earlier masks.
func plainValue(v []byte) bool {
	if len(v) <= 9 && plainValues[strings.ToLower(string(v))] || isMask(v) || isReference(v) || isPath(v) || isPublicKey(v) {
		return true
	}
	if len(v) < 6 && isNumber(v) {
		return true
	}
	return len(v) > 1 && bytes.Count(v, v[:1]) == len(v)
}

// codeValue reports unquoted values that read as code or prose rather than
// a literal: a call or index (lex(), os.environ[...]), a dotted path
// (cfg.APIKey), or a bare word when the assignment has code's spacing
// (token = value), a quoted name ({"token": token}), or more words after it.
func codeValue(text []byte, s, e int, quotedName, spaced bool) bool {
	v := text[s:e]
	if isCall(v) || isDotted(v) {
		return true
	}
	if !lettersOnly(v) {
		return false
	}
	if spaced || quotedName {
		return true
	}
	if e == len(text) {
		return false
	}
	switch text[e] {
	case ',', ')', '}', ';':
		return true // an argument or field: f(token), {Token: token}
	case ' ', '\t':
		rest := bytes.TrimLeft(text[e:], " \t")
		return len(rest) > 0 && rest[0] != '#' // more words: prose
	}
	return false
}
