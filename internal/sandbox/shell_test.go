package sandbox

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startSh runs a local sh for a pipe shell; interrupt adds an Interrupt
// that kills the shell's children.
func startSh(t testing.TB, interrupt bool) Shell {
	t.Helper()
	cmd := exec.Command("sh")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	c := PipeShellConfig{Stdin: stdin, Stdout: r, Close: func() error {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		return r.Close()
	}}
	if interrupt {
		c.Interrupt = func() error { KillDescendants(cmd.Process.Pid); return nil }
	}
	sh := NewPipeShellConfig(c)
	t.Cleanup(func() { _ = sh.Close() })
	return sh
}

func mustRun(t *testing.T, sh Shell, s Spec) *Result {
	t.Helper()
	res, err := sh.Run(context.Background(), s)
	if err != nil {
		t.Fatalf("run %q: %v", s.Command, err)
	}
	return res
}

func TestPipeShellBasics(t *testing.T) {
	t.Parallel()
	sh := startSh(t, true)
	dir := t.TempDir()
	tests := []struct {
		name string
		spec Spec
		out  string
		code int
	}{
		{"echo", Spec{Command: "echo hello"}, "hello\n", 0},
		{"no trailing newline", Spec{Command: "printf abc"}, "abc", 0},
		{"status", Spec{Command: "false"}, "", 1},
		{"stderr merged", Spec{Command: "echo err >&2; exit_code=5; (exit $exit_code)"}, "err\n", 5},
		{"syntax error keeps the shell", Spec{Command: "if then"}, "", 2},
		{"quotes", Spec{Command: `echo 'it'"'"'s' "$((1+2))"`}, "it's 3\n", 0},
		{"stdin empty", Spec{Command: "cat; echo done"}, "done\n", 0},
		{"stdin", Spec{Command: "cat", Stdin: strings.NewReader("a'b\\c%d\x00\n\xffz")}, "a'b\\c%d\x00\n\xffz", 0},
		{"dir", Spec{Command: "pwd", Dir: dir}, dir + "\n", 0},
		{"bad dir", Spec{Command: "echo never", Dir: dir + "/missing"}, "", 2},
		{"env", Spec{Command: `echo "$A/$B"`, Env: map[string]string{"A": "x y", "B": "$HOME'"}}, "x y/$HOME'\n", 0},
		{"set -x does not leak the sentinel", Spec{Command: "set -x; echo v; set +x"}, "", 0},
	}
	for _, tt := range tests {
		res := mustRun(t, sh, tt.spec)
		if tt.name == "syntax error keeps the shell" || tt.name == "bad dir" || tt.name == "set -x does not leak the sentinel" {
			if res.ExitCode != tt.code || strings.Contains(res.Output, "__hermes_") {
				t.Errorf("%s: got %d %q", tt.name, res.ExitCode, res.Output)
			}
			continue
		}
		if res.Output != tt.out || res.ExitCode != tt.code {
			t.Errorf("%s: got %d %q, want %d %q", tt.name, res.ExitCode, res.Output, tt.code, tt.out)
		}
	}
}

func TestPipeShellPersists(t *testing.T) {
	t.Parallel()
	sh := startSh(t, true)
	dir := t.TempDir()
	mustRun(t, sh, Spec{Command: "cd " + ShellQuote(dir) + " && export KEEP=kept && f() { echo fn; }"})
	res := mustRun(t, sh, Spec{Command: `pwd; echo "$KEEP"; f`})
	if want := dir + "\nkept\nfn\n"; res.Output != want {
		t.Fatalf("got %q, want %q", res.Output, want)
	}
}

func TestPipeShellTruncates(t *testing.T) {
	t.Parallel()
	sh := startSh(t, true)
	res := mustRun(t, sh, Spec{Command: "i=0; while [ $i -lt 3000 ]; do echo line$i; i=$((i+1)); done", MaxOutput: 100})
	if !res.Truncated || !strings.HasPrefix(res.Output, "line0\n") || !strings.HasSuffix(res.Output, "line2999\n") {
		t.Fatalf("truncated=%v %q", res.Truncated, res.Output)
	}
}

func TestPipeShellTimeoutInterrupts(t *testing.T) {
	t.Parallel()
	sh := startSh(t, true)
	start := time.Now()
	res, err := sh.Run(context.Background(), Spec{Command: "echo before; sleep 30", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.ExitCode != -1 || !strings.HasPrefix(res.Output, "before\n") || time.Since(start) > 5*time.Second {
		t.Fatalf("%+v after %v", res, time.Since(start))
	}
	if res := mustRun(t, sh, Spec{Command: "echo after"}); res.Output != "after\n" {
		t.Fatalf("shell unusable after a timeout: %+v", res)
	}
}

func TestPipeShellCancel(t *testing.T) {
	t.Parallel()
	sh := startSh(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res, err := sh.Run(ctx, Spec{Command: "sleep 30"})
	if !errors.Is(err, context.Canceled) || res == nil || res.ExitCode != -1 {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := sh.Run(ctx, Spec{Command: "true"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("run with a done ctx: %v", err)
	}
	if res := mustRun(t, sh, Spec{Command: "echo ok"}); res.Output != "ok\n" {
		t.Fatalf("%+v", res)
	}
}

func TestPipeShellTimeoutWithoutInterruptCloses(t *testing.T) {
	t.Parallel()
	sh := startSh(t, false)
	res, err := sh.Run(context.Background(), Spec{Command: "sleep 30", Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrShellClosed) || res == nil || !res.TimedOut {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := sh.Run(context.Background(), Spec{Command: "true"}); !errors.Is(err, ErrShellClosed) {
		t.Fatalf("next run: %v", err)
	}
}

func TestPipeShellExit(t *testing.T) {
	t.Parallel()
	sh := startSh(t, true)
	res := mustRun(t, sh, Spec{Command: "echo bye; exit 3"})
	if res.ExitCode != 3 || res.Output != "bye\n" {
		t.Fatalf("%+v", res)
	}
	_, err := sh.Run(context.Background(), Spec{Command: "true"})
	if !errors.Is(err, ErrShellExited) || !strings.Contains(err.Error(), "status 3") {
		t.Fatalf("next run: %v", err)
	}
}

func TestPipeShellBadEnvName(t *testing.T) {
	t.Parallel()
	sh := startSh(t, true)
	if _, err := sh.Run(context.Background(), Spec{Command: "true", Env: map[string]string{"A;rm": "x"}}); err == nil {
		t.Fatal("a bad variable name was accepted")
	}
	mustRun(t, sh, Spec{Command: "true"})
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "plain", "it's", "$(rm -rf /)", "a\nb", `\'"`, "--x"} {
		out, err := exec.Command("sh", "-c", "printf %s "+ShellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("ShellQuote(%q) = %s: sh printed %q (%v)", s, ShellQuote(s), out, err)
		}
	}
}

func BenchmarkShellRun(b *testing.B) {
	sh := startSh(b, true)
	for b.Loop() {
		if _, err := sh.Run(context.Background(), Spec{Command: "true"}); err != nil {
			b.Fatal(err)
		}
	}
}
