package fileutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrLockTimeout is wrapped by the error LockFile returns when the lock is
// still held by someone else after LockOptions.Timeout. The full message
// names the lock file and, when known, the holder's pid:
//
//	lock /home/u/.hermes/cron.lock: held by pid 1234: timed out after 2s
var ErrLockTimeout = errors.New("timed out")

// errBusy means one non-blocking flock attempt found the lock taken.
var errBusy = errors.New("lock busy")

const (
	defaultPoll = 20 * time.Millisecond
	maxReopen   = 10 // times a replaced lock file is reopened
)

// LockOptions tunes LockFile.
type LockOptions struct {
	// Shared takes a shared (read) lock instead of an exclusive one.
	Shared bool
	// Timeout bounds the wait: zero tries once, negative waits until the
	// context is done.
	Timeout time.Duration
	// Poll is the retry interval while waiting; zero means 20ms.
	Poll time.Duration
}

// Lock is a held flock(2) lock. It is safe for concurrent use.
type Lock struct {
	mu         sync.Mutex
	f          *os.File // nil once unlocked
	path       string
	shared     bool
	pidWritten bool
}

// LockFile takes an flock(2) lock on path, creating the file with mode
// 0600 if it is missing (its directory must exist). It retries every
// opts.Poll until opts.Timeout passes, then fails with an error wrapping
// ErrLockTimeout; if ctx ends first the error wraps ctx.Err().
func LockFile(ctx context.Context, path string, opts LockOptions) (*Lock, error) {
	poll := opts.Poll
	if poll <= 0 {
		poll = defaultPoll
	}
	start := time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		l, err := tryLock(path, opts.Shared)
		if !errors.Is(err, errBusy) {
			return l, err
		}
		wait, ok := nextWait(start, opts.Timeout, poll)
		if !ok {
			return nil, timeoutError(path, opts.Timeout)
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
	}
}

// tryLock makes one non-blocking attempt. It returns errBusy if the lock
// is held elsewhere.
func tryLock(path string, shared bool) (*Lock, error) {
	how := unix.LOCK_EX
	if shared {
		how = unix.LOCK_SH
	}
	for range maxReopen {
		f, err := openLockFile(path)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if err := flock(f, how|unix.LOCK_NB); err != nil {
			_ = f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, errBusy
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if sameFile(f, path) {
			return &Lock{f: f, path: path, shared: shared}, nil
		}
		_ = f.Close() // the file was removed or replaced meanwhile; retry
	}
	return nil, fmt.Errorf("lock %s: lock file keeps being replaced", path)
}

// openLockFile opens path read-write, creating it 0600, and falls back to
// read-only (enough for flock) when the file is not writable.
func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, PrivateFile)
	if errors.Is(err, fs.ErrPermission) {
		if rf, rerr := os.Open(path); rerr == nil {
			return rf, nil
		}
	}
	return f, err
}

// flock calls flock(2), retrying on EINTR.
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// sameFile reports whether f is still the file at path.
func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// nextWait returns how long to sleep before the next attempt, or false
// when the timeout has passed.
func nextWait(start time.Time, timeout, poll time.Duration) (time.Duration, bool) {
	switch {
	case timeout == 0:
		return 0, false
	case timeout < 0:
		return poll, true
	}
	left := timeout - time.Since(start)
	if left <= 0 {
		return 0, false
	}
	return min(poll, left), true
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// timeoutError builds the ErrLockTimeout error, naming the holder when
// the lock file records a live pid.
func timeoutError(path string, timeout time.Duration) error {
	holder := ""
	if pid, err := ReadPID(path); err == nil && PIDAlive(pid) {
		holder = fmt.Sprintf("held by pid %d: ", pid)
	}
	if timeout == 0 {
		return fmt.Errorf("lock %s: %s%w (busy, tried once)", path, holder, ErrLockTimeout)
	}
	return fmt.Errorf("lock %s: %s%w after %s", path, holder, ErrLockTimeout, timeout)
}

// Unlock releases the lock. If WritePID was called the pid is erased
// first, so the file never names a process that no longer holds it.
// Calling Unlock again is a no-op.
func (l *Lock) Unlock() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.f
	if f == nil {
		return nil
	}
	l.f = nil
	var terr error
	if l.pidWritten {
		terr = f.Truncate(0)
	}
	err := errors.Join(terr, flock(f, unix.LOCK_UN), f.Close())
	if err != nil {
		return fmt.Errorf("unlock %s: %w", l.path, err)
	}
	return nil
}

// WritePID records the current pid (and a newline) in the lock file and
// fsyncs it, so a process that times out waiting can say who holds the
// lock. Only exclusive locks may record a pid.
func (l *Lock) WritePID() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.f == nil:
		return fmt.Errorf("write pid %s: lock released", l.path)
	case l.shared:
		return fmt.Errorf("write pid %s: lock is shared", l.path)
	}
	l.pidWritten = true
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("write pid %s: %w", l.path, err)
	}
	pid := strconv.Itoa(os.Getpid()) + "\n"
	if _, err := l.f.WriteAt([]byte(pid), 0); err != nil {
		return fmt.Errorf("write pid %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("write pid %s: %w", l.path, err)
	}
	return nil
}

// ReadPID returns the pid recorded in a lock file by WritePID. An empty
// file (the lock is free, or its holder did not record a pid) is an error.
func ReadPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read pid %s: %w", path, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return 0, fmt.Errorf("read pid %s: no pid recorded", path)
	}
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("read pid %s: invalid pid %q", path, s)
	}
	return pid, nil
}

// PIDAlive reports whether a process with this pid exists: kill(pid, 0)
// succeeds, or fails with EPERM (it exists but belongs to another user).
// A zombie counts as alive.
func PIDAlive(pid int) bool {
	if pid <= 0 {
		return false // 0 and negatives address process groups
	}
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// WithLock runs fn while holding an exclusive lock on lockPath, waiting at
// most timeout for it (see LockOptions.Timeout). The lock is released even
// if fn panics; an unlock failure is joined to fn's error.
func WithLock(ctx context.Context, lockPath string, timeout time.Duration, fn func() error) (err error) {
	l, err := LockFile(ctx, lockPath, LockOptions{Timeout: timeout})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, l.Unlock()) }()
	return fn()
}
