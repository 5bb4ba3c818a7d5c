package file

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/tools"
)

// bigSource is a Go-like file of n functions.
func bigSource(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "func f%d(x int) int {\n\tif x > %d {\n\t\treturn x\n\t}\n\treturn %d\n}\n\n", i, i, i)
	}
	return b.String()
}

// BenchmarkPlanPatchFuzzy is the worst common case: no exact match in a
// 10,000-function file (70,000 lines), so the whitespace-folding scan runs.
func BenchmarkPlanPatchFuzzy(b *testing.B) {
	content := bigSource(10000)
	old := "if x > 9999 {\n    return x\n}"
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		if _, fuzzy, err := planPatch(content, old, "if x < 0 {\n    return 0\n}", false); err != nil || !fuzzy {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanPatchNotFound measures the closest-lines search.
func BenchmarkPlanPatchNotFound(b *testing.B) {
	content := bigSource(10000)
	for b.Loop() {
		if _, _, err := planPatch(content, "return x + 12345 // missing", "y", false); err == nil {
			b.Fatal("found")
		}
	}
}

// BenchmarkReadFile reads the first 2,000 lines of a 70,000-line file.
func BenchmarkReadFile(b *testing.B) {
	env := &tools.Env{Cwd: b.TempDir()}
	p := filepath.Join(env.Cwd, "big.go")
	writeTestFile(b, p, bigSource(10000))
	r := tools.NewRegistry()
	r.Register(ReadFile{})
	for b.Loop() {
		if m := callB(r, env, "read_file", `{"path":"big.go","limit":2000}`); m.IsError {
			b.Fatal(m.Content)
		}
	}
}

// BenchmarkSearchWalker searches 500 files with the Go walker.
func BenchmarkSearchWalker(b *testing.B) {
	env := &tools.Env{Cwd: b.TempDir()}
	for i := range 500 {
		writeTestFile(b, filepath.Join(env.Cwd, fmt.Sprintf("d%d/f%d.go", i%20, i)), bigSource(20))
	}
	r := tools.NewRegistry()
	r.Register(SearchFiles{RgPath: "-"})
	for b.Loop() {
		if m := callB(r, env, "search_files", `{"pattern":"return 19$","max_results":1000}`); m.IsError {
			b.Fatal(m.Content)
		}
	}
}
