package detect

import (
	"testing"
	"time"
)

// FuzzScan: Scan never panics, always terminates quickly, and reports
// only known keys with the command they came from.
func FuzzScan(f *testing.F) {
	for _, name := range []string{"hardline.txt", "dangerous.txt"} {
		for _, l := range readCorpus(f, name, true) {
			f.Add(l.command)
		}
	}
	for _, name := range []string{"safe.txt", "unparseable.txt"} {
		for _, l := range readCorpus(f, name, false) {
			f.Add(l.command)
		}
	}
	f.Fuzz(func(t *testing.T, command string) {
		start := time.Now()
		r := Scan(command, corpusOpts)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Scan took %v", d)
		}
		if r.Unparseable != nil && r.Unparseable.Error() == "" {
			t.Fatal("empty error")
		}
		for _, m := range r.Matches {
			p, ok := patterns[m.Key]
			if !ok || p.Hardline != m.Hardline || p.Category != m.Category {
				t.Fatalf("match %+v does not match its pattern", m)
			}
		}
		_ = Normalize(command)
	})
}
