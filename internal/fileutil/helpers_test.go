package fileutil

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Environment variables that turn the test binary into a helper process.
const (
	envCrash   = "HERMES_FILEUTIL_CRASH"    // file the crash helper overwrites
	envCrashAt = "HERMES_FILEUTIL_CRASH_AT" // "rename" or "fill"
	envLock    = "HERMES_FILEUTIL_LOCK"     // lock file the lock helper holds
)

// Contents the crash helper tries to write.
var (
	crashNew  = []byte(`{"token":"new-and-longer-than-before"}` + "\n")
	crashHalf = crashNew[:len(crashNew)/2]
)

// TestCrashHelper is not a test: TestCrash re-executes the test binary to
// run it. It overwrites $HERMES_FILEUTIL_CRASH and SIGKILLs itself midway.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(envCrash)
	if path == "" {
		t.Skip("helper process for TestCrash")
	}
	var err error
	switch at := os.Getenv(envCrashAt); at {
	case "rename":
		beforeRename = func(string) { killSelf() }
		err = WriteFile(path, crashNew, PrivateFile)
	case "fill":
		err = WriteFileFrom(path, PrivateFile, func(w io.Writer) error {
			if _, err := w.Write(crashHalf); err != nil {
				return err
			}
			killSelf()
			return nil
		})
	default:
		t.Fatalf("unknown %s=%q", envCrashAt, at)
	}
	t.Fatalf("still alive after SIGKILL (write error: %v)", err)
}

func killSelf() {
	_ = unix.Kill(os.Getpid(), unix.SIGKILL)
	time.Sleep(time.Minute) // SIGKILL cannot be caught; never returns
}

// TestLockHelper is not a test: TestLockAcrossProcesses re-executes the
// test binary to run it. It locks $HERMES_FILEUTIL_LOCK, records its pid,
// prints "locked" and holds the lock until stdin is closed.
func TestLockHelper(t *testing.T) {
	path := os.Getenv(envLock)
	if path == "" {
		t.Skip("helper process for TestLockAcrossProcesses")
	}
	l, err := LockFile(t.Context(), path, LockOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.WritePID(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
}

// helperCmd re-executes the test binary running only the named helper.
func helperCmd(name string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// requireKilled asserts that err is a helper's death by SIGKILL.
func requireKilled(t *testing.T, err error, out []byte) {
	t.Helper()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("helper did not die: err=%v\n%s", err, out)
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper ended with %v, want SIGKILL\n%s", err, out)
	}
}

// waitLine reads r until a line equal to want, failing after d. It keeps
// draining r in the background; done is closed at EOF.
func waitLine(t *testing.T, r io.Reader, want string, d time.Duration) (done <-chan struct{}) {
	t.Helper()
	found := make(chan struct{})
	eof := make(chan struct{})
	go func() {
		defer close(eof)
		sc := bufio.NewScanner(r)
		seen := false
		for sc.Scan() {
			if !seen && sc.Text() == want {
				seen = true
				close(found)
			}
		}
	}()
	select {
	case <-found:
	case <-eof:
		t.Fatalf("helper exited without printing %q", want)
	case <-time.After(d):
		t.Fatalf("no %q from helper after %v", want, d)
	}
	return eof
}

// temps lists the temp files WriteFile may have left for dir/base.
func temps(t *testing.T, dir, base string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "."+base+".tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}
