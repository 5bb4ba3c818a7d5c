package mcp

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
)

// transportCases are the everything server over stdio, streamable HTTP
// and SSE. kill stops the server process; revive brings it back (for stdio
// the supervisor does that itself).
type transportCase struct {
	name   string
	server func(t *testing.T) (cfg config.MCPServer, kill func(*Manager), revive func())
}

var transportCases = []transportCase{
	{"stdio", func(t *testing.T) (config.MCPServer, func(*Manager), func()) {
		return stdioServer(t), func(m *Manager) {
			s := m.servers[0]
			s.mu.Lock()
			defer s.mu.Unlock()
			if err := s.cmd.Process.Kill(); err != nil {
				t.Errorf("kill: %v", err)
			}
		}, func() {}
	}},
	{"http", func(t *testing.T) (config.MCPServer, func(*Manager), func()) {
		h := startHTTPServer(t, "streamableHttp")
		return h.server(), func(*Manager) { h.kill() }, h.start
	}},
	{"sse", func(t *testing.T) (config.MCPServer, func(*Manager), func()) {
		h := startHTTPServer(t, "sse")
		return h.server(), func(*Manager) { h.kill() }, h.start
	}},
}

func TestEverythingToolsListedAndCalled(t *testing.T) {
	t.Parallel()
	for _, tc := range transportCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, _ := tc.server(t)
			var lines []string
			m := startManager(t, map[string]config.MCPServer{"everything": cfg}, Options{Notify: func(l string) { lines = append(lines, l) }})
			st := m.Status()
			if len(st) != 1 || st[0].State != StateReady || st[0].Tools == 0 {
				t.Fatalf("status %+v, notices %q", st, lines)
			}
			for _, tl := range m.Tools() {
				if tl.Toolset() != "mcp-everything" || !strings.HasPrefix(tl.Name(), "mcp_everything_") || !json.Valid(tl.Schema()) {
					t.Errorf("tool %s in %s", tl.Name(), tl.Toolset())
				}
			}
			ctx := context.Background()
			res, err := run(t, ctx, toolNamed(t, m, "mcp_everything_echo"), nil, `{"message":"hello from hermes"}`)
			if err != nil || res.IsError || !strings.Contains(res.Content, "hello from hermes") {
				t.Errorf("echo: %+v, %v", res, err)
			}
			res, err = run(t, ctx, toolNamed(t, m, "mcp_everything_get-sum"), nil, `{"a":2,"b":3}`)
			if err != nil || res.IsError || !strings.Contains(res.Content, "5") {
				t.Errorf("get-sum: %+v, %v", res, err)
			}
			res, err = run(t, ctx, toolNamed(t, m, "mcp_everything_get-sum"), nil, `{"a":"two"}`)
			if err != nil || !res.IsError {
				t.Errorf("get-sum with bad arguments: %+v, %v; want an error result", res, err)
			}
		})
	}
}

// TestEverythingEnvironment is layer 4: the server sees the allowlist and
// its env block, with ${VAR} from .env, and none of hermes's secrets.
func TestEverythingEnvironment(t *testing.T) {
	t.Parallel()
	m := startManager(t, map[string]config.MCPServer{"everything": stdioServer(t)}, Options{})
	res, err := run(t, context.Background(), toolNamed(t, m, "mcp_everything_get-env"), nil, `{}`)
	if err != nil || res.IsError {
		t.Fatalf("get-env: %+v, %v", res, err)
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(res.Content), &env); err != nil {
		t.Fatalf("get-env printed %q: %v", res.Content, err)
	}
	want := map[string]string{
		"HERMES_MCP_PROBE": "probe-from-dotenv", "PLAIN": "plain-value",
		"HOME": "/home/hermes-test", "LANG": "C.UTF-8", "XDG_CONFIG_HOME": "/home/hermes-test/.config",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("server's %s = %q, want %q", k, env[k], v)
		}
	}
	for _, k := range []string{"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GH_TOKEN", "TELEGRAM_BOT_TOKEN", "HERMES_PARENT_ONLY"} {
		if _, ok := env[k]; ok {
			t.Errorf("the server received %s", k)
		}
	}
	if strings.Contains(res.Content, "parentsecret") {
		t.Errorf("a parent secret reached the server: %s", res.Content)
	}
}

