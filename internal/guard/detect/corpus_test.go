package detect

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusOpts are the options every corpus line is scanned with.
var corpusOpts = Options{Home: "/home/alice", Cwd: "/home/alice/project", HermesHome: "/home/alice/.hermes"}

type corpusLine struct {
	line    int
	key     string // "" in files without keys
	command string
}

// readCorpus reads testdata/name: blank lines and # comments are skipped,
// ⏎ stands for a newline, and with keyed the line is key<TAB>command.
func readCorpus(t testing.TB, name string, keyed bool) []corpusLine {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		l := corpusLine{line: n}
		if keyed {
			k, cmd, ok := strings.Cut(text, "\t")
			if !ok {
				t.Fatalf("%s:%d: want key<TAB>command", name, n)
			}
			l.key, text = k, cmd
		}
		l.command = strings.ReplaceAll(text, "⏎", "\n")
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestHardlineCorpus(t *testing.T) {
	t.Parallel()
	for _, l := range readCorpus(t, "hardline.txt", true) {
		r := Scan(l.command, corpusOpts)
		if r.Unparseable != nil {
			t.Errorf("hardline.txt:%d %q: unparseable: %v", l.line, l.command, r.Unparseable)
			continue
		}
		if !r.Hardline() || !hasKey(r, l.key) {
			t.Errorf("hardline.txt:%d %q: got %v, want %s (hardline)", l.line, l.command, r.Keys(), l.key)
		}
	}
}

func TestDangerousCorpus(t *testing.T) {
	t.Parallel()
	for _, l := range readCorpus(t, "dangerous.txt", true) {
		r := Scan(l.command, corpusOpts)
		if r.Unparseable != nil {
			t.Errorf("dangerous.txt:%d %q: unparseable: %v", l.line, l.command, r.Unparseable)
			continue
		}
		if !hasKey(r, l.key) {
			t.Errorf("dangerous.txt:%d %q: got %v, want %s", l.line, l.command, r.Keys(), l.key)
		}
		if r.Hardline() {
			t.Errorf("dangerous.txt:%d %q: got hardline %v, want only dangerous", l.line, l.command, r.Keys())
		}
	}
}

func TestSafeCorpus(t *testing.T) {
	t.Parallel()
	lines := readCorpus(t, "safe.txt", false)
	if len(lines) < 300 {
		t.Fatalf("safe corpus has %d commands, want at least 300", len(lines))
	}
	for _, l := range lines {
		r := Scan(l.command, corpusOpts)
		if r.Unparseable != nil || len(r.Matches) > 0 {
			t.Errorf("safe.txt:%d %q: got %v (unparseable: %v), want no match", l.line, l.command, r.Keys(), r.Unparseable)
		}
	}
}

func TestUnparseableCorpus(t *testing.T) {
	t.Parallel()
	for _, l := range readCorpus(t, "unparseable.txt", false) {
		if r := Scan(l.command, corpusOpts); r.Unparseable == nil {
			t.Errorf("unparseable.txt:%d %q: parsed (%v), want Unparseable", l.line, l.command, r.Keys())
		}
	}
}

// TestEveryKeyCovered keeps the corpora and the pattern table in step:
// every key has at least two spellings and every corpus key exists.
func TestEveryKeyCovered(t *testing.T) {
	t.Parallel()
	count := map[string]int{}
	for _, name := range []string{"hardline.txt", "dangerous.txt", "families.txt"} {
		for _, l := range readCorpus(t, name, true) {
			if l.key == "allow" && name == "families.txt" {
				continue
			}
			if _, ok := patterns[l.key]; !ok {
				t.Errorf("%s:%d: unknown key %q", name, l.line, l.key)
			}
			count[l.key]++
		}
	}
	for _, p := range Patterns() {
		if count[p.Key] < 2 {
			t.Errorf("key %s has %d corpus lines, want at least 2", p.Key, count[p.Key])
		}
	}
}

func hasKey(r Result, key string) bool {
	for _, k := range r.Keys() {
		if k == key {
			return true
		}
	}
	return false
}
