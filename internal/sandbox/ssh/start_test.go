package ssh

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/sandbox/sandboxtest"
)

// slowLogin is how long a slow server's login takes before it runs a
// command session's boot command: longer than killGrace, as a heavy
// ~/.bashrc on a loaded host can be.
const slowLogin = 3500 * time.Millisecond

// startSlowServer is a server whose login shell sleeps slowLogin before
// every command session (those carrying an end marker) once the file
// s.dir/slow exists; kill and shell sessions start at once. It returns
// the server and a function that turns the delay on.
func startSlowServer(t *testing.T) (*server, func()) {
	t.Helper()
	flag := filepath.Join(t.TempDir(), "slow")
	s := startServerConf(t, fmt.Sprintf(
		`ForceCommand case "$SSH_ORIGINAL_COMMAND" in *HERMES_END_*) [ -e %s ] && sleep %.1f;; esac; eval "$SSH_ORIGINAL_COMMAND"`,
		flag, slowLogin.Seconds()))
	return s, func() { mustWrite(t, flag, "") }
}

// TestSlowLoginTimeout is the contract's "timeout kills the tree" on a
// host whose login takes longer than killGrace: the timeout counts from
// the moment the command starts, and its process group is killed.
func TestSlowLoginTimeout(t *testing.T) {
	t.Parallel()
	s, slow := startSlowServer(t)
	b := s.backend(t, t.TempDir())
	slow()
	start := time.Now()
	res, err := b.Run(context.Background(), sandbox.Spec{
		Command: "(sleep 1; touch tree-mark) & echo started; sleep 60",
		Timeout: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.ExitCode != -1 || res.Output != "started\n" {
		t.Errorf("result %+v; want timed out, exit -1, output %q", res, "started\n")
	}
	if d := time.Since(start); d > slowLogin+sandboxtest.Slack {
		t.Errorf("took %v", d)
	}
	if appeared(filepath.Join(b.Workspace(), "tree-mark"), 2*time.Second) {
		t.Error("the command's background child survived the timeout")
	}
}

// TestKillBeforeStart kills background commands and cancels a Run while
// the remote login is still running: the command must never run, however
// late the login finishes.
func TestKillBeforeStart(t *testing.T) {
	t.Parallel()
	s, slow := startSlowServer(t)
	b := s.backend(t, t.TempDir())
	slow()
	mark := func(name string) string { return filepath.Join(b.Workspace(), name) }

	p, err := b.Start(context.Background(), sandbox.Spec{Command: "touch started-anyway"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(killGrace):
		t.Fatal("Kill did not end a command that had not started")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("kill took %v", d)
	}
	if code, ok := p.ExitCode(); !ok || code != -1 {
		t.Errorf("exit %d, %v; want -1, true", code, ok)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start = time.Now()
	res, err := b.Run(ctx, sandbox.Spec{Command: "touch ran-anyway"})
	if !errors.Is(err, context.Canceled) || res == nil || res.ExitCode != -1 {
		t.Errorf("after cancel: %+v, %v; want exit -1 and context.Canceled", res, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancel took %v", d)
	}

	quiet := time.Now().Add(slowLogin + time.Second) // the slow logins are over
	for _, name := range []string{"started-anyway", "ran-anyway"} {
		if appeared(mark(name), time.Until(quiet)) {
			t.Errorf("%s: the command ran after it was killed", name)
		}
	}
	if entries, err := os.ReadDir(b.Workspace()); err != nil || len(entries) != 0 {
		t.Errorf("workspace after the kills holds %v (%v)", entries, err)
	}
}

// TestNoisyLogin: a login shell whose rc files print on stdout and stderr
// (motd, pyenv warnings) leaves the commands' output and the workspace
// path untouched.
func TestNoisyLogin(t *testing.T) {
	t.Parallel()
	s := startServerConf(t, `ForceCommand echo "Welcome to the box"; echo "pyenv: cannot rehash" >&2; eval "$SSH_ORIGINAL_COMMAND"`)
	b := s.backend(t, t.TempDir())
	res, err := b.Run(context.Background(), sandbox.Spec{Command: "echo hi; echo oops >&2", Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != "hi\noops\n" || res.ExitCode != 0 {
		t.Errorf("output %q (exit %d), want only the command's", res.Output, res.ExitCode)
	}
	if ws := b.Workspace(); !strings.HasPrefix(ws, "/") || strings.Contains(ws, "Welcome") {
		t.Errorf("workspace %q", ws)
	}
}

// appeared polls for path for up to limit and reports whether it came
// into being: a command that should have been killed would make it.
func appeared(path string, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		if _, err := os.Stat(path); err == nil {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
