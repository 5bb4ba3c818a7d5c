package backup

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// TestImportWaitsForOwnerLock: cron/jobs.json is written only while the
// import holds cron/jobs.lock, the lock the cron store's writers hold.
func TestImportWaitsForOwnerLock(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	zipPath := filepath.Join(t.TempDir(), "b.zip")
	os.WriteFile(zipPath, makeZip(t, zipEntry{name: "cron/jobs.json", data: `{"jobs":[1]}`}), 0o600)
	os.MkdirAll(filepath.Join(root, "cron"), 0o700)
	os.WriteFile(filepath.Join(root, "cron/jobs.json"), []byte(`{"jobs":[]}`), 0o600)
	l, err := fileutil.LockFile(context.Background(), filepath.Join(root, "cron/jobs.lock"), fileutil.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	im, err := OpenImport(zipPath, root, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	done := make(chan error, 1)
	go func() { _, err := im.Apply(context.Background()); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("import did not wait for cron/jobs.lock: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if b, _ := os.ReadFile(filepath.Join(root, "cron/jobs.json")); string(b) != `{"jobs":[]}` {
		t.Fatalf("written under someone else's lock: %s", b)
	}
	l.Unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "cron/jobs.json")); string(b) != `{"jobs":[1]}` {
		t.Errorf("jobs.json = %s", b)
	}
}

func TestOwnerLocks(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, f := range []string{"cron/jobs.lock", "memories/.lock", ".config.yaml.lock", "auth.json.lock", "profiles/w/skills/.lock", "profiles/w/skills/a/b/.keep", "backup.lock"} {
		os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o700)
		os.WriteFile(filepath.Join(root, f), nil, 0o600)
	}
	im := &Import{Root: root}
	tests := map[string][]string{
		"cron/jobs.json":                 {"cron/jobs.lock"},
		"memories/MEMORY.md":             {"memories/.lock"},
		"config.yaml":                    {".config.yaml.lock"},
		"auth.json":                      {"auth.json.lock"},
		"profiles/w/skills/a/b/SKILL.md": {"profiles/w/skills/.lock"},
		"SOUL.md":                        nil,
	}
	for name, want := range tests {
		var got []string
		for _, p := range im.ownerLocks(name) {
			rel, _ := filepath.Rel(root, p)
			got = append(got, rel)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
