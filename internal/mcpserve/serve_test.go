package mcpserve

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/runtime"
	"github.com/hermes-go/hermes/internal/store"
	"github.com/hermes-go/hermes/internal/tools"
)

func TestListTools(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		runtime  []string // the runtime's toolsets; nil: agent.toolsets.mcp_serve
		toolsets []string // Options.Toolsets
	}{
		{"runtime's toolsets", nil, nil},
		{"a subset", nil, []string{"file"}},
		{"terminal only", []string{"terminal"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.runtime)
			cs, _ := f.connect(t, Options{Toolsets: tt.toolsets})
			res, err := cs.ListTools(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			wantSets := tt.toolsets
			if wantSets == nil {
				wantSets = f.rt.Toolsets()
			}
			want, err := tools.Default.Enabled(wantSets)
			if err != nil {
				t.Fatal(err)
			}
			var got, names []string
			for _, mt := range res.Tools {
				got = append(got, mt.Name)
			}
			for _, ht := range want {
				names = append(names, ht.Name())
			}
			slices.Sort(got)
			if !slices.Equal(got, names) || len(got) == 0 {
				t.Fatalf("tools listed %v, want %v", got, names)
			}
			for _, mt := range res.Tools {
				ht, _ := tools.Default.Lookup(mt.Name)
				if mt.Description != ht.Description() {
					t.Errorf("%s: description %q, want %q", mt.Name, mt.Description, ht.Description())
				}
				var wantSchema any
				json.Unmarshal(ht.Schema(), &wantSchema)
				gotJSON, _ := json.Marshal(mt.InputSchema)
				wantJSON, _ := json.Marshal(wantSchema)
				if string(gotJSON) != string(wantJSON) {
					t.Errorf("%s: schema %s, want %s", mt.Name, gotJSON, wantJSON)
				}
			}
		})
	}
}

func TestToolsetsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, []string{"file"})
	for _, tt := range []struct {
		name     string
		toolsets []string
		want     string
	}{
		{"not in the runtime", []string{"terminal"}, `toolset "terminal" is not enabled`},
		{"empty", []string{}, "no tools to serve"},
		{"provided elsewhere only", []string{"delegation"}, "not enabled"},
	} {
		_, _, err := NewServer(context.Background(), Options{Runtime: f.rt, Toolsets: tt.toolsets})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, _, err := NewServer(context.Background(), Options{}); err == nil {
		t.Error("no runtime: want an error")
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	write(t, filepath.Join(f.project, "notes.txt"), "first line\nthe answer is 42\n")
	cs, _ := f.connect(t, Options{})
	text, isErr := callTool(t, cs, "read_file", map[string]any{"path": "notes.txt"})
	if isErr || !strings.Contains(text, "the answer is 42") {
		t.Errorf("read_file: isError %v, %q", isErr, text)
	}
	text, isErr = callTool(t, cs, "read_file", map[string]any{"path": "missing.txt"})
	if !isErr || !strings.Contains(text, "error") {
		t.Errorf("read_file of a missing file: isError %v, %q", isErr, text)
	}
	text, isErr = callTool(t, cs, "read_file", map[string]any{"path": 42})
	if !isErr {
		t.Errorf("read_file with a number for a path: isError false, %q", text)
	}
}

func TestTerminal(t *testing.T) {
	t.Parallel()
	const secret = "sk-proj-Xk2mQ9vR4tL8wN1pZ6yB3cF7aa"
	for _, tt := range []struct {
		name    string
		command string
		isError bool
		want    []string // in the result
		not     []string // never in the result
		ran     bool     // the command reached the backend
	}{
		{"echo runs", "echo hi", false, []string{"hi"}, nil, true},
		{"hardline refused", "rm -rf /", true, []string{"not run"}, nil, false},
		{"dangerous denied unattended", "touch marker && rm -r build", true, []string{"not run"}, nil, false},
		{"secret masked", "echo OPENAI_API_KEY=" + secret, false, []string{"OPENAI_API_KEY="}, []string{secret, "Xk2mQ9vR4tL8"}, true},
		// As for the agent, a command that ran and failed is a result, not
		// a tool failure: the exit code tells the client.
		{"failing command", "exit 3", false, []string{"exit code 3"}, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			os.Mkdir(filepath.Join(f.project, "build"), 0o755)
			cs, _ := f.connect(t, Options{})
			text, isErr := callTool(t, cs, "terminal", map[string]any{"command": tt.command})
			if isErr != tt.isError {
				t.Errorf("isError %v, want %v: %q", isErr, tt.isError, text)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("result lacks %q: %q", w, text)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(text, n) {
					t.Errorf("result holds %q: %q", n, text)
				}
			}
			ran := slices.Contains(f.backend.commands(), tt.command)
			if ran != tt.ran {
				t.Errorf("the command reached the backend: %v, want %v (commands %q)", ran, tt.ran, f.backend.commands())
			}
			if _, err := os.Stat(filepath.Join(f.project, "marker")); err == nil {
				t.Error("marker exists: a denied command ran")
			}
		})
	}
}

