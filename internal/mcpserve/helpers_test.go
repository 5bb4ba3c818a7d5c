package mcpserve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/llmtest"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/runtime"
	"github.com/hermes-go/hermes/internal/sandbox"
)

// fixture is an open runtime on a temporary home and project, whose
// terminal backend records every command that reaches it.
type fixture struct {
	rt      *runtime.Runtime
	project string
	backend *recorder
}

// newFixture opens a runtime the way the CLI does for hermes mcp serve:
// unattended, with the mcp_serve toolsets. The scripted model is there
// only because runtime.Open requires a Router; no model call happens.
func newFixture(tb testing.TB, toolsets []string) *fixture {
	tb.Helper()
	return openFixture(tb, runtime.Options{Toolsets: toolsets, Unattended: true})
}

// openFixture opens a runtime with o's Toolsets, Unattended and Human.
func openFixture(tb testing.TB, o runtime.Options) *fixture {
	tb.Helper()
	toolsets := o.Toolsets
	root := tb.TempDir()
	h := &home.Home{Root: root, Profile: home.DefaultProfile, Dir: root}
	project := tb.TempDir()
	s, err := llmtest.ParseScript([]byte("steps: [{times: -1, response: {text: unused}}]"))
	if err != nil {
		tb.Fatal(err)
	}
	srv := llmtest.New(tb, s)
	cfg := config.Default()
	cfg.Model = config.Model{Provider: "custom", Default: "scripted", BaseURL: srv.OpenAIBaseURL(), Timeout: cfg.Model.Timeout}
	chain, err := llm.Chain(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	red, err := redact.New(redact.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if toolsets == nil {
		toolsets = cfg.Agent.Toolsets.MCPServe
	}
	rt, err := runtime.Open(context.Background(), runtime.Options{
		Home: h, Config: cfg, Router: llm.NewRouter(chain, llm.Options{}), Frontend: "mcp",
		Toolsets: toolsets, Cwd: project, Env: os.Environ(), Unattended: o.Unattended, Human: o.Human, Redactor: red,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rt.Close() })
	rec := &recorder{Backend: rt.Backend}
	rt.Backend = rec
	return &fixture{rt: rt, project: project, backend: rec}
}

// connect serves f's runtime over in-memory transports and returns the
// SDK client's session. The server's Run error arrives on the channel
// once the client is closed.
func (f *fixture) connect(tb testing.TB, o Options) (*mcp.ClientSession, <-chan error) {
	tb.Helper()
	o.Runtime = f.rt
	ctx, cancel := context.WithCancel(context.Background())
	st, ct := mcp.NewInMemoryTransports()
	srv, end, err := NewServer(ctx, o)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		err := srv.Run(ctx, st)
		done <- errors.Join(err, end())
	}()
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, nil)
	cs, err := client.Connect(ctx, ct, nil)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cs.Close()
		cancel()
	})
	return cs, done
}

// callTool calls name with args and returns the text and isError.
func callTool(tb testing.TB, cs *mcp.ClientSession, name string, args map[string]any) (string, bool) {
	tb.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		tb.Fatalf("call %s: %v", name, err)
	}
	var text []string
	for _, c := range res.Content {
		tc, ok := c.(*mcp.TextContent)
		if !ok {
			tb.Fatalf("call %s: content %T, want text", name, c)
		}
		text = append(text, tc.Text)
	}
	return strings.Join(text, "\n"), res.IsError
}

// recorder is a terminal backend that records the commands that reach it
// and refuses to run anything touching the root directory: should the
// guard ever let such a command through, the test fails instead of the
// machine.
type recorder struct {
	sandbox.Backend
	mu   sync.Mutex
	cmds []string
}

func (r *recorder) Run(ctx context.Context, s sandbox.Spec) (*sandbox.Result, error) {
	if err := r.record(s.Command); err != nil {
		return nil, err
	}
	return r.Backend.Run(ctx, s)
}

func (r *recorder) Start(ctx context.Context, s sandbox.Spec) (sandbox.Process, error) {
	if err := r.record(s.Command); err != nil {
		return nil, err
	}
	return r.Backend.Start(ctx, s)
}

func (r *recorder) record(cmd string) error {
	r.mu.Lock()
	r.cmds = append(r.cmds, cmd)
	r.mu.Unlock()
	if strings.Contains(cmd, "rm ") {
		return errors.New("test backend: refusing to run a command with rm")
	}
	return nil
}

func (r *recorder) commands() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.cmds...)
}

func write(tb testing.TB, path, data string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// approver approves every command and counts the asks.
type approver struct {
	mu    sync.Mutex
	asked int
}

func (a *approver) Approve(context.Context, guard.Request) (guard.Answer, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked++
	return guard.Answer{Choice: guard.ChoiceOnce}, nil
}

func (a *approver) asks() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.asked
}
