package guard

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// errBadGlob is a malformed glob in approvals.deny or command_allowlist.
var errBadGlob = errors.New("malformed glob: check [ ] classes and trailing backslashes")

// matchGlob reports whether name matches the shell glob pattern. The
// syntax is path.Match's (the config loader validates globs with it):
// `*` any run of characters, `?` one character, `[a-z]` and `[^a-z]`
// classes, `\` escapes. Unlike path.Match, `*` and `?` also match `/`,
// because commands are not paths: "curl *" must match "curl https://x/y".
// A malformed pattern matches nothing and returns errBadGlob.
func matchGlob(pattern, name string) (bool, error) {
Pattern:
	for len(pattern) > 0 {
		var star bool
		var chunk string
		star, chunk, pattern = scanChunk(pattern)
		if star && chunk == "" {
			return true, nil // a trailing star matches the rest
		}
		t, ok, err := matchChunk(chunk, name)
		if ok && (len(t) == 0 || len(pattern) > 0) {
			name = t
			continue
		}
		if err != nil {
			return false, err
		}
		if star {
			for i := 0; i < len(name); i++ {
				t, ok, err := matchChunk(chunk, name[i+1:])
				if ok {
					if len(pattern) == 0 && len(t) > 0 {
						continue // the last chunk must exhaust name
					}
					name = t
					continue Pattern
				}
				if err != nil {
					return false, err
				}
			}
		}
		// No match: still report a malformed remainder.
		for len(pattern) > 0 {
			_, chunk, pattern = scanChunk(pattern)
			if _, _, err := matchChunk(chunk, ""); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	return len(name) == 0, nil
}

// scanChunk splits off the next run of non-star pattern, noting whether
// stars preceded it.
func scanChunk(pattern string) (star bool, chunk, rest string) {
	for len(pattern) > 0 && pattern[0] == '*' {
		pattern = pattern[1:]
		star = true
	}
	inrange := false
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			if i+1 < len(pattern) {
				i++
			}
		case '[':
			inrange = true
		case ']':
			inrange = false
		case '*':
			if !inrange {
				return star, pattern[:i], pattern[i:]
			}
		}
	}
	return star, pattern, ""
}

// matchChunk matches a star-free chunk against the start of s and returns
// the rest of s. After a mismatch it keeps parsing chunk so malformed
// patterns are always reported.
func matchChunk(chunk, s string) (rest string, ok bool, err error) {
	failed := false
	for len(chunk) > 0 {
		failed = failed || len(s) == 0
		switch chunk[0] {
		case '[':
			var r rune
			if !failed {
				var n int
				r, n = utf8.DecodeRuneInString(s)
				s = s[n:]
			}
			var match bool
			if match, chunk, err = matchClass(chunk[1:], r); err != nil {
				return "", false, err
			}
			failed = failed || !match
		case '?':
			if !failed {
				_, n := utf8.DecodeRuneInString(s)
				s = s[n:]
			}
			chunk = chunk[1:]
		case '\\':
			chunk = chunk[1:]
			if len(chunk) == 0 {
				return "", false, errBadGlob
			}
			fallthrough
		default:
			if !failed {
				failed = chunk[0] != s[0]
				s = s[1:]
			}
			chunk = chunk[1:]
		}
	}
	if failed {
		return "", false, nil
	}
	return s, true, nil
}

// matchClass parses a class body (after the '[') and reports whether r is
// in it, returning the chunk after the closing ']'.
func matchClass(chunk string, r rune) (bool, string, error) {
	negated := false
	if len(chunk) > 0 && chunk[0] == '^' {
		negated = true
		chunk = chunk[1:]
	}
	match, nrange := false, 0
	for {
		if len(chunk) > 0 && chunk[0] == ']' && nrange > 0 {
			return match != negated, chunk[1:], nil
		}
		lo, next, err := classChar(chunk)
		if err != nil {
			return false, "", err
		}
		chunk = next
		hi := lo
		if chunk[0] == '-' {
			if hi, chunk, err = classChar(chunk[1:]); err != nil {
				return false, "", err
			}
		}
		match = match || lo <= r && r <= hi
		nrange++
	}
}

// classChar reads one possibly escaped character of a class; it must be
// followed by more of the class.
func classChar(chunk string) (rune, string, error) {
	if len(chunk) == 0 || chunk[0] == '-' || chunk[0] == ']' {
		return 0, "", errBadGlob
	}
	if chunk[0] == '\\' {
		chunk = chunk[1:]
		if len(chunk) == 0 {
			return 0, "", errBadGlob
		}
	}
	r, n := utf8.DecodeRuneInString(chunk)
	if (r == utf8.RuneError && n == 1) || len(chunk) == n {
		return 0, "", errBadGlob
	}
	return r, chunk[n:], nil
}

// escapeGlob quotes the glob metacharacters of s, so the result matches
// exactly s. An "always" answer stores the command this way: the entry
// `rm -rf build/\*` allows that command and not `rm -rf build/ ~`.
func escapeGlob(s string) string {
	if !strings.ContainsAny(s, `*?[\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(`*?[\`, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
