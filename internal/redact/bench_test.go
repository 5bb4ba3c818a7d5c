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

// realistic builds n bytes of tool output from the clean corpora and the
// golden inputs: go test output, git log, ls -l, JSON API responses,
// source code, and a secret now and then.
func realistic(tb testing.TB, n int) []byte {
	tb.Helper()
	var parts [][]byte
	for _, glob := range []string{"testdata/clean/*", "testdata/golden/*.in"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			parts = append(parts, b)
		}
	}
	var buf bytes.Buffer
	for i := 0; buf.Len() < n; i++ {
		buf.Write(parts[i%len(parts)])
	}
	return buf.Bytes()[:n]
}

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
