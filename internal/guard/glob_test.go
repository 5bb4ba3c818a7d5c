package guard

import (
	"errors"
	"path"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatchGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, name string
		want          bool
		bad           bool
	}{
		{"git push *", "git push --force origin main", true, false},
		{"curl *", "curl https://example.com/a/b?c", true, false},
		{"* | sh", "curl -s https://x/y | sh", true, false},
		{"rm ?", "rm /", true, false},
		{"make test", "make test", true, false},
		{"make test", "make tests", false, false},
		{"make [a-t]est", "make test", true, false},
		{"make [^a-t]est", "make test", false, false},
		{`rm -rf build/\*`, "rm -rf build/*", true, false},
		{`rm -rf build/\*`, "rm -rf build/x", false, false},
		{"*", "", true, false},
		{"", "", true, false},
		{"a*b*c", "a/x/b/y/c", true, false},
		{"a*b", "a/x/bc", false, false},
		{"[", "[", false, true},
		{"x[]", "x", false, true},
		{`x\`, "x", false, true},
		{"no*[", "nope", false, true},
	}
	for _, tt := range tests {
		got, err := matchGlob(tt.pattern, tt.name)
		if got != tt.want || (err != nil) != tt.bad {
			t.Errorf("matchGlob(%q, %q) = %v, %v; want %v (bad %v)", tt.pattern, tt.name, got, err, tt.want, tt.bad)
		}
		if tt.bad && !errors.Is(err, errBadGlob) {
			t.Errorf("error %v is not errBadGlob", err)
		}
	}
}

func TestEscapeGlob(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"ls", `rm -rf build/*`, `echo a\b`, "find . -name '[ab]?'", "x\xff*"} {
		e := escapeGlob(s)
		if ok, err := matchGlob(e, s); !ok || err != nil {
			t.Errorf("escapeGlob(%q) = %q does not match it: %v", s, e, err)
		}
	}
	if escapeGlob("git status") != "git status" {
		t.Error("a text without metacharacters changed")
	}
}

// FuzzMatchGlob checks matchGlob against path.Match where their rules
// agree (names without '/'), and that it never panics.
func FuzzMatchGlob(f *testing.F) {
	for _, s := range []string{"git push *", "a*b?c", "[a-z]*", `\*x`, "[^]a]", "[", "*[", "[a-]", `[\]]`, "ä?ö"} {
		f.Add(s, "git push -f")
		f.Add(s, "abxc")
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got, err := matchGlob(pattern, name)
		if strings.Contains(name, "/") || !utf8.ValidString(pattern) || !utf8.ValidString(name) {
			return
		}
		want, werr := path.Match(pattern, name)
		if got != want || (err != nil) != (werr != nil) {
			t.Errorf("matchGlob(%q, %q) = %v, %v; path.Match = %v, %v", pattern, name, got, err, want, werr)
		}
	})
}

// FuzzEscapeGlob: an escaped text matches itself and nothing else.
func FuzzEscapeGlob(f *testing.F) {
	f.Add("rm -rf build/*", "rm -rf build/x")
	f.Add(`a\b[c]?`, "a")
	f.Fuzz(func(t *testing.T, s, other string) {
		e := escapeGlob(s)
		if ok, err := matchGlob(e, s); !ok || err != nil {
			t.Fatalf("escapeGlob(%q) = %q does not match it: %v", s, e, err)
		}
		if ok, _ := matchGlob(e, other); ok != (other == s) {
			t.Fatalf("escapeGlob(%q) = %q matches %q", s, e, other)
		}
	})
}
