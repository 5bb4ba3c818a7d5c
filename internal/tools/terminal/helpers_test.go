package terminal

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/sandbox"
	_ "github.com/hermes-go/hermes/internal/sandbox/bwrap" // the bubblewrap backend
	_ "github.com/hermes-go/hermes/internal/sandbox/local" // the local backend
	"github.com/hermes-go/hermes/internal/tools"
)

// approver is a scripted human: it answers with answers in order (the
// last one repeats) and records what it was asked.
type approver struct {
	mu      sync.Mutex
	answers []guard.Answer
	asked   []guard.Request
}

var _ guard.Approver = (*approver)(nil)

func (a *approver) Approve(_ context.Context, req guard.Request) (guard.Answer, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, req)
	return a.answers[min(len(a.asked), len(a.answers))-1], nil
}

func (a *approver) calls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.asked)
}

func answering(c guard.Choice) *approver {
	return &approver{answers: []guard.Answer{{Choice: c, Reason: "the user said no"}}}
}

// fixture is one session of the terminal tools on a real backend.
type fixture struct {
	t     testing.TB
	env   *tools.Env
	ws    string
	human *approver

	mu    sync.Mutex
	lines []string // what Notify showed
}

// newFixture builds a session on a fresh local backend whose workspace is
// a temp folder, with a real guard in manual mode asking human.
func newFixture(t testing.TB, human *approver) *fixture {
	t.Helper()
	return newFixtureOn(t, "local", human)
}

func newFixtureOn(t testing.TB, backend string, human *approver) *fixture {
	t.Helper()
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	b, err := sandbox.New(context.Background(), sandbox.Options{
		Terminal:  config.Terminal{Backend: backend},
		Workspace: ws,
		HomeDir:   filepath.Join(root, "hermes-home"),
		Env:       os.Environ(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	g := &guard.Guard{Policy: guard.Policy{Timeout: 10 * time.Second}}
	if human != nil {
		g.Human = human
	}
	red, err := redact.New(redact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ws: b.Workspace(), human: human}
	f.env = &tools.Env{
		SessionID: "s1",
		Backend:   b,
		Guard:     g,
		Session:   guard.NewSession("s1"),
		Redactor:  red,
		Values:    &tools.Values{},
		Notify: func(line string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.lines = append(f.lines, line)
		},
	}
	t.Cleanup(func() { _ = Close(f.env) })
	return f
}

// newSession returns a second session sharing the backend and the guard.
func (f *fixture) newSession(id string) *tools.Env {
	env := *f.env
	env.SessionID, env.Session, env.Values = id, guard.NewSession(id), &tools.Values{}
	f.t.Cleanup(func() { _ = Close(&env) })
	return &env
}

// call runs a tool through the registry, as the agent does.
func (f *fixture) call(name string, args any) llm.Message {
	f.t.Helper()
	return callEnv(f.t, f.env, name, args)
}

func callEnv(t testing.TB, env *tools.Env, name string, args any) llm.Message {
	t.Helper()
	raw, ok := args.(string)
	if !ok {
		b, err := json.Marshal(args)
		if err != nil {
			t.Fatal(err)
		}
		raw = string(b)
	}
	return tools.Default.Call(context.Background(), env, nil, llm.ToolCall{ID: "c1", Name: name, Arguments: raw})
}

// run runs a foreground command that must succeed as a tool call.
func (f *fixture) run(command string) string {
	f.t.Helper()
	m := f.call("terminal", map[string]any{"command": command})
	if m.IsError {
		f.t.Fatalf("terminal %q failed: %s", command, m.Content)
	}
	return m.Content
}

func (f *fixture) notified() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lines...)
}

func (f *fixture) mkdir(name string) string {
	f.t.Helper()
	p := filepath.Join(f.ws, name)
	if err := os.MkdirAll(p, 0o755); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func mustContain(t testing.TB, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q lacks %q", what, got, w)
		}
	}
}
