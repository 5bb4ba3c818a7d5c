package fileutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckFixPrivate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		dir       bool
		mode      os.FileMode
		wantLoose bool
		wantFixed os.FileMode
	}{
		{name: "file 0600", mode: 0o600, wantLoose: false, wantFixed: PrivateFile},
		{name: "file 0400", mode: 0o400, wantLoose: false, wantFixed: PrivateFile},
		{name: "file 0644", mode: 0o644, wantLoose: true, wantFixed: PrivateFile},
		{name: "file 0640", mode: 0o640, wantLoose: true, wantFixed: PrivateFile},
		{name: "file 0601", mode: 0o601, wantLoose: true, wantFixed: PrivateFile},
		{name: "dir 0700", dir: true, mode: 0o700, wantLoose: false, wantFixed: PrivateDir},
		{name: "dir 0755", dir: true, mode: 0o755, wantLoose: true, wantFixed: PrivateDir},
		{name: "dir 0710", dir: true, mode: 0o710, wantLoose: true, wantFixed: PrivateDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "secret")
			var err error
			if tt.dir {
				err = os.Mkdir(path, 0o700)
			} else {
				err = os.WriteFile(path, []byte("KEY=v\n"), 0o600)
			}
			if err == nil {
				err = os.Chmod(path, tt.mode) // exact mode, whatever the umask
			}
			if err != nil {
				t.Fatal(err)
			}
			loose, mode, err := CheckPrivate(path)
			if err != nil || loose != tt.wantLoose || mode != tt.mode {
				t.Fatalf("CheckPrivate = %v, %v, %v; want %v, %v, nil", loose, mode, err, tt.wantLoose, tt.mode)
			}
			if err := FixPrivate(path); err != nil {
				t.Fatal(err)
			}
			loose, mode, err = CheckPrivate(path)
			if err != nil || loose || mode != tt.wantFixed {
				t.Errorf("after FixPrivate: %v, %v, %v; want false, %v, nil", loose, mode, err, tt.wantFixed)
			}
		})
	}
}

func TestCheckFixPrivateMissing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), ".env")
	if _, _, err := CheckPrivate(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CheckPrivate(missing) err = %v, want fs.ErrNotExist", err)
	}
	if err := FixPrivate(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("FixPrivate(missing) err = %v, want fs.ErrNotExist", err)
	}
}

func TestWritePrivate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte("OLD=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WritePrivate(path, []byte("NEW=1\n")); err != nil {
		t.Fatal(err)
	}
	loose, mode, err := CheckPrivate(path)
	if err != nil || loose || mode != PrivateFile {
		t.Errorf("after WritePrivate: %v, %v, %v", loose, mode, err)
	}
	if got := mustRead(t, path); string(got) != "NEW=1\n" {
		t.Errorf("content = %q", got)
	}
}