// TestEverythingRealEnvironment sets secrets in the real process
// environment (so it cannot run in parallel) and lets Start read it.
func TestEverythingRealEnvironment(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-proj-realparent00000000000000000000")
	t.Setenv("GITHUB_TOKEN", "ghp_realparent000000000000000000000000")
	t.Setenv("PROBE_VALUE", "probe-from-environment")
	home := t.TempDir()
	cfg := stdioServer(t)
	m := Start(context.Background(), map[string]config.MCPServer{"everything": cfg}, Options{HomeDir: home})
	defer m.Close()
	res, err := run(t, context.Background(), toolNamed(t, m, "mcp_everything_get-env"), nil, `{}`)
	if err != nil || res.IsError {
		t.Fatalf("get-env: %+v, %v", res, err)
	}
	if strings.Contains(res.Content, "realparent") || strings.Contains(res.Content, "OPENAI_API_KEY") || strings.Contains(res.Content, "GITHUB_TOKEN") {
		t.Errorf("a parent secret reached the server: %s", res.Content)
	}
	if !strings.Contains(res.Content, "probe-from-environment") {
		t.Errorf("the env block's ${PROBE_VALUE} did not reach the server: %s", res.Content)
	}
}

func TestEverythingLongRunningCancelled(t *testing.T) {
	t.Parallel()
	for _, tc := range transportCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, _, _ := tc.server(t)
			m := startManager(t, map[string]config.MCPServer{"everything": cfg}, Options{})
			long := toolNamed(t, m, "mcp_everything_trigger-long-running-operation")
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			t0 := time.Now()
			_, err := run(t, ctx, long, nil, `{"duration":60,"steps":60}`)
			if err == nil || time.Since(t0) > 10*time.Second {
				t.Fatalf("cancelled call returned %v after %s", err, time.Since(t0))
			}
			res, err := run(t, context.Background(), toolNamed(t, m, "mcp_everything_echo"), nil, `{"message":"still here"}`)
			if err != nil || !strings.Contains(res.Content, "still here") {
				t.Errorf("echo after a cancelled call: %+v, %v", res, err)
			}
		})
	}
}

func TestEverythingCallTimeout(t *testing.T) {
	t.Parallel()
	cfg := stdioServer(t)
	cfg.Timeout = config.Duration(time.Second)
	m := startManager(t, map[string]config.MCPServer{"slow": cfg}, Options{})
	res, err := run(t, context.Background(), toolNamed(t, m, "mcp_slow_trigger-long-running-operation"), nil, `{"duration":30,"steps":30}`)
	if err != nil || !res.IsError || !strings.Contains(res.Content, "mcp_servers.slow.timeout") {
		t.Errorf("timed-out call: %+v, %v", res, err)
	}
}

// TestEverythingKilledMidCall: the server dies during a call; the call
// fails at once, and the server is back for the next one.
func TestEverythingKilledMidCall(t *testing.T) {
	t.Parallel()
	for _, tc := range transportCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, kill, revive := tc.server(t)
			var notes notices
			m := startManager(t, map[string]config.MCPServer{"everything": cfg}, Options{Notify: notes.add})
			long := toolNamed(t, m, "mcp_everything_trigger-long-running-operation")
			done := make(chan struct{})
			var res struct {
				r   string
				err error
				bad bool
			}
			go func() {
				defer close(done)
				r, err := run(t, context.Background(), long, nil, `{"duration":60,"steps":60}`)
				res.r, res.err, res.bad = r.Content, err, r.IsError
			}()
			time.Sleep(time.Second)
			kill(m)
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("the call did not end when its server died")
			}
			if res.err == nil && !res.bad {
				t.Fatalf("call on a killed server succeeded: %q", res.r)
			}
			revive()
			r, err := run(t, context.Background(), toolNamed(t, m, "mcp_everything_echo"), nil, `{"message":"back again"}`)
			if err != nil || r.IsError || !strings.Contains(r.Content, "back again") {
				t.Fatalf("echo after restart: %+v, %v; status %+v; notices %q", r, err, m.Status(), notes.all())
			}
			if st := m.Status()[0]; st.Restarts != 1 || st.State != StateReady {
				t.Errorf("status after restart: %+v", st)
			}
			if !strings.Contains(strings.Join(notes.all(), "\n"), "mcp: server everything stopped") {
				t.Errorf("no notice of the stop: %q", notes.all())
			}
		})
	}
}

