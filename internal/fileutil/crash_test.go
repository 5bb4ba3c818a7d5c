package fileutil

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCrash re-executes the test binary (TestCrashHelper), which SIGKILLs
// itself in the middle of WriteFile. Whatever the moment, the target must
// keep its old content byte for byte; the only debris is one stale temp
// file, which CleanTemps removes.
func TestCrash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		at       string
		wantTemp []byte // content of the stray temp file
	}{
		{name: "killed after fsync, before rename", at: "rename", wantTemp: crashNew},
		{name: "killed during fill", at: "fill", wantTemp: crashHalf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "auth.json")
			old := []byte(`{"token":"old"}` + "\n")
			if err := WriteFile(path, old, PrivateFile); err != nil {
				t.Fatal(err)
			}
			out, err := helperCmd("TestCrashHelper", envCrash+"="+path, envCrashAt+"="+tt.at).CombinedOutput()
			requireKilled(t, err, out)

			if got := mustRead(t, path); !bytes.Equal(got, old) {
				t.Fatalf("after crash content = %q, want old %q", got, old)
			}
			left := temps(t, dir, "auth.json")
			if len(left) > 1 {
				t.Fatalf("more than one stray temp file: %v", left)
			}
			for _, tmp := range left {
				if got := mustRead(t, tmp); !bytes.Equal(got, tt.wantTemp) {
					t.Errorf("stray temp content = %q, want %q", got, tt.wantTemp)
				}
				if got := mustMode(t, tmp); got != PrivateFile {
					t.Errorf("stray temp mode = %v, want %v", got, PrivateFile)
				}
			}
			if err := CleanTemps(dir, "auth.json"); err != nil {
				t.Fatal(err)
			}
			if left := temps(t, dir, "auth.json"); len(left) != 0 {
				t.Errorf("CleanTemps left %v", left)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("CleanTemps touched the target: %v", err)
			}
		})
	}
}

// TestBeforeRenameHook checks, in-process, that the hook sees a complete,
// closed temp file next to the target while the target is still old.
// Not parallel: it sets the package-level hook.
func TestBeforeRenameHook(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := WriteFile(path, []byte("old"), PublicFile); err != nil {
		t.Fatal(err)
	}
	var sawTmp string
	beforeRename = func(tmp string) {
		sawTmp = tmp
		if got := mustRead(t, tmp); string(got) != "new" {
			t.Errorf("temp content at hook = %q", got)
		}
		if got := mustRead(t, path); string(got) != "old" {
			t.Errorf("target content at hook = %q", got)
		}
	}
	defer func() { beforeRename = nil }()
	if err := WriteFile(path, []byte("new"), PublicFile); err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(sawTmp) != dir || !isTempName(filepath.Base(sawTmp), "config.yaml") {
		t.Errorf("hook got temp %q, want .config.yaml.tmp-* in %s", sawTmp, dir)
	}
}
