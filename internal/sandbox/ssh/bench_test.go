package ssh

import (
	"context"
	"testing"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// BenchmarkRoundTrip is one `echo` over the open connection: session,
// boot script, exports, command, exit status.
func BenchmarkRoundTrip(b *testing.B) {
	s := startServer(b)
	be := s.backend(b, s.dir)
	for b.Loop() {
		res, err := be.Run(context.Background(), sandbox.Spec{Command: "echo hi"})
		if err != nil || res.Output != "hi\n" {
			b.Fatalf("%v %+v", err, res)
		}
	}
}

// BenchmarkShellRoundTrip is one command in the persistent shell.
func BenchmarkShellRoundTrip(b *testing.B) {
	s := startServer(b)
	be := s.backend(b, s.dir)
	sh, err := be.Shell(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = sh.Close() }()
	for b.Loop() {
		res, err := sh.Run(context.Background(), sandbox.Spec{Command: "echo hi"})
		if err != nil || res.Output != "hi\n" {
			b.Fatalf("%v %+v", err, res)
		}
	}
}

// BenchmarkKill is Kill of a running background command until Done:
// the group kill through the killer session and the end of the command's
// session. Starting the command is not timed.
func BenchmarkKill(b *testing.B) {
	s := startServer(b)
	be := s.backend(b, s.dir)
	for b.Loop() {
		b.StopTimer()
		p, err := be.Start(context.Background(), sandbox.Spec{Command: "sleep 60"})
		if err != nil {
			b.Fatal(err)
		}
		<-p.(*process).r.started
		b.StartTimer()
		if err := p.Kill(); err != nil {
			b.Fatal(err)
		}
		<-p.Done()
	}
}
