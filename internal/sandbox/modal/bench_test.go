package modal

import (
	"context"
	"testing"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// BenchmarkRun is one foreground command's round trip through the SDK to
// the local fake control plane: the env secret, the exec, both output
// streams, stdin's end and the exit status. It measures the backend's and
// the SDK's own cost; Modal's network latency comes on top.
func BenchmarkRun(b *testing.B) {
	startFake(b)
	be := open(b, testOptions(b))
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		res, err := be.Run(ctx, sandbox.Spec{Command: "true"})
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("%+v, %v", res, err)
		}
	}
}

// BenchmarkExecEnv is building one command's environment from a parent
// environment of typical size.
func BenchmarkExecEnv(b *testing.B) {
	parent := []string{"PATH=/usr/bin", "HOME=/root", "LANG=C.UTF-8", "OPENAI_API_KEY=sk", "TERM=xterm"}
	for len(parent) < 60 {
		parent = append(parent, "VAR_"+string(rune('A'+len(parent)%26))+string(rune('A'+len(parent)/26))+"=value")
	}
	be := &Backend{parent: sandboxParent(parent), pass: map[string]string{"PASSED": "1"}}
	extra := map[string]string{"X": "1", "Y": "2"}
	for b.Loop() {
		if env := be.execEnv(extra); len(env) == 0 {
			b.Fatal("empty env")
		}
	}
}
