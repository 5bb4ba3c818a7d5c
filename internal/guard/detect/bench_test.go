package detect

import (
	"strings"
	"testing"
)

func BenchmarkScanTypical(b *testing.B) {
	const cmd = `git commit -am "fix: x" && go test ./...`
	b.ReportAllocs()
	for b.Loop() {
		Scan(cmd, corpusOpts)
	}
}

func BenchmarkScanObfuscated(b *testing.B) {
	const cmd = `echo cm0gLXJmIC8= | base64 -d | sh; bash -c "$(echo rm) -rf ~"`
	b.ReportAllocs()
	for b.Loop() {
		Scan(cmd, corpusOpts)
	}
}

func BenchmarkScanLongPipeline(b *testing.B) {
	stages := []string{"cat access.log", "grep -v healthz", "awk '{print $1}'", "sort", "uniq -c", "sort -rn", "head -n 20", "sed 's/^ *//'", "tee top.txt", "wc -l"}
	cmd := strings.Join(append(append(stages, stages...), stages...), " | ")
	b.ReportAllocs()
	b.SetBytes(int64(len(cmd)))
	for b.Loop() {
		Scan(cmd, corpusOpts)
	}
}

func BenchmarkScanSafeCorpus(b *testing.B) {
	lines := readCorpus(b, "safe.txt", false)
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			Scan(l.command, corpusOpts)
		}
	}
}
