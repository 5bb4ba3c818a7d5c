package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/testenv"
)

// mcpHermes runs the real command tree with the mcp command in it (added
// here while root.go does not register it yet).
func mcpHermes(t *testing.T, home string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	app := &App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string {
			if k == "HERMES_HOME" {
				return home
			}
			return ""
		}}
	root := newRootCmd(app)
	if !slices.ContainsFunc(root.Commands(), func(c *cobra.Command) bool { return c.Name() == "mcp" }) {
		root.AddCommand(newMCPCmd(app))
	}
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	if err == nil {
		return result{out.String(), errb.String(), 0}
	}
	var ee exitError
	if !errors.As(err, &ee) {
		errb.WriteString("hermes: " + err.Error() + "\n")
	}
	return result{out.String(), errb.String(), exitCode(err)}
}

func TestMCPAddListRemove(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if r := mcpHermes(t, home, "mcp", "add", "fs", "--env", "ROOT=/srv", "--env", "GITHUB_TOKEN=${GITHUB_TOKEN}", "--", "npx", "-y", "server-fs", "/srv dir"); r.code != 0 {
		t.Fatalf("add fs: %+v", r)
	}
	if r := mcpHermes(t, home, "mcp", "add", "docs", "--url", "https://mcp.example.com/mcp", "--header", "Authorization=Bearer ${DOCS_TOKEN}"); r.code != 0 {
		t.Fatalf("add docs: %+v", r)
	}
	data, err := os.ReadFile(filepath.Join(home, "config.yaml"))
	if err != nil || !strings.Contains(string(data), "${DOCS_TOKEN}") || !strings.Contains(string(data), "/srv dir") {
		t.Fatalf("config.yaml:\n%s (%v)", data, err)
	}
	r := mcpHermes(t, home, "mcp", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "fs    stdio") || !strings.Contains(r.stdout, "npx -y server-fs /srv dir") ||
		!strings.Contains(r.stdout, "docs  http") || !strings.Contains(r.stdout, "https://mcp.example.com/mcp") {
		t.Errorf("list: %+v", r)
	}
	r = mcpHermes(t, home, "mcp", "list", "--json")
	var entries []mcpEntry
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil || len(entries) != 2 {
		t.Fatalf("list --json: %+v (%v)", r, err)
	}
	if e := entries[1]; e.Name != "fs" || !e.Enabled || e.Trust != "auto" || strings.Join(e.Env, ",") != "GITHUB_TOKEN,ROOT" {
		t.Errorf("fs entry %+v", e)
	}
	if e := entries[0]; e.Name != "docs" || strings.Join(e.Headers, ",") != "Authorization" || strings.Contains(r.stdout, "DOCS_TOKEN") {
		t.Errorf("docs entry %+v (header values must not be listed)", e)
	}
	if r := mcpHermes(t, home, "mcp", "add", "fs", "--", "other"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("add twice: %+v", r)
	}
	if r := mcpHermes(t, home, "mcp", "remove", "fs"); r.code != 0 {
		t.Errorf("remove: %+v", r)
	}
	if r := mcpHermes(t, home, "mcp", "remove", "fs"); r.code != 1 || !strings.Contains(r.stderr, "no mcp server fs") {
		t.Errorf("remove twice: %+v", r)
	}
	r = mcpHermes(t, home, "mcp", "list", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil || len(entries) != 1 || entries[0].Name != "docs" {
		t.Errorf("after remove: %+v", r)
	}
}

func TestMCPAddRefusesSecrets(t *testing.T) {
	t.Parallel()
	tests := [][]string{
		{"--url", "https://x.example/mcp", "--header", "Authorization=Bearer abcdef0123456789"},
		{"--url", "https://x.example/mcp", "--header", "X-Api-Key=plainvalue"},
		{"--url", "https://x.example/mcp", "--header", "X-Custom=ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
		{"--env", "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz", "--", "srv"},
		{"--env", "DB_PASSWORD=hunter2", "--", "srv"},
		{"--url", "https://x.example/mcp?team=a&token=sk-proj-abcdefghijklmnopqrstuvwxyz0123"},
		{"--url", "https://x.example/mcp?api_key=plainvalue123"},
		{"--url", "https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@x.example/mcp"},
		{"--url", "https://user:hunter2@x.example/mcp"},
		{"--", "srv", "--token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
		{"--", "srv", "--api-key=plainvalue123"},
	}
	for _, args := range tests {
		home := t.TempDir()
		r := mcpHermes(t, home, append([]string{"mcp", "add", "s"}, args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, "looks like a secret") || !strings.Contains(r.stderr, ".env") {
			t.Errorf("%q: %+v", args, r)
		}
		if data, _ := os.ReadFile(filepath.Join(home, "config.yaml")); strings.Contains(string(data), "mcp_servers") {
			t.Errorf("%q: written anyway:\n%s", args, data)
		}
	}
}

func TestMCPAddKeepsReferences(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--url", "https://x.example/mcp?team=a&token=${MCP_TOKEN}"},
		{"--", "srv", "--port=8080", "--api-key=${MCP_KEY}", "stdio"},
	} {
		home := t.TempDir()
		if r := mcpHermes(t, home, append([]string{"mcp", "add", "s"}, args...)...); r.code != 0 {
			t.Errorf("%q refused: %+v", args, r)
		}
	}
}

func TestMCPUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"mcp", "add"},
		{"mcp", "add", "s"},
		{"mcp", "add", "bad.name", "--", "srv"},
		{"mcp", "add", "s", "srv"},
		{"mcp", "add", "s", "--url", "https://x.example/mcp", "--", "srv"},
		{"mcp", "add", "s", "--url", "https://x.example/mcp", "--env", "A=b"},
		{"mcp", "add", "s", "--header", "A=b", "--", "srv"},
		{"mcp", "add", "s", "--env", "novalue", "--", "srv"},
		{"mcp", "remove"},
		{"mcp", "test"},
	} {
		if r := mcpHermes(t, t.TempDir(), args...); r.code != 2 {
			t.Errorf("%q: %+v, want exit 2", args, r)
		}
	}
	if r := mcpHermes(t, t.TempDir(), "mcp", "test", "nope"); r.code != 1 || !strings.Contains(r.stderr, "no mcp server nope") {
		t.Errorf("test unknown: %+v", r)
	}
}

