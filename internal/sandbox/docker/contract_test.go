package docker

import (
	"context"
	"time"

	"testing"

	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/sandbox/sandboxtest"
)

func TestContract(t *testing.T) {
	o := options(t)
	sandboxtest.Contract(t, func(t *testing.T) sandbox.Backend { return start(t, o).b })
}

func TestShellInterruptKeepsShell(t *testing.T) {
	e := start(t, options(t))
	ctx := context.Background()
	sh, err := e.b.Shell(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sh.Close() }()
	if _, err := sh.Run(ctx, sandbox.Spec{Command: "cd /tmp && export KEEP=yes"}); err != nil {
		t.Fatal(err)
	}
	res, err := sh.Run(ctx, sandbox.Spec{Command: "sleep 308 & sleep 309", Timeout: 300 * time.Millisecond})
	if err != nil || !res.TimedOut || res.ExitCode != -1 {
		t.Fatalf("timed-out command: %+v, %v; want an interrupt that keeps the shell", res, err)
	}
	res, err = sh.Run(ctx, sandbox.Spec{Command: `echo "$PWD $KEEP"; ps -o args | grep -c "[s]leep 30"`})
	if err != nil || res.Output != "/tmp yes\n0\n" {
		t.Errorf("after the interrupt: %q, %v; want the shell's state kept and no sleep left", res.Output, err)
	}
}
