package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/testenv"
)

// TestBadConfigGolden: every error class of config.yaml, exact wording.
// Run `go test -update` after a deliberate change of wording; review the diff.
func TestBadConfigGolden(t *testing.T) {
	goldenDir(t, "testdata/bad/*.yaml", func(data []byte) []Problem {
		_, problems := Parse(FileName, data)
		if len(problems) == 0 {
			t.Error("no problem found")
		}
		return problems
	}, "config.yaml:")
}

func TestBadEnvGolden(t *testing.T) {
	goldenDir(t, "testdata/env/*.env", func(data []byte) []Problem {
		_, problems := ParseEnv(EnvFileName, data)
		return problems
	}, ".env:")
}

// goldenDir parses every fixture matching glob and compares the exact
// messages with the fixture's .golden file; each problem must have a place.
func goldenDir(t *testing.T, glob string, parse func([]byte) []Problem, prefix string) {
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, p := range parse(data) {
				if p.Line < 1 || !strings.HasPrefix(p.String(), prefix) || (prefix == "config.yaml:" && p.Col < 1) {
					t.Errorf("problem without a place: %q", p.String())
				}
				b.WriteString(p.Detail())
				b.WriteString("\n")
			}
			testenv.Golden(t, strings.TrimSuffix(file, filepath.Ext(file))+".golden", b.String())
		})
	}
}

// TestReferenceDoc keeps docs/config-reference.md equal to the schema.
func TestReferenceDoc(t *testing.T) {
	t.Parallel()
	testenv.Golden(t, "../../docs/config-reference.md", Reference())
}

// TestCheckNotUsedYet: Check notes each NotUsedYet section written in the
// file once, as a Notice; Parse stays silent about them.
func TestCheckNotUsedYet(t *testing.T) {
	t.Parallel()
	data := []byte("cron:\n  enabled: true\n  timezone: UTC\nplatforms:\n  telegram: {enabled: true}\n  discord: {enabled: true}\nauxiliary:\n  vision: {model: m}\n  title: {model: m}\nagent:\n  toolsets: {cron: [terminal]}\n")
	_, problems := Check(FileName, data)
	var got []string
	for _, p := range problems {
		if p.Severity != Notice {
			t.Errorf("not a notice: %s", p)
		}
		got = append(got, p.Path)
	}
	// cron and every platform are built: their keys are read and draw no
	// notice; only auxiliary.vision does.
	if strings.Join(got, ",") != "auxiliary.vision" {
		t.Errorf("noticed %v, want auxiliary.vision once", got)
	}
	if _, problems := Parse(FileName, data); len(problems) != 0 {
		t.Errorf("Parse reported %v", problems)
	}
}
