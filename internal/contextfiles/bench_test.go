package contextfiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realisticAgents returns a 64 KiB AGENTS.md made of the benign corpus.
func realisticAgents(b *testing.B) string {
	paths, err := filepath.Glob("testdata/benign/*")
	if err != nil || len(paths) == 0 {
		b.Fatal("no benign corpus", err)
	}
	var sb strings.Builder
	for sb.Len() < ScanLimit {
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			sb.Write(data)
			sb.WriteString("\n")
		}
	}
	return sb.String()[:ScanLimit]
}

func BenchmarkScanText(b *testing.B) {
	text := realisticAgents(b)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if f := ScanText(text); len(f) != 0 {
			b.Fatalf("benign text blocked: %+v", f)
		}
	}
}

// BenchmarkScanTextUnicode is the same file with non-ASCII text, which
// takes the NFKC path with its offset map.
func BenchmarkScanTextUnicode(b *testing.B) {
	text := "Ｒｕｎ ｔｅｓｔｓ — café\n" + realisticAgents(b)
	text = text[:ScanLimit]
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		ScanText(text)
	}
}

func BenchmarkLoad(b *testing.B) {
	root := b.TempDir()
	tree(b, root, map[string]string{".git/": "", "AGENTS.md": realisticAgents(b)})
	for b.Loop() {
		if _, err := Load(root, Options{Scan: true}); err != nil {
			b.Fatal(err)
		}
	}
}
