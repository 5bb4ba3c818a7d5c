package chat

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/llmtest"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/testenv"
)

func TestREPLSandbox(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{})
	tests := []struct {
		name    string
		backend string
		bwrap   bool
		want    []string
	}{
		{"auto", "auto", true, []string{"backend:   auto -> bubblewrap (", "workspace: ", "network:   the host's", "hidden:    ", "(all but the workspace)", "~/.ssh", "outside the sandbox"}},
		{"local", "local", false, []string{"backend:   local", "isolation: none", "apt install bubblewrap"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.bwrap {
				testenv.Bwrap(t)
			}
			o := testOptions(t, srv)
			o.Config.Terminal.Backend = tt.backend
			out := &syncBuffer{}
			o.Stdout = out
			o.Stdin = strings.NewReader("/sandbox\n")
			if err := REPL(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			for _, w := range append(tt.want, "workspace: "+o.Cwd) {
				if !strings.Contains(got, w) {
					t.Errorf("/sandbox lacks %q:\n%s", w, got)
				}
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("/sandbox sent %d requests to the model", n)
	}
}

// TestWriteSandboxExposed: the exposed and hidden credential paths show.
func TestWriteSandboxExposed(t *testing.T) {
	testenv.Bwrap(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, d := range []string{".ssh", ".aws"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	term := config.Terminal{Backend: "bubblewrap", Expose: []string{"~/.ssh"}, Network: false}
	b, err := sandbox.New(context.Background(), sandbox.Options{Terminal: term, Workspace: home, HomeDir: filepath.Join(t.TempDir(), "hermes"), Env: os.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var w bytes.Buffer
	writeSandbox(&w, term, b)
	for _, want := range []string{"backend:   bubblewrap", "network:   only the sandbox's own loopback", "exposed:   " + filepath.Join(home, ".ssh"), "hidden:    " + filepath.Join(home, ".aws")} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("lacks %q:\n%s", want, w.String())
		}
	}
}
