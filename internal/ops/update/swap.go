package update

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// PrevSuffix names the previous binary, kept beside the installed one.
const PrevSuffix = ".prev"

// Prev is the path of bin's previous binary.
func Prev(bin string) string { return bin + PrevSuffix }

// TempBinary returns a new unused path in bin's directory (so the swap
// is a rename on one filesystem), or an error that says the directory is
// not writable.
func TempBinary(bin string) (string, error) {
	dir := filepath.Dir(bin)
	f, err := os.CreateTemp(dir, "."+filepath.Base(bin)+".update-*")
	if err != nil {
		return "", fmt.Errorf("cannot write beside the binary in %s (%v): run the update as the user who owns it", dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return name, nil
}

// Install puts next in bin's place atomically: bin is hard-linked (or
// copied) to bin.prev first, then next is renamed over bin, so a path
// named bin exists at every moment. A running process keeps its own
// (old) file.
func Install(bin, next string) error {
	if err := keep(bin, Prev(bin)); err != nil {
		return err
	}
	if err := os.Rename(next, bin); err != nil {
		return fmt.Errorf("install %s: %w", bin, err)
	}
	return syncDir(filepath.Dir(bin))
}

// Restore puts bin.prev back in bin's place (rename over bin): the
// current binary is discarded.
func Restore(bin string) error {
	prev := Prev(bin)
	if _, err := os.Stat(prev); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no previous binary to roll back to (%s does not exist)", prev)
	}
	if err := os.Rename(prev, bin); err != nil {
		return fmt.Errorf("restore %s: %w", prev, err)
	}
	return syncDir(filepath.Dir(bin))
}

// Swap exchanges bin and bin.prev (a manual rollback, which a second
// swap undoes). bin exists at every moment.
func Swap(bin string) error {
	prev := Prev(bin)
	if _, err := os.Stat(prev); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no previous binary to roll back to (%s does not exist)", prev)
	}
	tmp, err := TempBinary(bin)
	if err != nil {
		return err
	}
	if err := keep(bin, tmp); err != nil {
		return err
	}
	if err := os.Rename(prev, bin); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore %s: %w", prev, err)
	}
	if err := os.Rename(tmp, prev); err != nil {
		return fmt.Errorf("keep %s: %w", prev, err)
	}
	return syncDir(filepath.Dir(bin))
}

// keep makes dst a copy of src: a hard link when the filesystem allows,
// else a byte copy with src's mode; an existing dst is replaced.
func keep(src, dst string) error {
	tmp := dst + ".tmp"
	os.Remove(tmp)
	if err := os.Link(src, tmp); err != nil {
		if err := copyFile(src, tmp); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("keep the previous binary as %s: %w", dst, err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keep the previous binary as %s: %w", dst, err)
	}
	return nil
}

func copyFile(src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // not every filesystem syncs directories
	return nil
}
