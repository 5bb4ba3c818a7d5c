// Package sandboxtest holds the behaviour every sandbox.Backend must show,
// as a test helper each backend's tests call with a constructor:
//
//	func TestContract(t *testing.T) {
//		sandboxtest.Contract(t, func(t *testing.T) sandbox.Backend { ... })
//	}
//
// The commands it runs are POSIX sh with busybox-level tools (echo, cat,
// printf, sleep, pwd, mkdir, touch, test), so minimal images pass too.
package sandboxtest

import (
	"context"
	"errors"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// Slack is how long past a deadline a backend may take to report it.
const Slack = 8 * time.Second

// Contract runs the Backend contract. newBackend builds a fresh backend;
// Contract closes each one it builds. When the backend is a
// sandbox.ShellBackend the persistent-shell contract runs too.
func Contract(t *testing.T, newBackend func(t *testing.T) sandbox.Backend) {
	t.Helper()
	b := newBackend(t)
	t.Cleanup(func() { _ = b.Close() })
	for _, c := range runCases {
		t.Run(c.name, func(t *testing.T) { c.check(t, b) })
	}
	t.Run("timeout kills the tree", func(t *testing.T) { timeoutKillsTree(t, b) })
	t.Run("ctx cancel", func(t *testing.T) { ctxCancel(t, b) })
	t.Run("background", func(t *testing.T) { background(t, b) })
	t.Run("close kills background", func(t *testing.T) {
		nb := newBackend(t)
		p := mustStart(t, nb, "sleep 60")
		if err := nb.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		waitDone(t, p, "background process after Close")
	})
	if sb, ok := b.(sandbox.ShellBackend); ok {
		t.Run("shell", func(t *testing.T) { ShellContract(t, sb) })
	}
}

type runCase struct {
	name  string
	check func(t *testing.T, b sandbox.Backend)
}

var runCases = []runCase{
	{"exit codes", func(t *testing.T, b sandbox.Backend) {
		for cmd, want := range map[string]int{"true": 0, "false": 1, "exit 7": 7, "(exit 42)": 42, "no-such-command-xyz": 127} {
			if res := MustRun(t, b, sandbox.Spec{Command: cmd}); res.ExitCode != want || res.TimedOut {
				t.Errorf("%q: exit %d (timed out %v), want %d", cmd, res.ExitCode, res.TimedOut, want)
			}
		}
	}},
	{"output", func(t *testing.T, b sandbox.Backend) {
		res := MustRun(t, b, sandbox.Spec{Command: "echo out; echo err >&2; printf tail"})
		if res.Output != "out\nerr\ntail" || res.Truncated {
			t.Errorf("got %q (truncated %v)", res.Output, res.Truncated)
		}
	}},
	{"truncation", func(t *testing.T, b sandbox.Backend) {
		res := MustRun(t, b, sandbox.Spec{MaxOutput: 2000,
			Command: "echo first; i=0; while [ $i -lt 5000 ]; do echo line-$i; i=$((i+1)); done; echo last"})
		if !res.Truncated || len(res.Output) > 2100 || !strings.HasPrefix(res.Output, "first\n") || !strings.HasSuffix(res.Output, "last\n") {
			t.Errorf("truncated %v, %d bytes: %.80q ... ", res.Truncated, len(res.Output), res.Output)
		}
	}},
	{"stdin", func(t *testing.T, b sandbox.Backend) {
		in := "line one\nit's $HOME `x` %s\n\tend"
		if res := MustRun(t, b, sandbox.Spec{Command: "cat", Stdin: strings.NewReader(in)}); res.Output != in {
			t.Errorf("stdin: got %q, want %q", res.Output, in)
		}
		if res := MustRun(t, b, sandbox.Spec{Command: "cat; echo eof", Timeout: 20 * time.Second}); res.Output != "eof\n" || res.TimedOut {
			t.Errorf("no stdin: got %q (timed out %v)", res.Output, res.TimedOut)
		}
	}},
	{"dir", func(t *testing.T, b sandbox.Backend) {
		ws := b.Workspace()
		if res := MustRun(t, b, sandbox.Spec{Command: "pwd"}); strings.TrimSpace(res.Output) != ws {
			t.Errorf("default dir: %q, want the workspace %q", res.Output, ws)
		}
		MustRun(t, b, sandbox.Spec{Command: "mkdir -p 'sub dir'"})
		want := path.Join(ws, "sub dir")
		if res := MustRun(t, b, sandbox.Spec{Command: "pwd", Dir: want}); strings.TrimSpace(res.Output) != want {
			t.Errorf("Spec.Dir: %q, want %q", res.Output, want)
		}
	}},
	{"env", func(t *testing.T, b sandbox.Backend) {
		res := MustRun(t, b, sandbox.Spec{Command: `printf '%s|%s' "$HERMES_CT_A" "$HERMES_CT_B"`,
			Env: map[string]string{"HERMES_CT_A": "a b", "HERMES_CT_B": "$x'y"}})
		if res.Output != "a b|$x'y" {
			t.Errorf("Spec.Env: got %q", res.Output)
		}
	}},
}

// timeoutKillsTree checks that a timeout ends the command and a child it
// put in the background: the child would touch a file a second later.
func timeoutKillsTree(t *testing.T, b sandbox.Backend) {
	MustRun(t, b, sandbox.Spec{Command: "rm -f tree-mark"})
	start := time.Now()
	res := MustRun(t, b, sandbox.Spec{Command: "(sleep 1; touch tree-mark) & echo started; sleep 60", Timeout: 300 * time.Millisecond})
	if !res.TimedOut || res.ExitCode != -1 {
		t.Errorf("timed out %v, exit %d; want true, -1", res.TimedOut, res.ExitCode)
	}
	if !strings.Contains(res.Output, "started") {
		t.Errorf("output before the timeout lost: %q", res.Output)
	}
	if d := time.Since(start); d > Slack {
		t.Errorf("a 300ms timeout took %v", d)
	}
	time.Sleep(2 * time.Second)
	if res := MustRun(t, b, sandbox.Spec{Command: "test -e tree-mark"}); res.ExitCode == 0 {
		t.Errorf("the command's background child survived the timeout")
	}
}

func ctxCancel(t *testing.T, b sandbox.Backend) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	res, err := b.Run(ctx, sandbox.Spec{Command: "sleep 60"})
	if d := time.Since(start); d > Slack {
		t.Fatalf("cancel took %v", d)
	}
	if !errors.Is(err, context.Canceled) && (res == nil || res.ExitCode != -1) {
		t.Fatalf("after cancel: %+v, %v; want context.Canceled or exit -1", res, err)
	}
}

