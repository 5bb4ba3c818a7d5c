package file

import (
	"strings"
	"testing"
)

// FuzzPlanPatch checks the matcher's invariants on any input: edits stay
// inside the content, in order and apart; a unique exact occurrence is
// replaced exactly; a fuzzy match covers lines equal to old_string once
// whitespace is folded.
func FuzzPlanPatch(f *testing.F) {
	f.Add(goSrc, "if x > 0 {\n    println(\"pos\")\n}", "if y {\n  z\n}", false)
	f.Add("a  \r\nb\t\r\nc\r\n", "a\nb\n", "A\nB\n", false)
	f.Add("x = 1\ny = 1\n", "1", "2", true)
	f.Add("f(a,  b)\nf(a, b)\n", "f(a, b)", "g()", false)
	f.Add("\n\n", "\n", "x", false)
	f.Fuzz(func(t *testing.T, content, old, new string, all bool) {
		edits, fuzzy, err := planPatch(content, old, new, all)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		prev := 0
		for _, e := range edits {
			if e.start < prev || e.end < e.start || e.end > len(content) {
				t.Fatalf("bad edit %+v (prev %d, len %d)", e, prev, len(content))
			}
			prev = e.end
		}
		got := apply(content, edits)
		if !fuzzy {
			n := strings.Count(content, old)
			if !all && n == 1 && got != strings.Replace(content, old, new, 1) {
				t.Fatalf("exact replace differs: %q", got)
			}
			if all && got != strings.ReplaceAll(content, old, new) {
				t.Fatalf("replace_all differs: %q", got)
			}
		} else {
			if len(edits) != 1 {
				t.Fatalf("fuzzy gave %d edits", len(edits))
			}
			region, _, _ := trimBlank(splitText(content[edits[0].start:edits[0].end]))
			want, _, _ := trimBlank(splitText(old))
			if len(region) != len(want) {
				t.Fatalf("fuzzy region %q for %q", region, want)
			}
			for i := range want {
				if norm(region[i]) != norm(want[i]) {
					t.Fatalf("fuzzy line %d: %q vs %q", i, region[i], want[i])
				}
			}
		}
		_ = unifiedDiff("f", content, edits)
	})
}

// FuzzFoldEqual checks the allocation-free comparison against norm.
func FuzzFoldEqual(f *testing.F) {
	f.Add("  a \t b  ", "a b")
	f.Add("\u00a0x", "x")
	f.Fuzz(func(t *testing.T, s, w string) {
		for _, want := range []string{w, norm(w), norm(s)} {
			if got := foldEqual(s, want); got != (norm(s) == want) {
				t.Fatalf("foldEqual(%q, %q) = %v", s, want, got)
			}
		}
	})
}

// FuzzParseGitignore checks that any .gitignore parses and matches without
// panicking, and that a negated rule undoes its pattern.
func FuzzParseGitignore(f *testing.F) {
	f.Add("*.log\n!keep.log\nbuild/\n/root.txt\n**/deep/**\n[a-c]?.tmp\n\\#x\n", "dir/keep.log")
	f.Add("[", "[")
	f.Add("a/**/b", "a/x/y/b")
	f.Fuzz(func(t *testing.T, data, path string) {
		rules := parseGitignore(data)
		ignored(rules, path, false)
		ignored(rules, path, true)
	})
}

// FuzzParseRgLine checks that any line of ripgrep output decodes safely.
func FuzzParseRgLine(f *testing.F) {
	f.Add(`{"type":"match","data":{"path":{"text":"a.go"},"lines":{"text":"x\n"},"line_number":3}}`)
	f.Add(`{"type":"match","data":{"path":{"bytes":"/w=="},"lines":{"bytes":"eA=="},"line_number":1}}`)
	f.Add(`{"type":"begin"}`)
	f.Fuzz(func(t *testing.T, line string) {
		if m, ok := parseRgLine([]byte(line)); ok && m.line < 1 {
			t.Fatalf("line %d accepted", m.line)
		}
	})
}
