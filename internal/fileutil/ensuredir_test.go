package fileutil

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestEnsureDir is not parallel: it sets the process-wide umask.
func TestEnsureDir(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	tests := []struct {
		name string
		perm os.FileMode
	}{
		{name: "private", perm: PrivateDir},
		{name: "public despite umask", perm: 0o755},
	}
	for _, tt := range tests {
		root := t.TempDir()
		path := filepath.Join(root, "a", "b", "c")
		if err := EnsureDir(path, tt.perm); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for _, p := range []string{filepath.Join(root, "a"), filepath.Join(root, "a", "b"), path} {
			if got := mustMode(t, p); got != tt.perm {
				t.Errorf("%s: %s mode = %v, want %v", tt.name, p, got, tt.perm)
			}
		}
		if err := EnsureDir(path+"/", tt.perm); err != nil {
			t.Errorf("%s: second EnsureDir: %v", tt.name, err)
		}
	}
}

func TestEnsureDirLeavesExisting(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	existing := filepath.Join(root, "home")
	if err := os.Mkdir(existing, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	leaf := filepath.Join(existing, "sessions")
	if err := EnsureDir(leaf, PrivateDir); err != nil {
		t.Fatal(err)
	}
	if got := mustMode(t, existing); got != 0o755 {
		t.Errorf("existing dir mode changed to %v", got)
	}
	if got := mustMode(t, leaf); got != PrivateDir {
		t.Errorf("new dir mode = %v, want %v", got, PrivateDir)
	}
}

func TestEnsureDirNotADir(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, filepath.Join(file, "sub")} {
		err := EnsureDir(p, PrivateDir)
		if err == nil || !strings.Contains(err.Error(), file) {
			t.Errorf("EnsureDir(%s) = %v, want an error naming %s", p, err, file)
		}
	}
}
