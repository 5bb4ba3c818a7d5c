package fileutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func lockPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "cron.lock")
}

func mustLock(t *testing.T, path string, opts LockOptions) *Lock {
	t.Helper()
	l, err := LockFile(t.Context(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Unlock() })
	return l
}

// TestLockInProcess: flock is per open file description, so a second
// LockFile in the same process (its own open) is refused, and the error
// names the pid recorded by WritePID.
func TestLockInProcess(t *testing.T) {
	t.Parallel()
	self := fmt.Sprintf("held by pid %d: ", os.Getpid())
	tests := []struct {
		name      string
		writePID  bool
		timeout   time.Duration
		wantParts []string
		notParts  []string
	}{
		{name: "try once, pid recorded", writePID: true, wantParts: []string{self, "tried once"}},
		{name: "50ms, pid recorded", writePID: true, timeout: 50 * time.Millisecond, wantParts: []string{self, "timed out after 50ms"}},
		{name: "50ms, no pid", timeout: 50 * time.Millisecond, wantParts: []string{"timed out after 50ms"}, notParts: []string{"held by"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := lockPath(t)
			l := mustLock(t, path, LockOptions{})
			if tt.writePID {
				if err := l.WritePID(); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			l2, err := LockFile(t.Context(), path, LockOptions{Timeout: tt.timeout})
			if !errors.Is(err, ErrLockTimeout) {
				_ = l2.Unlock()
				t.Fatalf("second LockFile err = %v, want ErrLockTimeout", err)
			}
			if waited := time.Since(start); waited < tt.timeout {
				t.Errorf("gave up after %v, before the %v timeout", waited, tt.timeout)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "lock "+path+": ") {
				t.Errorf("error %q does not start with the lock path", msg)
			}
			for _, p := range tt.wantParts {
				if !strings.Contains(msg, p) {
					t.Errorf("error %q lacks %q", msg, p)
				}
			}
			for _, p := range tt.notParts {
				if strings.Contains(msg, p) {
					t.Errorf("error %q contains %q", msg, p)
				}
			}
		})
	}
}

func TestLockLifecycle(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustLock(t, path, LockOptions{})
	if err := l.WritePID(); err != nil {
		t.Fatal(err)
	}
	if pid, err := ReadPID(path); err != nil || pid != os.Getpid() {
		t.Fatalf("ReadPID = %d, %v; want %d", pid, err, os.Getpid())
	}
	if got := mustMode(t, path); got&0o077 != 0 {
		t.Errorf("lock file mode = %v, want owner-only", got)
	}
	for i := range 2 {
		if err := l.Unlock(); err != nil {
			t.Fatalf("Unlock #%d: %v", i+1, err)
		}
	}
	if err := l.WritePID(); err == nil {
		t.Error("WritePID after Unlock succeeded")
	}
	if _, err := ReadPID(path); err == nil {
		t.Error("pid still recorded after Unlock")
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("lock file removed by Unlock: %v", err)
	}
	l2 := mustLock(t, path, LockOptions{}) // free again, no waiting
	if err := l2.Unlock(); err != nil {
		t.Fatal(err)
	}
	var nilLock *Lock
	if err := nilLock.Unlock(); err != nil {
		t.Errorf("nil Unlock: %v", err)
	}
}

func TestLockFileMissingDir(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nope", "x.lock")
	_, err := LockFile(t.Context(), path, LockOptions{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want fs.ErrNotExist naming %s", err, path)
	}
}

// TestLockAcrossProcesses: a child process (TestLockHelper) holds the lock
// and records its pid; the parent's LockFile times out naming that pid and
// succeeds once the child lets go.
func TestLockAcrossProcesses(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	cmd := helperCmd("TestLockHelper", envLock+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // no-op once it has exited
	eof := waitLine(t, stdout, "locked", 30*time.Second)
	child := cmd.Process.Pid

	if pid, err := ReadPID(path); err != nil || pid != child || !PIDAlive(pid) {
		t.Errorf("ReadPID = %d, %v; want live child %d", pid, err, child)
	}
	_, err = LockFile(t.Context(), path, LockOptions{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("LockFile while child holds it: %v, want ErrLockTimeout", err)
	}
	if want := "held by pid " + strconv.Itoa(child); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}

	if err := stdin.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := LockFile(t.Context(), path, LockOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("LockFile after child released: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	<-eof
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v\n%s", err, stderr.String())
	}
}

// TestLockShared: shared locks coexist; an exclusive lock waits for all of
// them and gets the lock once they are released.
func TestLockShared(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	s1 := mustLock(t, path, LockOptions{Shared: true})
	s2 := mustLock(t, path, LockOptions{Shared: true})
	if err := s1.WritePID(); err == nil {
		t.Error("WritePID on a shared lock succeeded")
	}
	if _, err := LockFile(t.Context(), path, LockOptions{Timeout: 30 * time.Millisecond}); !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("exclusive under shared locks: %v, want ErrLockTimeout", err)
	}

	got := make(chan error, 1)
	go func() {
		l, err := LockFile(t.Context(), path, LockOptions{Timeout: 10 * time.Second, Poll: 5 * time.Millisecond})
		if err == nil {
			err = l.Unlock()
		}
		got <- err
	}()
	if err := s1.Unlock(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		t.Fatalf("exclusive lock ended (%v) while a shared lock is still held", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := s2.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiting exclusive lock: %v", err)
	}
	// An exclusive holder keeps shared lockers out too.
	mustLock(t, path, LockOptions{})
	if _, err := LockFile(t.Context(), path, LockOptions{Shared: true}); !errors.Is(err, ErrLockTimeout) {
		t.Errorf("shared under exclusive: %v, want ErrLockTimeout", err)
	}
}

// TestLockContext: a wait ends when its context does, with ctx.Err()
// wrapped, and is not reported as a timeout.
func TestLockContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		timeout time.Duration
		ctx     func(context.Context) (context.Context, context.CancelFunc)
		want    error
	}{
		{name: "cancel while waiting forever", timeout: -1, want: context.Canceled,
			ctx: func(p context.Context) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(p)
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			}},
		{name: "deadline before timeout", timeout: 10 * time.Second, want: context.DeadlineExceeded,
			ctx: func(p context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(p, 50*time.Millisecond)
			}},
		{name: "already cancelled", timeout: -1, want: context.Canceled,
			ctx: func(p context.Context) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(p)
				cancel()
				return ctx, cancel
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := lockPath(t)
			mustLock(t, path, LockOptions{})
			ctx, cancel := tt.ctx(t.Context())
			defer cancel()
			start := time.Now()
			_, err := LockFile(ctx, path, LockOptions{Timeout: tt.timeout})
			if !errors.Is(err, tt.want) || errors.Is(err, ErrLockTimeout) {
				t.Fatalf("err = %v, want %v (and not ErrLockTimeout)", err, tt.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("returned after %v", d)
			}
		})
	}
}

// TestWithLockCounter: goroutines each doing read-increment-write under
// WithLock (each call its own open) never lose an update.
func TestWithLockCounter(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lock, counter := filepath.Join(dir, "counter.lock"), filepath.Join(dir, "counter")
	const workers, rounds = 8, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				if err := WithLock(t.Context(), lock, 30*time.Second, func() error { return increment(counter) }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := strings.TrimSpace(string(mustRead(t, counter))); got != strconv.Itoa(workers*rounds) {
		t.Errorf("counter = %s, want %d", got, workers*rounds)
	}
}

func increment(path string) error {
	n := 0
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if n, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return WriteFile(path, []byte(strconv.Itoa(n+1)+"\n"), PrivateFile)
}

func TestWithLock(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	boom := errors.New("boom")
	err := WithLock(t.Context(), path, 0, func() error {
		if _, err := LockFile(t.Context(), path, LockOptions{}); !errors.Is(err, ErrLockTimeout) {
			t.Errorf("lock not held inside fn: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("WithLock = %v, want fn's error", err)
	}
	mustLock(t, path, LockOptions{}) // released after fn
	ran := false
	err = WithLock(t.Context(), path, 20*time.Millisecond, func() error { ran = true; return nil })
	if !errors.Is(err, ErrLockTimeout) || ran {
		t.Errorf("WithLock on a held lock = %v (fn ran: %v), want ErrLockTimeout", err, ran)
	}
}

func TestReadPID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		content string
		want    int
		ok      bool
	}{
		{"1234\n", 1234, true},
		{" 42 ", 42, true},
		{"", 0, false},
		{"abc\n", 0, false},
		{"0\n", 0, false},
		{"-5\n", 0, false},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		path := filepath.Join(dir, strconv.Itoa(i))
		if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadPID(path)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ReadPID(%q) = %d, %v", tt.content, got, err)
		}
	}
	if _, err := ReadPID(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadPID(missing) = %v, want fs.ErrNotExist", err)
	}
}

func TestPIDAlive(t *testing.T) {
	t.Parallel()
	exited := exec.Command(os.Args[0], "-test.run=^$")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pid  int
		want bool
	}{
		{"self", os.Getpid(), true},
		{"init (alive; EPERM unless root)", 1, true},
		{"reaped child", exited.Process.Pid, false},
		{"zero", 0, false},
		{"negative", -1, false},
	}
	for _, tt := range tests {
		if got := PIDAlive(tt.pid); got != tt.want {
			t.Errorf("%s: PIDAlive(%d) = %v, want %v", tt.name, tt.pid, got, tt.want)
		}
	}
}
