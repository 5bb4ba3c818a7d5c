package cli

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/ops/migrate"
)

// copyFixture copies a fixture home of internal/ops/migrate to dst.
func copyFixture(t *testing.T, name, dst string) {
	t.Helper()
	src := filepath.Join("..", "ops", "migrate", "testdata", name)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ fixture, from string }{{"hermes-home", "hermes"}, {"openclaw-home", "openclaw"}} {
		t.Run(tc.from, func(t *testing.T) {
			t.Parallel()
			src, home := t.TempDir(), t.TempDir()
			copyFixture(t, tc.fixture, src)

			r := hermes(t, home, nil, "migrate", "--dry-run", src)
			if r.code != 0 || !strings.Contains(r.stdout, "would import") || !strings.Contains(r.stdout, "detected from its layout") {
				t.Fatalf("dry run: %+v", r)
			}
			if _, err := os.Stat(filepath.Join(home, "SOUL.md")); err == nil {
				t.Fatal("--dry-run wrote SOUL.md")
			}

			r = hermes(t, home, nil, "migrate", "--from", tc.from, "--json", src)
			var rep migrate.Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
				t.Fatalf("json: %v %+v", err, r)
			}
			if rep.From != tc.from || rep.Counts.Imported == 0 || rep.Counts.Failed != 0 || rep.Counts.NoEquivalent == 0 {
				t.Fatalf("report counts %+v", rep.Counts)
			}
			for _, it := range rep.Items {
				if it.Status == migrate.NoEquivalent && it.Where == "" {
					t.Errorf("%s %s: no equivalent, and no place given", it.Kind, it.Name)
				}
			}
			if r := hermes(t, home, nil, "config", "check"); r.code != 0 {
				t.Fatalf("config check after migrate: %+v", r)
			}
			r = hermes(t, home, nil, "migrate", src)
			if r.code != 0 || !strings.Contains(r.stdout, "Nothing to do") {
				t.Fatalf("second run: %+v", r)
			}
		})
	}
}

func TestMigrateDefaultSource(t *testing.T) {
	t.Parallel()
	user := t.TempDir()
	copyFixture(t, "hermes-home", filepath.Join(user, ".hermes"))
	ours := filepath.Join(user, "new-hermes")

	r := hermes(t, ours, map[string]string{"HOME": user}, "migrate", "--from", "hermes", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, filepath.Join(user, ".hermes")) {
		t.Fatalf("default source: %+v", r)
	}
	r = hermes(t, filepath.Join(user, ".hermes"), map[string]string{"HOME": user}, "migrate", "--from", "hermes")
	if r.code == 0 || !strings.Contains(r.stderr, "give the Python Hermes home as SOURCE") {
		t.Fatalf("our own home as source: %+v", r)
	}
	if r := hermes(t, ours, nil, "migrate", "--from", "nanobot", user); r.code != 2 {
		t.Fatalf("bad --from: %+v", r)
	}
	if r := hermes(t, ours, nil, "migrate", filepath.Join(user, "missing")); r.code == 0 || !strings.Contains(r.stderr, "does not exist") {
		t.Fatalf("missing source: %+v", r)
	}
}
