package fileutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// beforeRename, when non-nil, runs after the temp file has been written,
// fsynced and closed and before it is renamed over the target. Tests set it
// to simulate a crash at the worst possible moment.
var beforeRename func(tmp string)

const (
	tempInfix     = ".tmp-"
	tempRandDigit = 16 // hex digits after tempInfix
	maxSymlinks   = 40
)

// WriteFile atomically replaces path with data. The file ends up with
// exactly perm (set with fchmod, so the umask does not matter), also when
// it already existed with other permissions. If path is a symlink, the
// link's target is replaced and the link is kept. On error the old file is
// untouched and no temp file is left behind.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return WriteFileFrom(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFileFrom is WriteFile with the content streamed by fill. fill must
// not close w. If fill returns an error (or panics) the old file is
// untouched and the temp file is removed.
func WriteFileFrom(path string, perm os.FileMode, fill func(w io.Writer) error) error {
	target, err := resolveTarget(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := replace(target, perm, fill); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// replace does the temp-write-fsync-rename-fsync dance for target.
func replace(target string, perm os.FileMode, fill func(io.Writer) error) error {
	dir := filepath.Dir(target)
	f, err := createTemp(dir, filepath.Base(target))
	if err != nil {
		return err
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if !renamed {
			_ = f.Close() // may already be closed
			_ = os.Remove(tmp)
		}
	}()
	if err := writeTemp(f, perm, fill); err != nil {
		return err
	}
	if beforeRename != nil {
		beforeRename(tmp)
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	renamed = true
	return syncDir(dir)
}

// writeTemp sets perm, fills, fsyncs and closes f.
func writeTemp(f *os.File, perm os.FileMode, fill func(io.Writer) error) error {
	if err := f.Chmod(perm); err != nil { // fchmod(2)
		return err
	}
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// createTemp creates ".<base>.tmp-<random>" in dir with O_EXCL.
func createTemp(dir, base string) (*os.File, error) {
	var err error
	for range 10 {
		name := fmt.Sprintf("%s%0*x", tempPrefix(base), tempRandDigit, rand.Uint64())
		var f *os.File
		f, err = os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE|os.O_EXCL, PrivateFile)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, err
}

func tempPrefix(base string) string { return "." + base + tempInfix }

// isTempName reports whether name is a temp file of base made by createTemp.
func isTempName(name, base string) bool {
	rest, ok := strings.CutPrefix(name, tempPrefix(base))
	if !ok || len(rest) != tempRandDigit {
		return false
	}
	return strings.Trim(rest, "0123456789abcdef") == ""
}

// syncDir fsyncs a directory so a rename in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// resolveTarget returns the file a write to path must replace: path
// itself, or for a symlink the file it points to (which may not exist yet).
func resolveTarget(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return path, nil // missing or not a link: replace path itself
	}
	resolved, err := filepath.EvalSymlinks(path)
	if err == nil {
		return resolved, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return followDangling(path)
}

// followDangling follows a chain of symlinks that ends in a missing file
// and returns that missing file's path.
func followDangling(path string) (string, error) {
	p := path
	for range maxSymlinks {
		dest, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(p), dest)
		}
		fi, err := os.Lstat(dest)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return dest, nil
		}
		p = dest
	}
	return "", fmt.Errorf("resolve %s: too many symlinks", path)
}

// CleanTemps removes the stale temp files ".<base>.tmp-*" that a crashed
// WriteFile of dir/base can leave behind. Call it only when no other
// process can be writing dir/base (at startup, or under the lock that
// serialises its writers): it would also remove an in-flight temp file.
func CleanTemps(dir, base string) error {
	if base == "" || base == "." || strings.ContainsRune(base, filepath.Separator) {
		return fmt.Errorf("clean temps in %s: invalid base name %q", dir, base)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("clean temps in %s: %w", dir, err)
	}
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTempName(e.Name(), base) {
			continue
		}
		err := os.Remove(filepath.Join(dir, e.Name()))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clean temps in %s: %w", dir, err)
	}
	return nil
}

// EnsureDir creates path and any missing parents with exactly perm (each
// created directory is chmodded, so the umask does not matter). Existing
// directories are left alone, even if their permissions are looser than
// perm; use CheckPrivate to detect that.
func EnsureDir(path string, perm os.FileMode) error {
	path = filepath.Clean(path)
	fi, err := os.Stat(path)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("ensure dir %s: not a directory", path)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ensure dir %s: %w", path, err)
	}
	if parent := filepath.Dir(path); parent != path {
		if err := EnsureDir(parent, perm); err != nil {
			return err
		}
	}
	return mkdirExact(path, perm)
}

// mkdirExact creates one directory with perm. Losing a creation race to
// another process is fine; that directory is then not chmodded.
func mkdirExact(path string, perm os.FileMode) error {
	if err := os.Mkdir(path, perm); err != nil {
		if fi, serr := os.Stat(path); errors.Is(err, fs.ErrExist) && serr == nil && fi.IsDir() {
			return nil
		}
		return fmt.Errorf("ensure dir %s: %w", path, err)
	}
	if err := os.Chmod(path, perm); err != nil {
		return fmt.Errorf("ensure dir %s: %w", path, err)
	}
	return nil
}
