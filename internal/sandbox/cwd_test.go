package sandbox

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

func TestValidateDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, home, want string
		err            string // substring of the error; "" means ok
	}{
		{in: "/srv/project", want: "/srv/project"},
		{in: "/srv/a/../b/./c/", want: "/srv/b/c"},
		{in: "/data/My Files+x@y=z,w~v:u\\t", want: "/data/My Files+x@y=z,w~v:u\\t"},
		{in: "/home/zoë/日本", want: "/home/zoë/日本"},
		{in: "~", home: "/root", want: "/root"},
		{in: "~/work", home: "/home/u", want: "/home/u/work"},
		{in: "~/work", err: "home directory, which is unknown"},
		{in: "~bob/x", home: "/home/u", err: "not ~user"},
		{in: "", err: "empty"},
		{in: "relative/dir", err: "relative"},
		{in: "/tmp/$(id)", err: `character '$' at byte 5`},
		{in: "/tmp/a;b", err: `character ';'`},
		{in: "/tmp/a`b`", err: "character '`'"},
		{in: "/tmp/a|b", err: "character '|'"},
		{in: "/tmp/a'b", err: `character '\''`},
		{in: "/tmp/a\"b", err: `character '"'`},
		{in: "/tmp/a*b", err: "character '*'"},
		{in: "/tmp/a\nb", err: "control character U+000A at byte 6"},
		{in: "/tmp/a\x00b", err: "control character U+0000"},
		{in: "/tmp/a\x1b[31m", err: "control character U+001B"},
		{in: "/tmp/a\u200bb", err: "control character U+200B"},
		{in: "/tmp/a\u202eb", err: "control character U+202E"},
		{in: "/tmp/\xff", err: "not valid UTF-8"},
		{in: "~/x", home: "rel", err: "unknown"},
	}
	for _, tt := range tests {
		got, err := ValidateDir(tt.in, tt.home)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ValidateDir(%q, %q) = %q, %v; want error containing %q", tt.in, tt.home, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ValidateDir(%q, %q) = %q, %v; want %q", tt.in, tt.home, got, err, tt.want)
		}
	}
}

func FuzzValidateDir(f *testing.F) {
	for _, s := range []string{"/a/b", "~/x", "/tmp/$(id)", "/a\nb", "../..", "/a/./../b", "~", "/日本/x y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := ValidateDir(p, "/home/u")
		if err != nil {
			return
		}
		if !filepath.IsAbs(got) || filepath.Clean(got) != got {
			t.Fatalf("ValidateDir(%q) = %q: not absolute and clean", p, got)
		}
		for _, r := range got {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(dirPunct, r) {
				t.Fatalf("ValidateDir(%q) = %q keeps %q", p, got, r)
			}
		}
		if again, err := ValidateDir(got, "/home/u"); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", p, got, again, err)
		}
	})
}
