package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hermes-go/hermes/internal/llmtest"
	"github.com/hermes-go/hermes/internal/testenv"
)

// TestMCPServeE2E drives `hermes mcp serve` with the official SDK's
// client over the process's stdio.
func TestMCPServeE2E(t *testing.T) {
	bin := chatBinary(t)
	srv := llmtest.New(t, llmtest.Script{}) // the runtime needs a model chain; no call is made
	home := e2eHome(t, srv)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("buy milk\n"), 0o600)

	cmd := chatCmd(bin, home, dir, "mcp", "serve", "--toolsets", "terminal,file")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	list, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range list.Tools {
		names = append(names, tl.Name)
	}
	for _, want := range []string{"terminal", "read_file", "write_file"} {
		if !slices.Contains(names, want) {
			t.Errorf("tools %v lack %s", names, want)
		}
	}
	if slices.Contains(names, "memory") {
		t.Errorf("--toolsets terminal,file served memory too: %v", names)
	}
	text := func(r *mcp.CallToolResult) string {
		var b strings.Builder
		for _, c := range r.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				b.WriteString(tc.Text)
			}
		}
		return b.String()
	}
	call := func(name string, args map[string]any) *mcp.CallToolResult {
		t.Helper()
		r, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return r
	}
	if r := call("read_file", map[string]any{"path": "notes.txt"}); r.IsError || !strings.Contains(text(r), "buy milk") {
		t.Errorf("read_file: %v %q", r.IsError, text(r))
	}
	if r := call("terminal", map[string]any{"command": "echo OPENAI_API_KEY=sk-proj-Xk2mQ9vR4tL8wN1pZ6yB3cF7aa"}); r.IsError || strings.Contains(text(r), "Xk2mQ9vR4tL8wN1pZ6yB3cF7aa") {
		t.Errorf("terminal: %v %q", r.IsError, text(r))
	}
	if r := call("terminal", map[string]any{"command": "touch marker && rm -rf /"}); !r.IsError || !strings.Contains(text(r), "hardline") {
		t.Errorf("rm -rf /: %v %q", r.IsError, text(r))
	}
	if _, err := os.Stat(filepath.Join(dir, "marker")); err == nil {
		t.Error("a blocked command ran")
	}
}

// TestMCPTestE2E: `hermes mcp add` then `hermes mcp test` against the real
// everything server; the tool names come one per line on stdout.
func TestMCPTestE2E(t *testing.T) {
	bin := chatBinary(t)
	node, script := testenv.MCPEverything(t)
	home := t.TempDir()
	if out, err := hermesCmd(bin, home, "mcp", "add", "everything", "--env", "GREETING=hi", "--", node, script, "stdio").CombinedOutput(); err != nil {
		t.Fatalf("mcp add: %v\n%s", err, out)
	}
	var out, errb strings.Builder
	cmd := hermesCmd(bin, home, "mcp", "test", "everything")
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("mcp test: %v\n%s%s", err, out.String(), errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !slices.Contains(lines, "echo") || !slices.Contains(lines, "get-env") {
		t.Errorf("mcp test printed %q", out.String())
	}
}
