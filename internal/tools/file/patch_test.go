package file

import (
	"path/filepath"
	"strings"
	"testing"
)

const goSrc = `package main

func main() {
	x := 1
	if x > 0 {
		println("pos")
	}
	println("done")
}
`

func TestPatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		args    obj // path is added
		want    []string
		file    string // the file after; "" means unchanged
		isError bool
	}{
		{"exact", goSrc, obj{"old_string": `println("done")`, "new_string": `println("end")`},
			[]string{"patched f.go: 1 replacement\n", "--- a/f.go\n+++ b/f.go\n@@ -5,5 +5,5 @@\n", "-\tprintln(\"done\")\n+\tprintln(\"end\")\n"},
			strings.Replace(goSrc, "done", "end", 1), false},
		{"delete", "a\nb\nc\n", obj{"old_string": "b\n", "new_string": ""},
			[]string{"@@ -1,3 +1,2 @@\n a\n-b\n c\n"}, "a\nc\n", false},
		{"replace all", "x = 1\ny = 1\nz = 2\n", obj{"old_string": "1", "new_string": "3", "replace_all": true},
			[]string{"2 replacements", "-x = 1\n-y = 1\n+x = 3\n+y = 3\n"}, "x = 3\ny = 3\nz = 2\n", false},
		{"ambiguous", "x = 1\ny = 1\nz = 1\n", obj{"old_string": "= 1", "new_string": "= 2"},
			[]string{"old_string matches 3 places (lines 1, 2, 3)", "set replace_all"}, "", true},
		{"fuzzy indentation", goSrc, obj{"old_string": "if x > 0 {\n    println(\"pos\")\n}", "new_string": "if x > 1 {\n    println(\"big\")\n}"},
			[]string{"matched ignoring whitespace", "+\tif x > 1 {\n+\t\tprintln(\"big\")\n+\t}\n"},
			strings.Replace(goSrc, "if x > 0 {\n\t\tprintln(\"pos\")", "if x > 1 {\n\t\tprintln(\"big\")", 1), false},
		{"fuzzy trailing spaces and crlf", "a  \r\nb\t\r\nc\r\n", obj{"old_string": "a\nb\n", "new_string": "A\nB\n"},
			[]string{"matched ignoring whitespace"}, "A\r\nB\r\nc\r\n", false},
		{"fuzzy ambiguous", "f(a,  b)\nf(a, b)\n", obj{"old_string": "f(a,   b)", "new_string": "g()"},
			[]string{"matches nowhere exactly and 2 places when whitespace is ignored (lines 1, 2)"}, "", true},
		{"not found shows closest", goSrc, obj{"old_string": "println(\"positive\")", "new_string": "x"},
			[]string{"old_string was not found in f.go; the closest text is at line 6", "     6→\t\tprintln(\"pos\")"}, "", true},
		{"not found nothing close", goSrc, obj{"old_string": "zzzzqqqq", "new_string": "x"},
			[]string{"nothing there resembles it"}, "", true},
		{"same strings", goSrc, obj{"old_string": "x", "new_string": "x"}, []string{"are the same"}, "", true},
		{"empty old", goSrc, obj{"old_string": "", "new_string": "x"}, []string{"old_string is missing or empty"}, "", true},
		{"missing new", goSrc, obj{"old_string": "x"}, []string{"new_string is missing"}, "", true},
		{"binary", "a\x00b", obj{"old_string": "a", "new_string": "b"}, []string{"binary file"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := testEnv(t)
			p := filepath.Join(env.Cwd, "f.go")
			writeTestFile(t, p, tt.content)
			tt.args["path"] = "f.go"
			m := call(t, env, Patch{}, tt.args)
			if m.IsError != tt.isError {
				t.Errorf("IsError = %v: %s", m.IsError, m.Content)
			}
			for _, w := range tt.want {
				if !strings.Contains(m.Content, w) {
					t.Errorf("missing %q in:\n%s", w, m.Content)
				}
			}
			want := tt.file
			if want == "" {
				want = tt.content
			}
			if got := readTestFile(t, p); got != want {
				t.Errorf("file:\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestPatchRefusals(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	for _, tt := range []struct{ path, want string }{
		{filepath.Join(env.Home, ".env"), "hermes home's .env"},
		{filepath.Join(env.Home, "config.yaml"), "hermes home's config.yaml"},
		{"missing.go", "missing.go does not exist"},
		{".", "is a directory"},
	} {
		m := call(t, env, Patch{}, obj{"path": tt.path, "old_string": "SECRET", "new_string": "X"})
		if !m.IsError || !strings.Contains(m.Content, tt.want) {
			t.Errorf("%s: %+v", tt.path, m)
		}
	}
	if got := readTestFile(t, filepath.Join(env.Home, ".env")); got != "SECRET=1\n" {
		t.Errorf(".env changed: %q", got)
	}
}

func TestUnifiedDiffHunks(t *testing.T) {
	t.Parallel()
	var lines []string
	for i := range 30 {
		lines = append(lines, "line "+string(rune('a'+i%26)))
	}
	content := strings.Join(lines, "\n") + "\n"
	// two edits far apart give two hunks; the second is shifted by the first
	edits := []edit{
		{strings.Index(content, "line b"), strings.Index(content, "line b") + 6, "B1\nB2"},
		{strings.Index(content, "line y"), strings.Index(content, "line y") + 6, "Y"},
	}
	d := unifiedDiff("f", content, edits)
	for _, w := range []string{"@@ -1,5 +1,6 @@\n line a\n-line b\n+B1\n+B2\n line c\n", "@@ -22,7 +23,7 @@\n line v\n"} {
		if !strings.Contains(d, w) {
			t.Errorf("missing %q in\n%s", w, d)
		}
	}
	if got := cutLines(strings.Repeat("x\n", 100), 10); !strings.HasSuffix(got, "[... 90 more diff lines]\n") {
		t.Errorf("cutLines: %q", got)
	}
}
