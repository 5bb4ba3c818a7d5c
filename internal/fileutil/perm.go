package fileutil

import (
	"fmt"
	"os"
)

// CheckPrivate reports whether path (following symlinks) is accessible to
// group or others (mode&0o077 != 0) and returns its permission bits. A
// missing file gives an error satisfying errors.Is(err, fs.ErrNotExist).
func CheckPrivate(path string) (loose bool, mode os.FileMode, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return false, 0, fmt.Errorf("check %s: %w", path, err)
	}
	mode = fi.Mode().Perm()
	return mode&0o077 != 0, mode, nil
}

// FixPrivate makes path owner-only: 0600 for files, 0700 for directories.
func FixPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("fix permissions %s: %w", path, err)
	}
	perm := PrivateFile
	if fi.IsDir() {
		perm = PrivateDir
	}
	if err := os.Chmod(path, perm); err != nil {
		return fmt.Errorf("fix permissions %s: %w", path, err)
	}
	return nil
}

// WritePrivate atomically writes a secret: WriteFile with mode 0600.
func WritePrivate(path string, data []byte) error {
	return WriteFile(path, data, PrivateFile)
}
