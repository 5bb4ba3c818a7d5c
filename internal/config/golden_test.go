package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestBadConfigGolden loads every file under testdata/bad and compares the
// exact messages with its .golden file. Run `go test -update` after a
// deliberate change of wording, and review the diff.
func TestBadConfigGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, problems := Parse(FileName, data)
			if len(problems) == 0 {
				t.Fatalf("%s: no problem found", file)
			}
			var b strings.Builder
			for _, p := range problems {
				if p.Line < 1 || p.Col < 1 || !strings.HasPrefix(p.String(), "config.yaml:") {
					t.Errorf("problem without a place: %q", p.String())
				}
				b.WriteString(p.Detail())
				b.WriteString("\n")
			}
			checkGolden(t, strings.TrimSuffix(file, ".yaml")+".golden", b.String())
		})
	}
}

func TestBadEnvGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/env/*.env")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, problems := ParseEnv(EnvFileName, data)
			var b strings.Builder
			for _, p := range problems {
				if p.Line < 1 || !strings.HasPrefix(p.String(), ".env:") {
					t.Errorf("problem without a line: %q", p.String())
				}
				b.WriteString(p.Detail())
				b.WriteString("\n")
			}
			checkGolden(t, strings.TrimSuffix(file, ".env")+".golden", b.String())
		})
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// TestReferenceDoc keeps docs/config-reference.md equal to the schema.
func TestReferenceDoc(t *testing.T) {
	t.Parallel()
	checkGolden(t, "../../docs/config-reference.md", Reference())
}
