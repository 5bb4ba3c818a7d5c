package ssh

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/sandbox"
)

func TestRun(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ws := filepath.Join(s.dir, "work space")
	b := s.backend(t, ws)
	if b.Workspace() != ws {
		t.Fatalf("Workspace = %q, want %q", b.Workspace(), ws)
	}
	if err := os.Mkdir(filepath.Join(ws, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		spec  sandbox.Spec
		out   string
		code  int
		trunc bool
	}{
		{"echo", sandbox.Spec{Command: "echo hello"}, "hello\n", 0, false},
		{"status", sandbox.Spec{Command: "exit 3"}, "", 3, false},
		{"stderr", sandbox.Spec{Command: "echo oops >&2; false"}, "oops\n", 1, false},
		{"cwd", sandbox.Spec{Command: "pwd"}, ws + "\n", 0, false},
		{"relative dir", sandbox.Spec{Command: "pwd", Dir: "sub"}, filepath.Join(ws, "sub") + "\n", 0, false},
		{"stdin", sandbox.Spec{Command: "tr a-z A-Z", Stdin: strings.NewReader("abc\n")}, "ABC\n", 0, false},
		{"no stdin", sandbox.Spec{Command: "cat; echo end"}, "end\n", 0, false},
		{"env", sandbox.Spec{Command: `printf '%s' "$X"`, Env: map[string]string{"X": "it's $HOME\n`x`"}}, "it's $HOME\n`x`", 0, false},
		{"multi-line", sandbox.Spec{Command: "for i in 1 2; do\n  echo $i\ndone"}, "1\n2\n", 0, false},
		{"syntax error", sandbox.Spec{Command: "if then"}, "", 2, false},
		{"truncated", sandbox.Spec{Command: "seq 1 5000", MaxOutput: 100}, "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := b.Run(context.Background(), tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != tt.code {
				t.Errorf("exit = %d, want %d (output %q)", res.ExitCode, tt.code, res.Output)
			}
			if tt.name == "syntax error" {
				if res.Output == "" {
					t.Error("no error message")
				}
				return
			}
			if res.Truncated != tt.trunc {
				t.Errorf("truncated = %v", res.Truncated)
			}
			if !tt.trunc && res.Output != tt.out {
				t.Errorf("output = %q, want %q", res.Output, tt.out)
			}
			if tt.trunc && (!strings.HasPrefix(res.Output, "1\n2\n") || !strings.HasSuffix(res.Output, "5000\n")) {
				t.Errorf("truncated output = %q", res.Output)
			}
		})
	}
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.backend(t, s.dir)
	pidFile := filepath.Join(s.dir, "pids")
	start := time.Now()
	res, err := b.Run(context.Background(), sandbox.Spec{
		Command: "sleep 60 & echo $! > " + pidFile + "; (sleep 61; echo never) ; echo never",
		Timeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.ExitCode != -1 || strings.Contains(res.Output, "never") {
		t.Fatalf("result = %+v", res)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("took %v", d)
	}
	// sshd runs on this machine, so the remote pid is a local pid.
	assertDead(t, pidFile)
}

func TestCancelKills(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.backend(t, s.dir)
	pidFile := filepath.Join(s.dir, "pids")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { // cancel once the command runs: a slow login must not decide the test
		defer cancel()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			if data, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(data), "\n") {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	res, err := b.Run(ctx, sandbox.Spec{Command: "sleep 60 & echo $! > " + pidFile + "; wait"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res == nil || res.ExitCode != -1 || res.TimedOut {
		t.Fatalf("result = %+v", res)
	}
	assertDead(t, pidFile)
}

// assertDead waits for the pid in file to be gone.
func assertDead(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(stat), ") Z ") {
			return // a zombie is dead
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
