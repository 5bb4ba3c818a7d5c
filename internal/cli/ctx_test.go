package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/llmtest"
)

// runCtx runs the command tree from ctx, as Main does from a context that
// SIGINT cancels.
func runCtx(ctx context.Context, home string, args ...string) result {
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "HERMES_HOME" {
			return home
		}
		return ""
	}
	code := runApp(&App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: getenv, ctx: ctx}, args)
	return result{out.String(), errb.String(), code}
}

// TestSessionsStopWithTheContext: the sessions commands query the store
// with the command's context, so a cancelled one (Ctrl-C) stops them.
func TestSessionsStopWithTheContext(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	seedSessions(t, home)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{{"sessions", "list"}, {"sessions", "stats"}, {"sessions", "search", "docker"}} {
		r := runCtx(ctx, home, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "context canceled") {
			t.Errorf("%v with a cancelled context: %+v", args, r)
		}
		if r := runCtx(context.Background(), home, args...); r.code != 0 {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

// TestModelTestStopsWithTheContext: a model that does not answer is given
// up as soon as the command's context ends, not after --timeout.
func TestModelTestStopsWithTheContext(t *testing.T) {
	t.Parallel()
	s, err := llmtest.ParseScript([]byte("steps: [{times: -1, response: {text: OK, delay: 10m}}]"))
	if err != nil {
		t.Fatal(err)
	}
	srv := llmtest.New(t, s)
	srv.AllowUnused()
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config.yaml"), "model:\n  provider: custom\n  default: slow\n  base_url: "+srv.OpenAIBaseURL()+"\n", 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- runCtx(ctx, home, "model", "test", "--timeout", "10m") }()
	deadline := time.Now().Add(30 * time.Second)
	for len(srv.Requests()) == 0 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("the model test sent no request")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case r := <-done:
		if r.code != 1 || !strings.Contains(r.stdout, "✗ primary") {
			t.Errorf("model test after cancel: %+v", r)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("model test did not stop when its context was cancelled")
	}
}
