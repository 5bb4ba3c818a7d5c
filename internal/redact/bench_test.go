package redact

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpus builds n bytes from the test corpora: tool output (go test, git
// log, ls -l, JSON API responses, source code, hashes) with one document
// full of secrets (env dumps, logs, YAML, PEM) after every dense-th file
// of tool output; dense 0 uses the secret documents as often as the rest.
func corpus(tb testing.TB, n, dense int) []byte {
	tb.Helper()
	read := func(glob string) [][]byte {
		files, _ := filepath.Glob(glob)
		var out [][]byte
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, b)
		}
		return out
	}
	clean, secret := read("testdata/clean/*"), read("testdata/golden/*.in")
	var buf bytes.Buffer
	for i := 0; buf.Len() < n; i++ {
		buf.Write(clean[i%len(clean)])
		if dense == 0 || i%dense == dense-1 {
			buf.Write(secret[i%len(secret)])
		}
	}
	return buf.Bytes()[:n]
}

func realistic(tb testing.TB, n int) []byte { return corpus(tb, n, 8) }

var benchSizes = []int{1 << 10, 64 << 10, 1 << 20, 16 << 20}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}

func BenchmarkRedact(b *testing.B) {
	r := mustNew(b, Options{})
	for _, n := range benchSizes {
		in := realistic(b, n)
		b.Run(sizeName(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				r.Bytes(in)
			}
		})
	}
}

// BenchmarkRedactDense: a secret document after every file of tool output.
func BenchmarkRedactDense(b *testing.B) {
	r := mustNew(b, Options{})
	in := corpus(b, 1<<20, 0)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r.Bytes(in)
	}
}

func BenchmarkRedactPlain(b *testing.B) {
	r := mustNew(b, Options{})
	in := []byte(strings.Repeat("--- PASS: TestParse (0.00s)\nok  \tgithub.com/hermes-go/hermes/internal/config\t0.412s\n", 1<<20/80))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r.Bytes(in)
	}
}

func BenchmarkCopy(b *testing.B) {
	r := mustNew(b, Options{})
	in := realistic(b, 16<<20)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := r.Copy(io.Discard, bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLongJSONLine is one minified JSON response of 1 MiB on a line.
func BenchmarkLongJSONLine(b *testing.B) {
	r := mustNew(b, Options{})
	var buf bytes.Buffer
	buf.WriteString(`{"data":[`)
	for i := 0; buf.Len() < 1<<20; i++ {
		fmt.Fprintf(&buf, `{"id":%d,"name":"item-%d","token_count":%d,"url":"https://example.com/items/%d?page=2","sha":"3f1c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"},`, i, i, i*7, i)
	}
	buf.WriteString("{}]}\n")
	in := buf.Bytes()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r.Bytes(in)
	}
}

// BenchmarkRedactToolOutput: 128 KiB of real command output captured on a
// development machine (git log --stat, go test -v, ls -la, dpkg -l, go list
// -json, Go source) with a planted secret every 16 KiB: what the terminal
// tool hands the redactor.
func BenchmarkRedactToolOutput(b *testing.B) {
	r := mustNew(b, Options{})
	raw, err := os.ReadFile("testdata/tooloutput.txt")
	if err != nil {
		b.Fatal(err)
	}
	var in []byte
	for i := 0; i < len(raw); i += 16 << 10 {
		end := min(i+16<<10, len(raw))
		if nl := bytes.LastIndexByte(raw[i:end], '\n'); nl >= 0 && end < len(raw) {
			end = i + nl + 1
		}
		in = append(in, raw[i:end]...)
		in = append(in, "export OPENAI_API_KEY=sk-proj-Xk2mQ9vR4tL8wN1pZ6yB3cF7aa\n"...)
		i = end - 16<<10
	}
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r.Bytes(in)
	}
}

// TestToolOutputUntouched: real command output has no secrets and must
// come out byte for byte.
func TestToolOutputUntouched(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/tooloutput.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := mustNew(t, Options{})
	if got := r.Bytes(raw); !bytes.Equal(got, raw) {
		t.Errorf("real tool output changed:\n%s", firstDiff(got, raw))
	}
}

func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-80)
	return fmt.Sprintf("at byte %d:\n got %q\nwant %q", i, a[lo:min(len(a), i+80)], b[lo:min(len(b), i+80)])
}