// The guard's reason reaches the client, so the hardline block is told
// apart from an unattended deny.
func TestGuardReason(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	cs, _ := f.connect(t, Options{})
	hard, _ := callTool(t, cs, "terminal", map[string]any{"command": "rm -rf /"})
	soft, _ := callTool(t, cs, "terminal", map[string]any{"command": "rm -r build"})
	if hard == soft {
		t.Fatalf("the hardline block and the unattended deny read the same: %q", hard)
	}
	for cmd, text := range map[string]string{"rm -rf /": hard, "rm -r build": soft} {
		out, _ := f.rt.Guard.Check(context.Background(), guard.NewSession("probe"), cmd, guard.Context{Cwd: f.project, Unattended: true})
		if out.Decision != guard.Block || out.Reason == "" || !strings.Contains(text, out.Reason) {
			t.Errorf("%s: result %q lacks the guard's reason %q (decision %v)", cmd, text, out.Reason, out.Decision)
		}
	}
}

// A runtime opened attended, with a human who would approve anything,
// still gets an unattended session: nobody is asked over MCP.
func TestNobodyIsAsked(t *testing.T) {
	t.Parallel()
	ap := &approver{}
	f := openFixture(t, runtime.Options{Human: ap})
	cs, _ := f.connect(t, Options{})
	text, isErr := callTool(t, cs, "terminal", map[string]any{"command": "touch marker && rm -r build"})
	if !isErr || !strings.Contains(text, "not run") {
		t.Errorf("dangerous command: isError %v, %q", isErr, text)
	}
	if ap.asks() != 0 || len(f.backend.commands()) != 0 {
		t.Errorf("the human was asked %d times; commands ran: %q", ap.asks(), f.backend.commands())
	}
}

func TestUnknownToolIsAnMCPError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, []string{"file", "terminal"})
	cs, _ := f.connect(t, Options{Toolsets: []string{"file"}})
	for _, name := range []string{"no_such_tool", "terminal"} {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: map[string]any{"command": "echo hi"}})
		if err == nil || !strings.Contains(err.Error(), "unknown tool") {
			t.Errorf("%s: %+v, %v; want an unknown tool error", name, res, err)
		}
	}
	if cmds := f.backend.commands(); len(cmds) != 0 {
		t.Errorf("commands ran: %q", cmds)
	}
}

func TestSessionEndsOnDisconnect(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	cs, done := f.connect(t, Options{})
	callTool(t, cs, "terminal", map[string]any{"command": "echo hi"})
	list, err := f.rt.Store.List(context.Background(), store.ListOptions{Source: "mcp"})
	if err != nil || len(list) != 1 || !list[0].EndedAt.IsZero() {
		t.Fatalf("sessions while connected: %+v, %v", list, err)
	}
	cs.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after the client left: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not notice the client leaving")
	}
	s, err := f.rt.Store.Session(context.Background(), list[0].ID)
	if err != nil || s.EndedAt.IsZero() {
		t.Errorf("session after disconnect: %+v, %v; want it ended", s, err)
	}
}

func TestRunStdioShape(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	st, ct := mcp.NewInMemoryTransports()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Options{Runtime: f.rt, Name: "hermes-test", Version: "9.9"}, st) }()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info := cs.InitializeResult().ServerInfo; info.Name != "hermes-test" || info.Version != "9.9" {
		t.Errorf("server info %+v", info)
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Run after ctx ended: nil error, want the context's")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return when ctx ended")
	}
	list, _ := f.rt.Store.List(context.Background(), store.ListOptions{Source: "mcp"})
	if len(list) != 1 || list[0].EndedAt.IsZero() {
		t.Errorf("sessions after Run: %+v; want one, ended", list)
	}
}

// closeTracker notes whether anyone closed it.
type closeTracker struct {
	io.Writer
	closed atomic.Bool
}

func (c *closeTracker) Close() error { c.closed.Store(true); return nil }

func TestStdio(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	clientIn, serverOut := io.Pipe()
	serverIn, clientOut := io.Pipe()
	out := &closeTracker{Writer: serverOut}
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), Options{Runtime: f.rt}, Stdio(serverIn, out)) }()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil).
		Connect(context.Background(), &mcp.IOTransport{Reader: clientIn, Writer: clientOut}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if text, isErr := callTool(t, cs, "terminal", map[string]any{"command": "echo over-stdio"}); isErr || !strings.Contains(text, "over-stdio") {
		t.Errorf("terminal over stdio: isError %v, %q", isErr, text)
	}
	cs.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after stdin closed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return when stdin closed")
	}
	if out.closed.Load() {
		t.Error("Run closed stdout")
	}
}

// shout is a tool of a registry other than tools.Default.
type shout struct{}

func (shout) Name() string        { return "shout" }
func (shout) Toolset() string     { return "file" }
func (shout) Description() string { return "Upper-cases text." }
func (shout) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{"text":{"type":"string"}}}`)
}
func (shout) Run(_ context.Context, _ *tools.Env, args json.RawMessage) (tools.Result, error) {
	var a struct{ Text string }
	if err := json.Unmarshal(args, &a); err != nil {
		return tools.Errorf("shout: %v", err), nil
	}
	return tools.Result{Content: strings.ToUpper(a.Text)}, nil
}

var _ tools.Tool = shout{}

func TestOwnRegistry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	reg := tools.NewRegistry()
	reg.Register(shout{})
	cs, _ := f.connect(t, Options{Registry: reg, Toolsets: []string{"file"}})
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil || len(res.Tools) != 1 || res.Tools[0].Name != "shout" {
		t.Fatalf("tools: %+v, %v; want only shout", res, err)
	}
	if text, isErr := callTool(t, cs, "shout", map[string]any{"text": "hi"}); isErr || text != "HI" {
		t.Errorf("shout: isError %v, %q", isErr, text)
	}
}
