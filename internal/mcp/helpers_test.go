package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/testenv"
	"github.com/hermes-go/hermes/internal/tools"
)

// parentEnv is the environment hermes "has" in these tests: allowlisted
// variables and secrets that must never reach a server.
func parentEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=/home/hermes-test",
		"LANG=C.UTF-8",
		"XDG_CONFIG_HOME=/home/hermes-test/.config",
		"OPENAI_API_KEY=sk-proj-parentsecret000000000000000000",
		"ANTHROPIC_API_KEY=sk-ant-parentsecret00000000000000000",
		"GH_TOKEN=ghp_parentsecret0000000000000000000000",
		"TELEGRAM_BOT_TOKEN=123456:parent-telegram-token",
		"HERMES_PARENT_ONLY=not-allowlisted",
	}
}

// dotenv stands in for the home's .env.
func dotenv(name string) (string, bool) {
	switch name {
	case "PROBE_VALUE":
		return "probe-from-dotenv", true
	case "MCP_TOKEN":
		return "header-token-value", true
	}
	return "", false
}

// stdioServer is the everything server over stdio.
func stdioServer(t testing.TB) config.MCPServer {
	t.Helper()
	node, script := testenv.MCPEverything(t)
	return config.MCPServer{
		Command: node, Args: []string{script, "stdio"},
		Env:     map[string]string{"HERMES_MCP_PROBE": "${PROBE_VALUE}", "PLAIN": "plain-value"},
		Enabled: true, Trust: "auto",
		Timeout: config.Duration(30 * time.Second), ConnectTimeout: config.Duration(30 * time.Second),
	}
}

// httpEverything runs the everything server over streamable HTTP on a
// loopback port; restart kills it and starts it again on the same port.
type httpEverything struct {
	t            testing.TB
	node, script string
	mode         string // streamableHttp or sse
	port         int
	mu           sync.Mutex
	cmd          *exec.Cmd
}

func startHTTPServer(t testing.TB, mode string) *httpEverything {
	t.Helper()
	node, script := testenv.MCPEverything(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	h := &httpEverything{t: t, node: node, script: script, mode: mode, port: port}
	h.start()
	t.Cleanup(h.kill)
	return h
}

func (h *httpEverything) url() string {
	if h.mode == "sse" {
		return fmt.Sprintf("http://127.0.0.1:%d/sse", h.port)
	}
	return fmt.Sprintf("http://127.0.0.1:%d/mcp", h.port)
}

func (h *httpEverything) start() {
	h.t.Helper()
	preload, err := filepath.Abs(filepath.Join("testdata", "loopback.cjs"))
	if err != nil {
		h.t.Fatal(err)
	}
	cmd := exec.Command(h.node, "--require", preload, h.script, h.mode)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), fmt.Sprintf("PORT=%d", h.port)}
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	h.cmd = cmd
	h.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", h.port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("the everything server did not listen on 127.0.0.1:%d", h.port)
}

func (h *httpEverything) kill() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cmd != nil {
		_ = h.cmd.Process.Kill()
		_ = h.cmd.Wait()
		h.cmd = nil
	}
}

func (h *httpEverything) server() config.MCPServer {
	transport := TransportHTTP
	if h.mode == "sse" {
		transport = TransportSSE
	}
	return config.MCPServer{
		URL: h.url(), Transport: transport, Headers: map[string]string{"X-Test-Token": "${MCP_TOKEN}"},
		Enabled: true, Trust: "auto",
		Timeout: config.Duration(30 * time.Second), ConnectTimeout: config.Duration(30 * time.Second),
	}
}

// startManager starts servers with the test environment and closes the
// Manager at the end of the test.
func startManager(t testing.TB, servers map[string]config.MCPServer, o Options) *Manager {
	t.Helper()
	if o.Env == nil {
		o.Env = dotenv
	}
	if o.Environ == nil {
		o.Environ = parentEnv()
	}
	if o.HomeDir == "" {
		o.HomeDir = t.TempDir()
	}
	m := Start(context.Background(), servers, o)
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

func toolNamed(t testing.TB, m *Manager, name string) *Tool {
	t.Helper()
	for _, tl := range m.Tools() {
		if tl.Name() == name {
			return tl.(*Tool)
		}
	}
	var names []string
	for _, tl := range m.Tools() {
		names = append(names, tl.Name())
	}
	t.Fatalf("no tool %s among %s (status %+v)", name, strings.Join(names, ", "), m.Status())
	return nil
}

func run(t testing.TB, ctx context.Context, tl *Tool, env *tools.Env, args string) (tools.Result, error) {
	t.Helper()
	return tl.Run(ctx, env, json.RawMessage(args))
}

// notices collects Options.Notify lines.
type notices struct {
	mu    sync.Mutex
	lines []string
}

func (n *notices) add(l string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lines = append(n.lines, l)
}

func (n *notices) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.lines...)
}