func background(t *testing.T, b sandbox.Backend) {
	done := mustStart(t, b, "echo hi; echo err >&2; exit 4")
	waitDone(t, done, "short background command")
	if code, ok := done.ExitCode(); !ok || code != 4 {
		t.Errorf("exit %d, %v; want 4, true", code, ok)
	}
	if out, _ := done.Output(); out != "hi\nerr\n" {
		t.Errorf("output %q", out)
	}
	long := mustStart(t, b, "echo up; sleep 60")
	if long.ID() == "" || long.ID() == done.ID() || long.Command() != "echo up; sleep 60" {
		t.Errorf("ids %q and %q, command %q", done.ID(), long.ID(), long.Command())
	}
	deadline := time.Now().Add(Slack)
	for out, _ := long.Output(); !strings.Contains(out, "up"); out, _ = long.Output() {
		if time.Now().After(deadline) {
			t.Fatalf("no output from a running background process: %q", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, ended := long.ExitCode(); ended {
		t.Fatal("a sleeping process reports it has ended")
	}
	if err := long.Kill(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	waitDone(t, long, "killed background process")
	if err := long.Kill(); err != nil {
		t.Errorf("second kill: %v", err)
	}
}

// ShellContract checks a backend's persistent shell.
func ShellContract(t *testing.T, sb sandbox.ShellBackend) {
	ctx := context.Background()
	sh, err := sb.Shell(ctx)
	if err != nil {
		t.Fatalf("shell: %v", err)
	}
	defer func() { _ = sh.Close() }()
	run := func(s sandbox.Spec) *sandbox.Result {
		t.Helper()
		res, err := sh.Run(ctx, s)
		if err != nil {
			t.Fatalf("shell run %q: %v", s.Command, err)
		}
		return res
	}
	ws := sb.Workspace()
	if res := run(sandbox.Spec{Command: "pwd"}); strings.TrimSpace(res.Output) != ws {
		t.Errorf("shell starts in %q, want %q", res.Output, ws)
	}
	run(sandbox.Spec{Command: "mkdir -p keep && cd keep && export HERMES_KEEP=kept"})
	if res := run(sandbox.Spec{Command: `pwd; echo "$HERMES_KEEP"`}); res.Output != path.Join(ws, "keep")+"\nkept\n" {
		t.Errorf("cd/export did not persist: %q", res.Output)
	}
	res := run(sandbox.Spec{Command: "echo in; cat", Stdin: strings.NewReader("fed")})
	if res.Output != "in\nfed" {
		t.Errorf("shell stdin: %q", res.Output)
	}
	start := time.Now()
	res, err = sh.Run(ctx, sandbox.Spec{Command: "sleep 60", Timeout: 300 * time.Millisecond})
	if time.Since(start) > Slack || res == nil || !res.TimedOut {
		t.Fatalf("shell timeout: %+v, %v after %v", res, err, time.Since(start))
	}
	if err != nil {
		// The backend could not interrupt the command: the shell is gone.
		if !errors.Is(err, sandbox.ErrShellClosed) {
			t.Fatalf("shell timeout error %v does not wrap ErrShellClosed", err)
		}
		if sh, err = sb.Shell(ctx); err != nil {
			t.Fatalf("new shell: %v", err)
		}
	} else if res := run(sandbox.Spec{Command: "echo alive"}); res.Output != "alive\n" {
		t.Errorf("shell after a timeout: %q", res.Output)
	}
	if res := run(sandbox.Spec{Command: "echo bye; exit 3"}); res.ExitCode != 3 || res.Output != "bye\n" {
		t.Errorf("exit 3: %+v", res)
	}
	if _, err := sh.Run(ctx, sandbox.Spec{Command: "true"}); !errors.Is(err, sandbox.ErrShellExited) {
		t.Errorf("run after exit: %v, want ErrShellExited", err)
	}
}

// MustRun runs s on b and fails the test if it could not run.
func MustRun(t testing.TB, b sandbox.Backend, s sandbox.Spec) *sandbox.Result {
	t.Helper()
	res, err := b.Run(context.Background(), s)
	if err != nil {
		t.Fatalf("run %q: %v", s.Command, err)
	}
	return res
}

func mustStart(t *testing.T, b sandbox.Backend, cmd string) sandbox.Process {
	t.Helper()
	p, err := b.Start(context.Background(), sandbox.Spec{Command: cmd})
	if err != nil {
		t.Fatalf("start %q: %v", cmd, err)
	}
	return p
}

func waitDone(t *testing.T, p sandbox.Process, what string) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(Slack):
		t.Fatalf("%s (%s) did not end", what, p.ID())
	}
	if _, ok := p.ExitCode(); !ok {
		t.Errorf("%s: Done closed but ExitCode says it has not ended", what)
	}
}
