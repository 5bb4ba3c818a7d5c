// Package logging owns the log files under <home>/logs/: a size-rotated
// file writer that several processes append to at once (hermes.log,
// rotated to hermes.log.1 ... hermes.log.N), the slog handler that writes
// one redacted JSON line per record to it with a component attribute, and
// the reader behind `hermes logs` (parse, filter, merge, follow).
//
// Every record passes through internal/redact before it is written: a key
// in a log attribute is masked like it is everywhere else.
package logging

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// MainFile is the log file the long-running commands write.
const MainFile = "hermes.log"

// RawFile is where `hermes gateway start` redirects the background
// gateway's stdout and stderr (a panic, a runtime error).
const RawFile = "gateway.log"

// rotateLockWait bounds how long a writer waits for another process's
// rotation before it appends to the file it has.
const rotateLockWait = 2 * time.Second

// Options size the rotation.
type Options struct {
	MaxSize int64 // bytes at which the file rotates; <= 0 means 10 MB
	Keep    int   // rotated files kept; < 1 means 1
}

func (o Options) norm() Options {
	if o.MaxSize <= 0 {
		o.MaxSize = 10 << 20
	}
	if o.Keep < 1 {
		o.Keep = 1
	}
	return o
}

// Writer appends to a size-rotated file. Each Write is one write(2) on a
// file opened with O_APPEND, so lines of several processes never
// interleave; the rotation runs under an flock on <path>.lock, so two
// processes never both rotate, and a writer whose file was rotated by
// another process reopens the new one before its next write.
type Writer struct {
	path string
	opts Options

	mu sync.Mutex
	f  *os.File
}

// OpenWriter opens (creating, 0600) the log file at path; its directory
// must exist.
func OpenWriter(path string, opts Options) (*Writer, error) {
	w := &Writer{path: path, opts: opts.norm()}
	if err := w.reopen(); err != nil {
		return nil, err
	}
	return w, nil
}

// Path is the file written to.
func (w *Writer) Path() string { return w.path }

func (w *Writer) reopen() error {
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	// A file created by hand or by an older version may be looser.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("open log: %w", err)
	}
	w.f = f
	return nil
}

// Write appends p (one record) as a single write, rotating first when p
// would take the file past MaxSize.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil || w.replaced() {
		if err := w.reopen(); err != nil {
			return 0, err
		}
	}
	if fi, err := w.f.Stat(); err == nil && fi.Size() > 0 && fi.Size()+int64(len(p)) > w.opts.MaxSize {
		if err := w.rotate(); err != nil {
			return 0, err
		}
	}
	return w.f.Write(p)
}

// replaced reports whether the path no longer names the open file (another
// process rotated it, or someone deleted it).
func (w *Writer) replaced() bool {
	cur, err := os.Stat(w.path)
	if err != nil {
		return true
	}
	mine, err := w.f.Stat()
	return err != nil || !os.SameFile(cur, mine)
}

// rotate shifts the files under the rotation lock, unless another process
// did it while this one waited, then reopens.
func (w *Writer) rotate() error {
	lock, err := fileutil.LockFile(context.Background(), w.path+".lock", fileutil.LockOptions{Timeout: rotateLockWait})
	if err != nil {
		return nil // another process is rotating for too long: keep appending
	}
	defer lock.Unlock()
	if !w.replaced() {
		fi, err := os.Stat(w.path)
		if err == nil && fi.Size() > 0 {
			if err := Shift(w.path, w.opts.Keep); err != nil {
				return err
			}
		}
	}
	return w.reopen()
}

// Shift renames path.(keep-1) to path.keep ... path to path.1, dropping
// the oldest. The caller holds the rotation lock.
func Shift(path string, keep int) error {
	if keep < 1 {
		keep = 1
	}
	if err := os.Remove(path + "." + strconv.Itoa(keep)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotate log: %w", err)
	}
	for i := keep - 1; i >= 1; i-- {
		err := os.Rename(path+"."+strconv.Itoa(i), path+"."+strconv.Itoa(i+1))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate log: %w", err)
		}
	}
	if err := os.Rename(path, path+".1"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotate log: %w", err)
	}
	return nil
}

// RotateIfLarge rotates path (under its lock) when it is over
// opts.MaxSize: for files a writer outside this package appends to, like
// the gateway's redirected output, rotated before each start.
func RotateIfLarge(path string, opts Options) error {
	opts = opts.norm()
	fi, err := os.Stat(path)
	if err != nil || fi.Size() < opts.MaxSize {
		return nil
	}
	return fileutil.WithLock(context.Background(), path+".lock", rotateLockWait, func() error {
		if fi, err := os.Stat(path); err != nil || fi.Size() < opts.MaxSize {
			return nil
		}
		return Shift(path, opts.Keep)
	})
}

// Close closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// Files lists the log files of dir for name (MainFile or RawFile), oldest
// first: name.N ... name.1, name. Missing ones are left out.
func Files(dir, name string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	nums := map[int]string{}
	var idx []int
	var current string
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		n := e.Name()
		if n == name {
			current = filepath.Join(dir, n)
			continue
		}
		if len(n) <= len(name)+1 || n[:len(name)+1] != name+"." {
			continue
		}
		i, err := strconv.Atoi(n[len(name)+1:])
		if err != nil || i < 1 || strconv.Itoa(i) != n[len(name)+1:] {
			continue
		}
		nums[i] = filepath.Join(dir, n)
		idx = append(idx, i)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(idx)))
	out := make([]string, 0, len(idx)+1)
	for _, i := range idx {
		out = append(out, nums[i])
	}
	if current != "" {
		out = append(out, current)
	}
	return out
}
