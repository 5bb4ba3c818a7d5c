package fileutil

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestWriteFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		old     []byte // nil: no file before the write
		oldPerm os.FileMode
		data    []byte
		perm    os.FileMode
	}{
		{name: "new file", data: []byte("a: 1\n"), perm: PublicFile},
		{name: "new private file", data: []byte("KEY=v\n"), perm: PrivateFile},
		{name: "empty file", data: []byte{}, perm: PublicFile},
		{name: "overwrite longer with shorter", old: bytes.Repeat([]byte("x"), 8192), oldPerm: PublicFile, data: []byte("y"), perm: PublicFile},
		{name: "overwrite tightens perm", old: []byte("old"), oldPerm: PublicFile, data: []byte("new"), perm: PrivateFile},
		{name: "overwrite loosens perm", old: []byte("old"), oldPerm: PrivateFile, data: []byte("new"), perm: PublicFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "config.yaml")
			if tt.old != nil {
				if err := os.WriteFile(path, tt.old, tt.oldPerm); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteFile(path, tt.data, tt.perm); err != nil {
				t.Fatal(err)
			}
			if got := mustRead(t, path); !bytes.Equal(got, tt.data) {
				t.Errorf("content = %q, want %q", got, tt.data)
			}
			if got := mustMode(t, path); got != tt.perm {
				t.Errorf("mode = %v, want %v", got, tt.perm)
			}
			if left := temps(t, dir, "config.yaml"); len(left) != 0 {
				t.Errorf("temp files left: %v", left)
			}
		})
	}
}

// TestWriteFileUmask is not parallel: the umask is process-wide.
func TestWriteFileUmask(t *testing.T) {
	tests := []struct {
		umask int
		perm  os.FileMode
	}{
		{umask: 0o077, perm: PublicFile},
		{umask: 0o077, perm: 0o640},
		{umask: 0o000, perm: PrivateFile},
		{umask: 0o022, perm: 0o664},
	}
	for _, tt := range tests {
		old := syscall.Umask(tt.umask)
		path := filepath.Join(t.TempDir(), "f")
		err := WriteFile(path, []byte("x"), tt.perm)
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		if got := mustMode(t, path); got != tt.perm {
			t.Errorf("umask %#o: mode = %v, want %v", tt.umask, got, tt.perm)
		}
	}
}

func TestWriteFileSymlink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		links []string // links[0] is written; each points at the next, the last at target
	}{
		{name: "relative link", links: []string{"config.yaml"}},
		{name: "chain of links", links: []string{"config.yaml", "mid.yaml"}},
	}
	for _, tt := range tests {
		for _, exists := range []bool{true, false} {
			name := tt.name + map[bool]string{true: ", target exists", false: ", dangling"}[exists]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				testSymlinkWrite(t, tt.links, exists)
			})
		}
	}
}

func testSymlinkWrite(t *testing.T, links []string, exists bool) {
	dir := t.TempDir()
	realDir := filepath.Join(dir, "dotfiles")
	if err := os.Mkdir(realDir, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(realDir, "hermes.yaml")
	if exists {
		if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dests := slices.Concat(links[1:], []string{filepath.Join("dotfiles", "hermes.yaml")})
	for i, l := range links {
		if err := os.Symlink(dests[i], filepath.Join(dir, l)); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, links[0])
	if err := WriteFile(link, []byte("new"), PrivateFile); err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if fi, err := os.Lstat(filepath.Join(dir, l)); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symlink (err %v)", l, err)
		}
	}
	if got := mustRead(t, target); string(got) != "new" {
		t.Errorf("target content = %q, want %q", got, "new")
	}
	if got := mustMode(t, target); got != PrivateFile {
		t.Errorf("target mode = %v, want %v", got, PrivateFile)
	}
	if left := append(temps(t, dir, "*"), temps(t, realDir, "*")...); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestWriteFileMissingDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "nope", "config.yaml")
	err := WriteFile(path, []byte("x"), PublicFile)
	if err == nil {
		t.Fatal("WriteFile into a missing directory succeeded")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("dir not empty after failed write: %v", entries)
	}
}

