package detect

import (
	"fmt"
	"strings"
	"testing"
	"time"
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

// BenchmarkScanCorpusWorst finds the slowest line of the hardline,
// dangerous and safe corpora and measures it (-v logs which one).
func BenchmarkScanCorpusWorst(b *testing.B) {
	var lines []string
	for _, name := range []string{"hardline.txt", "dangerous.txt"} {
		for _, l := range readCorpus(b, name, true) {
			lines = append(lines, l.command)
		}
	}
	for _, l := range readCorpus(b, "safe.txt", false) {
		lines = append(lines, l.command)
	}
	worst, worstTime := "", time.Duration(0)
	for _, l := range lines {
		start := time.Now()
		for range 20 {
			Scan(l, corpusOpts)
		}
		if d := time.Since(start); d > worstTime {
			worst, worstTime = l, d
		}
	}
	b.Logf("worst corpus line: %.80q", worst)
	b.ReportAllocs()
	for b.Loop() {
		Scan(worst, corpusOpts)
	}
}

// BenchmarkScanSize shows Scan is linear in the command's length up to
// MaxInput, and that a 1 MB command is refused at once.
func BenchmarkScanSize(b *testing.B) {
	unit := `git commit -m "x" && X='rm -rf build'; $X; echo $(printf %s ok) | tee -a log; `
	for _, size := range []int{4 << 10, 16 << 10, 60 << 10, 1 << 20} {
		cmd := strings.Repeat(unit, size/len(unit))
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(cmd)))
			for b.Loop() {
				Scan(cmd, corpusOpts)
			}
		})
	}
}
