package sandbox

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// dirPunct is the punctuation a working directory may hold besides letters
// and digits (security layer 7).
const dirPunct = `/\:_-.~ +@=,`

// ValidateDir checks a working directory before it reaches a shell or a
// sandbox's command line and returns it cleaned: absolute, or relative to
// home when it starts with ~/ (or is ~); only letters, digits and
// /\:_-.~ +@=, ; no control characters. The error names the first character
// it refuses. Callers still shell-quote the result.
func ValidateDir(p, home string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("working directory is empty; give an absolute path or one under ~/")
	}
	if !utf8.ValidString(p) {
		return "", fmt.Errorf("working directory %q is not valid UTF-8", p)
	}
	for i, r := range p {
		switch {
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return "", fmt.Errorf("working directory %q: control character U+%04X at byte %d is not allowed", p, r, i)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(dirPunct, r):
		default:
			return "", fmt.Errorf("working directory %q: character %q at byte %d is not allowed (letters, digits and %s only)", p, r, i, dirPunct)
		}
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home == "" || !filepath.IsAbs(home) {
			return "", fmt.Errorf("working directory %q is relative to the home directory, which is unknown", p)
		}
		h, err := ValidateDir(home, "")
		if err != nil {
			return "", fmt.Errorf("home directory: %w", err)
		}
		p = h + p[1:]
	} else if strings.HasPrefix(p, "~") {
		return "", fmt.Errorf("working directory %q: only ~/ (your own home) is supported, not ~user", p)
	}
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("working directory %q is relative; use an absolute path or one under ~/", p)
	}
	return filepath.Clean(p), nil
}
