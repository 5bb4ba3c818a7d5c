package cli

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/hermes-go/hermes/internal/llmtest"
	"github.com/hermes-go/hermes/internal/testenv"
)

// ptyOutput collects what the program writes to its terminal.
type ptyOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *ptyOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *ptyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// TestREPLCtrlCUnderPTY drives the built binary on a real pseudo-terminal:
// one Ctrl-C at the prompt clears the line and keeps the REPL; a second in
// a row exits it.
func TestREPLCtrlCUnderPTY(t *testing.T) {
	testenv.Short(t, "builds the binary")
	t.Parallel()
	bin := testenv.BuildHermes(t)
	srv := llmtest.New(t, llmtest.Script{})
	home := chatHome(t, srv, "")
	os.Chmod(home, 0o700)
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"HERMES_HOME=" + home, chatKeyEnv + "=sk-test-key", "HOME=" + t.TempDir(), "TERM=xterm", "PATH=" + os.Getenv("PATH")}
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	out := &ptyOutput{}
	go func() { _, _ = io.Copy(out, tty) }() // until EIO: the program exited
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	wait := func(want string, n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for strings.Count(out.String(), want) < n {
			select {
			case err := <-exited:
				t.Fatalf("hermes exited (%v) waiting for %q:\n%s", err, want, out.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %q:\n%s", want, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wait("Ctrl-D to exit", 1)
	wait("› ", 1)
	tty.Write([]byte("half a line"))
	wait("half a line", 1)
	tty.Write([]byte{3})
	wait("press Ctrl-C again", 1)
	wait("› ", 2)
	select {
	case err := <-exited:
		t.Fatalf("one Ctrl-C exited (%v):\n%s", err, out.String())
	case <-time.After(300 * time.Millisecond):
	}
	tty.Write([]byte{3})
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("a second Ctrl-C did not exit:\n%s", out.String())
	}
}