func TestMCPTest(t *testing.T) {
	t.Parallel()
	node, script := testenv.MCPEverything(t)
	home := t.TempDir()
	if r := mcpHermes(t, home, "mcp", "add", "ev", "--env", "LABEL=x", "--", node, script, "stdio"); r.code != 0 {
		t.Fatalf("add: %+v", r)
	}
	r := mcpHermes(t, home, "mcp", "test", "ev")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || !slices.Contains(lines, "echo") || !slices.Contains(lines, "get-env") {
		t.Fatalf("test: %+v", r)
	}
	if !strings.Contains(r.stderr, "mcp server ev (stdio):") || !strings.Contains(r.stderr, "started in") ||
		!strings.Contains(r.stderr, "echo: the model calls it mcp_ev_echo") {
		t.Errorf("test stderr: %s", r.stderr)
	}
	if r := mcpHermes(t, home, "mcp", "add", "broken", "--", "false"); r.code != 0 {
		t.Fatalf("add broken: %+v", r)
	}
	if r := mcpHermes(t, home, "mcp", "test", "broken", "--timeout", "10s"); r.code != 1 || !strings.Contains(r.stderr, "mcp server broken") {
		t.Errorf("test broken: %+v", r)
	}
}

// TestMCPTestThroughNpx runs the README's two lines through the built
// binary: npx starts the server (from the npm prefix testdeps installed it
// in, so nothing is downloaded) and its child exits as soon as its stdin
// closes, which once made `mcp test` fail with "process already finished".
func TestMCPTestThroughNpx(t *testing.T) {
	t.Parallel()
	_, script := testenv.MCPEverything(t)
	npx, err := exec.LookPath("npx")
	if err != nil {
		testenv.Missing(t, "npx", err.Error())
	}
	prefix := script
	for filepath.Base(prefix) != "node_modules" && prefix != "/" {
		prefix = filepath.Dir(prefix)
	}
	prefix = filepath.Dir(prefix)
	bin := testenv.BuildHermes(t)
	home := t.TempDir()
	os.Chmod(home, 0o700)
	run := func(args ...string) (string, error) {
		c := exec.Command(bin, args...)
		c.Dir = prefix
		c.Env = append(os.Environ(), "HERMES_HOME="+home)
		out, err := c.CombinedOutput()
		return string(out), err
	}
	if out, err := run("mcp", "add", "everything", "--", npx, "-y", "@modelcontextprotocol/server-everything", "stdio"); err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}
	for i := range 3 {
		out, err := run("mcp", "test", "everything")
		lines := strings.Split(out, "\n")
		if err != nil || !slices.Contains(lines, "echo") || !slices.Contains(lines, "get-env") {
			t.Fatalf("test %d: %v\n%s", i, err, out)
		}
	}
}
