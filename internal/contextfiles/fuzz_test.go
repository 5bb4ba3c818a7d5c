package contextfiles

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzScanText checks that the scan never panics and that every finding is
// well formed: a known id, a line inside the text, a one-line valid UTF-8
// excerpt of bounded length, and no invisible character left raw.
func FuzzScanText(f *testing.F) {
	for _, cases := range positives {
		for _, c := range cases {
			f.Add(c)
		}
	}
	paths, _ := filepath.Glob("testdata/benign/*")
	for _, p := range paths[:min(len(paths), 8)] {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data))
		}
	}
	f.Add("\ufeff\ufeff")
	f.Add("ﬁ\u200b\xff\xfe<!--")
	var ids []string
	for _, p := range Patterns() {
		ids = append(ids, p.ID)
	}
	f.Fuzz(func(t *testing.T, text string) {
		findings := ScanText(text)
		lines := 1 + strings.Count(text, "\n")
		seen := map[string]bool{}
		for _, fd := range findings {
			if !slices.Contains(ids, fd.ID) || seen[fd.ID] {
				t.Fatalf("unknown or repeated id in %+v", findings)
			}
			seen[fd.ID] = true
			if fd.Line < 1 || fd.Line > lines {
				t.Fatalf("line %d outside 1..%d: %+v", fd.Line, lines, fd)
			}
			if !utf8.ValidString(fd.Excerpt) || strings.ContainsAny(fd.Excerpt, "\n\r") || utf8.RuneCountInString(fd.Excerpt) > excerptRunes*len("<U+XXXX>")+1 {
				t.Fatalf("bad excerpt %q", fd.Excerpt)
			}
			for _, r := range fd.Excerpt {
				if invisible(r) {
					t.Fatalf("raw invisible character in excerpt %q", fd.Excerpt)
				}
			}
		}
	})
}

// FuzzNormalize checks the offset map: every character boundary of the
// normalised text (the only offsets matches produce) maps inside the
// source, on a character boundary, monotonically.
func FuzzNormalize(f *testing.F) {
	f.Add("ｉｇｎｏｒｅ\u200b x")
	f.Add("ﬁ㎏\u00ad\u202e")
	f.Add("plain ascii")
	f.Fuzz(func(t *testing.T, src string) {
		n := normalize(src)
		prev := 0
		for off := 0; off <= len(n.text); off++ {
			if off < len(n.text) && !utf8.RuneStart(n.text[off]) {
				continue
			}
			p := n.orig(off)
			if p < 0 || p > len(src) || (p < len(src) && !utf8.RuneStart(src[p]) && utf8.ValidString(src)) {
				t.Fatalf("orig(%d) = %d in %q", off, p, src)
			}
			if p < prev {
				t.Fatalf("orig(%d) = %d < orig(%d) = %d in %q", off, p, off-1, prev, src)
			}
			prev = p
		}
	})
}
