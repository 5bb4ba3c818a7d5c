package backends

import (
	"context"
	"os"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/testenv"
)

// BenchmarkOneCommand is the cost of the sandbox: one command (`true`)
// through auto (bubblewrap where it works) against local, cold (Run: a
// new sandbox per command) and through the persistent shell (the
// sandbox is made once per session).
//
//	go test -run XXX -bench OneCommand ./internal/sandbox/backends/
func BenchmarkOneCommand(b *testing.B) {
	for _, backend := range []string{"auto", "local"} {
		if backend == "auto" && sandbox.ResolveAuto().Backend != "bubblewrap" {
			testenv.Bwrap(b)
		}
		o := sandbox.Options{Terminal: config.Terminal{Backend: backend, Network: true}, Workspace: b.TempDir(), HomeDir: b.TempDir(), Env: os.Environ()}
		be, err := sandbox.New(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(backend+"="+be.Name()+"/run", func(b *testing.B) {
			for b.Loop() {
				if res, err := be.Run(context.Background(), sandbox.Spec{Command: "true"}); err != nil || res.ExitCode != 0 {
					b.Fatal(err, res)
				}
			}
		})
		b.Run(backend+"="+be.Name()+"/shell", func(b *testing.B) {
			sh, err := be.(sandbox.ShellBackend).Shell(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			defer sh.Close()
			for b.Loop() {
				if res, err := sh.Run(context.Background(), sandbox.Spec{Command: "true"}); err != nil || res.ExitCode != 0 {
					b.Fatal(err, res)
				}
			}
		})
		_ = be.Close()
	}
}