// TestStartSkipsFailures: a server that cannot start is reported and
// skipped; the others start; disabled ones are not started.
func TestStartSkipsFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var notes notices
	m := startManager(t, map[string]config.MCPServer{
		"good":     stdioServer(t),
		"missing":  {Command: filepath.Join(dir, "no-such-server"), Enabled: true},
		"needsvar": {Command: "true", Env: map[string]string{"K": "${NOT_IN_DOTENV}"}, Enabled: true},
		"exits":    {Command: "false", Enabled: true, ConnectTimeout: config.Duration(5 * time.Second)},
		"off":      {Command: filepath.Join(dir, "never-started"), Enabled: false},
	}, Options{Notify: notes.add, HomeDir: dir})
	states := map[string]ServerStatus{}
	for _, s := range m.Status() {
		states[s.Name] = s
	}
	for name, want := range map[string]State{"good": StateReady, "missing": StateFailed, "needsvar": StateFailed, "exits": StateFailed, "off": StateDisabled} {
		if states[name].State != want {
			t.Errorf("%s: %+v, want %s", name, states[name], want)
		}
	}
	if !strings.Contains(states["needsvar"].Error, "add NOT_IN_DOTENV=... to the home's .env") {
		t.Errorf("needsvar error %q", states["needsvar"].Error)
	}
	all := strings.Join(notes.all(), "\n")
	for _, name := range []string{"missing", "needsvar", "exits"} {
		if !strings.Contains(all, "mcp: server "+name+" failed") {
			t.Errorf("no notice for %s in %q", name, all)
		}
	}
	for _, tl := range m.Tools() {
		if tl.Toolset() != "mcp-good" {
			t.Errorf("tool %s of a failed server", tl.Name())
		}
	}
}

func TestStartDeadline(t *testing.T) {
	t.Parallel()
	// cat never answers initialize.
	t0 := time.Now()
	m := startManager(t, map[string]config.MCPServer{"silent": {Command: "cat", Enabled: true}}, Options{StartTimeout: time.Second})
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("Start took %s with a 1s deadline", d)
	}
	if st := m.Status()[0]; st.State != StateFailed {
		t.Errorf("status %+v", st)
	}
}

func TestIncludeExclude(t *testing.T) {
	t.Parallel()
	cfg := stdioServer(t)
	cfg.Include = []string{"get-*", "echo"}
	cfg.Exclude = []string{"get-env"}
	m := startManager(t, map[string]config.MCPServer{"ev": cfg}, Options{})
	var names []string
	for _, tl := range m.Tools() {
		names = append(names, tl.(*Tool).Remote())
	}
	got := strings.Join(names, ",")
	if !strings.Contains(got, "echo") || !strings.Contains(got, "get-sum") || strings.Contains(got, "get-env") || strings.Contains(got, "trigger-") {
		t.Errorf("tools %s", got)
	}
}

func TestStderrLogged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A stdio "server" that prints a token on stderr and then serves.
	node, script := stdioServer(t).Command, stdioServer(t).Args[0]
	cfg := config.MCPServer{Command: "sh", Args: []string{"-c", `echo "starting with OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123" >&2; exec "$0" "$1" stdio`, node, script},
		Enabled: true, ConnectTimeout: config.Duration(30 * time.Second)}
	m := startManager(t, map[string]config.MCPServer{"noisy": cfg}, Options{HomeDir: dir})
	if m.Status()[0].State != StateReady {
		t.Fatalf("status %+v", m.Status())
	}
	data, err := os.ReadFile(filepath.Join(dir, home.LogsDir, StderrLog))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "[noisy] starting with") || strings.Contains(string(data), "abcdefghijklmnopqrstuvwxyz") {
		t.Errorf("stderr log:\n%s", data)
	}
}

func TestTestReport(t *testing.T) {
	t.Parallel()
	cfg := stdioServer(t)
	cfg.Enabled = false
	cfg.Exclude = []string{"get-env"}
	rep, err := Test(context.Background(), "everything", cfg, Options{Env: dotenv, Environ: parentEnv()})
	if err != nil {
		t.Fatal(err)
	}
	exposed := map[string]string{}
	for _, tl := range rep.Tools {
		exposed[tl.Name] = tl.Exposed
	}
	if exposed["echo"] != "mcp_everything_echo" || exposed["get-env"] != "" || rep.Start <= 0 || rep.Transport != "stdio" {
		t.Errorf("report %+v", rep)
	}
	if len(rep.Resources) == 0 || len(rep.Prompts) == 0 {
		t.Errorf("the everything server offers resources and prompts; report has %d and %d", len(rep.Resources), len(rep.Prompts))
	}
	if _, err := Test(context.Background(), "bad", config.MCPServer{Command: "false"}, Options{StartTimeout: 5 * time.Second}); err == nil {
		t.Error("Test of a server that exits: no error")
	}
}
