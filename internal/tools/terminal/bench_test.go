package terminal

import (
	"testing"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// BenchmarkForegroundShell is one safe command through the registry, the
// guard and the session's persistent local shell.
func BenchmarkForegroundShell(b *testing.B) {
	benchForeground(b, true)
}

// BenchmarkForegroundFresh is the same with a new sh -c per command.
func BenchmarkForegroundFresh(b *testing.B) {
	benchForeground(b, false)
}

func benchForeground(b *testing.B, persistent bool) {
	f := newFixture(b, nil)
	s := DefaultSettings()
	s.PersistentShell = persistent
	if err := Configure(f.env, s); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m := callEnv(b, f.env, "terminal", `{"command":"echo hi"}`)
		if m.IsError {
			b.Fatal(m.Content)
		}
	}
}

// BenchmarkDelta is a poll of a full 1 MiB capture with new output.
func BenchmarkDelta(b *testing.B) {
	c := sandbox.NewCapture(sandbox.DefaultMaxOutput)
	line := []byte("some build output line that goes on for a while, 64 bytes long\n")
	for range 40_000 {
		_, _ = c.Write(line)
	}
	out, trunc := c.String()
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if s, _ := delta(out, trunc, sandbox.DefaultMaxOutput, 2_000_000); s == "" {
			b.Fatal("no output")
		}
	}
}