func TestWriteFileFromFailure(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name string
		fill func(w io.Writer) error
	}{
		{name: "fill error before writing", fill: func(io.Writer) error { return boom }},
		{name: "fill error after partial write", fill: func(w io.Writer) error {
			_, _ = w.Write([]byte("partial"))
			return boom
		}},
		{name: "fill panics", fill: func(w io.Writer) error {
			_, _ = w.Write([]byte("partial"))
			panic(boom)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "auth.json")
			old := []byte(`{"token":"old"}`)
			if err := WriteFile(path, old, PrivateFile); err != nil {
				t.Fatal(err)
			}
			err := writeRecover(path, tt.fill)
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want wrapping %v", err, boom)
			}
			if got := mustRead(t, path); !bytes.Equal(got, old) {
				t.Errorf("content = %q, want old %q", got, old)
			}
			if left := temps(t, dir, "auth.json"); len(left) != 0 {
				t.Errorf("temp files left: %v", left)
			}
		})
	}
}

// writeRecover calls WriteFileFrom and turns a panic into its error.
func writeRecover(path string, fill func(io.Writer) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = r.(error)
		}
	}()
	return WriteFileFrom(path, PrivateFile, fill)
}

func TestWriteFileFromStreams(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "big")
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	err := WriteFileFrom(path, PublicFile, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(want))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, path); !bytes.Equal(got, want) {
		t.Errorf("content differs (%d bytes, want %d)", len(got), len(want))
	}
}

// TestWriteFileConcurrent: readers racing many writers only ever see one
// complete version, never a torn or empty file.
func TestWriteFileConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	const size = 64 << 10
	versions := make([][]byte, 4)
	for i := range versions {
		versions[i] = bytes.Repeat([]byte{byte('a' + i)}, size)
	}
	if err := WriteFile(path, versions[0], PublicFile); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, v := range versions {
		wg.Go(func() {
			for range 20 {
				if err := WriteFile(path, v, PublicFile); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, err := os.ReadFile(path)
			if err != nil || len(b) != size || bytes.Count(b, b[:1]) != size {
				t.Errorf("torn read: err=%v len=%d", err, len(b))
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-readerDone
	if left := temps(t, dir, "state.json"); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestCleanTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stale := []string{".auth.json.tmp-0123456789abcdef", ".auth.json.tmp-fedcba9876543210"}
	keep := []string{
		"auth.json",
		".auth.json.tmp-short",                  // not our random suffix
		".auth.json.tmp-x.tmp-0123456789abcdef", // temp of "auth.json.tmp-x"
		".config.yaml.tmp-0123456789abcdef",     // another file's temp
		"auth.json.tmp-0123456789abcdef",        // no leading dot
	}
	for _, n := range append(append([]string{}, stale...), keep...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := CleanTemps(dir, "auth.json"); err != nil {
		t.Fatal(err)
	}
	for _, n := range stale {
		if _, err := os.Lstat(filepath.Join(dir, n)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s not removed (err %v)", n, err)
		}
	}
	for _, n := range keep {
		if _, err := os.Lstat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s removed: %v", n, err)
		}
	}
	for _, bad := range []string{"", ".", "a/b"} {
		if err := CleanTemps(dir, bad); err == nil {
			t.Errorf("CleanTemps(%q) succeeded", bad)
		}
	}
	if err := CleanTemps(filepath.Join(dir, "missing"), "x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CleanTemps(missing dir) = %v, want fs.ErrNotExist", err)
	}
}

func TestTempNameMatchesCleanTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f, err := createTemp(dir, "cron.json")
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	if !isTempName(filepath.Base(f.Name()), "cron.json") {
		t.Fatalf("createTemp made %s, which CleanTemps would not remove", f.Name())
	}
}
