package backup

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestPrune(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	names := []string{
		"hermes-backup-2026-01-01-000000.zip",
		"hermes-backup-2026-01-02-000000.zip",
		"hermes-backup-2026-01-02-000000-2.zip",
		"hermes-backup-2026-01-02-000000-10.zip",
		"hermes-backup-2026-01-03-000000.zip",
		"hermes-backup-notes.zip", // not a backup name
		"other.zip",
	}
	for _, n := range names {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600)
	}
	os.Mkdir(filepath.Join(dir, "hermes-backup-2025-01-01-000000.zip"), 0o700) // a folder: never removed
	os.Symlink("/etc/hostname", filepath.Join(dir, "hermes-backup-2024-01-01-000000.zip"))
	removed, err := Prune(dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range removed {
		removed[i] = filepath.Base(removed[i])
	}
	want := []string{"hermes-backup-2026-01-02-000000.zip", "hermes-backup-2026-01-01-000000.zip"} // -10 is newer than -2
	if !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	if _, err := Prune(dir, 0); err == nil {
		t.Error("keep 0 accepted")
	}
}

func TestTarget(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	now := time.Date(2026, 12, 3, 10, 15, 0, 0, time.UTC)
	got, err := Target(root, "", now)
	if err != nil || got != filepath.Join(root, "hermes-backup-2026-12-03-101500.zip") {
		t.Fatalf("%s %v", got, err)
	}
	os.WriteFile(got, nil, 0o600)
	if next, _ := Target(root, "", now); next != filepath.Join(root, "hermes-backup-2026-12-03-101500-2.zip") {
		t.Errorf("same second: %s", next)
	}
	if p, err := Target(root, filepath.Join(root, "x.zip"), now); err != nil || p != filepath.Join(root, "x.zip") {
		t.Errorf("file: %s %v", p, err)
	}
	if _, err := Target(root, filepath.Join(root, "nope")+"/", now); err == nil {
		t.Error("a missing directory accepted")
	}
}

func TestExcluded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rel   string
		dir   bool
		quick bool
		want  bool
	}{
		{"logs", true, false, true},
		{"profiles/w/cache", true, false, true},
		{"skills/x/logs", true, false, false},
		{"cron/output", true, false, false},
		{"cron/output", true, true, true},
		{"profiles/w/cron/output", true, true, true},
		{"state.db-wal", false, false, true},
		{"platforms/api_server/store.db-shm", false, false, true},
		{"gateway.pid", false, false, true},
		{"profiles/w/last_backup.json", false, false, true},
		{"skills/x/last_backup.json", false, false, false},
		{"memories/.MEMORY.md.tmp-0123456789abcdef", false, false, true},
		{"memories/MEMORY.md", false, false, false},
		{"skills/x/.git", true, false, true},
		{".hermes-backup-tmp-123", true, false, true},
	}
	for _, tt := range tests {
		if got := excluded(tt.rel, tt.dir, tt.quick) != ""; got != tt.want {
			t.Errorf("excluded(%q, dir=%v, quick=%v) = %v", tt.rel, tt.dir, tt.quick, got)
		}
	}
}
