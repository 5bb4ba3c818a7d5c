package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/llmtest"
)

// chatKeyEnv names the scripted model's key in the tests' environment.
const chatKeyEnv = "HERMES_TEST_LLM_KEY"

// hermesChat runs the real command tree, with hermes chat registered
// (and hermes alone starting it) as root.go registers them, on stdin.
func hermesChat(t *testing.T, home, stdin string, args ...string) result {
	t.Helper()
	vars := map[string]string{"HERMES_HOME": home, chatKeyEnv: "sk-test-key"}
	var out, errb bytes.Buffer
	app := &App{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }}
	root := newRootCmd(app)
	if c, _, err := root.Find([]string{"chat"}); err != nil || c == root {
		root.AddCommand(newChatCmd(app))
		addRootChat(root, app)
	}
	root.SetArgs(args)
	root.SetIn(app.Stdin)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	if err != nil {
		var ee exitError
		if !errors.As(err, &ee) {
			fmt.Fprintln(&errb, "hermes: "+err.Error())
		}
	}
	code := 0
	if err != nil {
		code = exitCode(err)
	}
	return result{out.String(), errb.String(), code}
}

// chatHome is a home whose model is srv, with approvals asked (manual)
// and unattended runs denied.
func chatHome(t *testing.T, srv *llmtest.Server, extra string) string {
	t.Helper()
	home := t.TempDir()
	cfg := fmt.Sprintf("model:\n  provider: custom\n  default: scripted-model\n  base_url: %s\n  key_env: %s\n"+
		"approvals:\n  mode: manual\n  unattended: deny\n%s", srv.OpenAIBaseURL(), chatKeyEnv, extra)
	writeFile(t, filepath.Join(home, "config.yaml"), cfg, 0o600)
	return home
}

func text(s string) llmtest.Response { return llmtest.Response{Text: s} }

func call(id, name, args string) llmtest.ToolCall {
	return llmtest.ToolCall{ID: id, Name: name, Arguments: args}
}

func cmdArgs(command string) string {
	b, _ := json.Marshal(map[string]string{"command": command})
	return string(b)
}

func TestChatOnceTextAndJSON(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "say hello"}, Times: 2, Response: llmtest.Response{Text: "Hello there.", Usage: llmtest.Usage{Input: 50, Output: 4}}},
	}})
	home := chatHome(t, srv, "")
	r := hermesChat(t, home, "", "chat", "-q", "say hello")
	if r.code != 0 || r.stdout != "Hello there.\n" {
		t.Fatalf("text: %+v", r)
	}
	r = hermesChat(t, home, "say hello, from stdin\n", "chat", "-q", "-", "--format", "json")
	var res struct {
		Answer, SessionID, Provider, Model string
		Usage                              struct{ InputTokens, OutputTokens int }
		Iterations                         int
		Exhausted                          bool
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&res); err != nil || r.code != 0 {
		t.Fatalf("json: %v %+v", err, r)
	}
	for _, k := range []string{`"answer"`, `"session_id"`, `"provider"`, `"model"`, `"usage"`, `"iterations"`, `"exhausted"`} {
		if !strings.Contains(r.stdout, k) {
			t.Errorf("json lacks %s: %s", k, r.stdout)
		}
	}
	if res.Answer != "Hello there." || res.Iterations != 1 || res.Exhausted || res.Provider != "custom" {
		t.Errorf("json result: %+v", res)
	}
	if reqs := srv.Requests(); len(reqs) != 2 || reqs[1].Messages[len(reqs[1].Messages)-1].Text != "say hello, from stdin" {
		t.Errorf("the stdin prompt was not sent: %+v", reqs)
	}
}

func TestChatOnceStreamJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "notes.txt"), "buy milk\n", 0o600)
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "read my notes"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			call("c1", "read_file", fmt.Sprintf(`{"path": %q}`, filepath.Join(dir, "notes.txt")))}}},
		{Match: llmtest.Match{ToolResult: true, Contains: "buy milk"}, Response: text("They say: buy milk.")},
	}})
	r := hermesChat(t, chatHome(t, srv, ""), "", "chat", "-q", "read my notes", "--format", "stream-json")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var kinds []string
	for _, l := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("not one JSON object a line: %q: %v", l, err)
		}
		kinds = append(kinds, ev["type"].(string))
	}
	got := strings.Join(kinds, " ")
	if !strings.Contains(got, "tool_start tool_end") || !strings.HasSuffix(got, "text result") {
		t.Errorf("event types: %s", got)
	}
	var last Result
	json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if last.Answer != "They say: buy milk." || last.Iterations != 2 || last.SessionID == "" {
		t.Errorf("result line: %s", lines[len(lines)-1])
	}
}

// Result mirrors the json output for decoding in tests.
type Result struct {
	Answer     string `json:"answer"`
	SessionID  string `json:"session_id"`
	Iterations int    `json:"iterations"`
	Error      string `json:"error"`
}

func TestChatOnceDeniesDangerousCommandUnattended(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	victim, marker := filepath.Join(dir, "victim"), filepath.Join(dir, "marker")
	os.Mkdir(victim, 0o700)
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "clean up"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			call("c1", "terminal", cmdArgs("rm -rf "+victim+" && touch "+marker))}}},
		{Match: llmtest.Match{ToolResult: true}, Response: text("I could not: the command was blocked.")},
	}})
	r := hermesChat(t, chatHome(t, srv, ""), "", "chat", "-q", "clean up")
	if r.code != 0 || !strings.Contains(r.stdout, "blocked") {
		t.Fatalf("%+v", r)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the dangerous command ran unattended")
	}
	if _, err := os.Stat(victim); err != nil {
		t.Fatal("the directory was deleted")
	}
	reqs := srv.Requests()
	res := reqs[len(reqs)-1].Messages[len(reqs[len(reqs)-1].Messages)-1]
	if res.Role != "tool" || !strings.Contains(strings.ToLower(res.Text), "denied") && !strings.Contains(strings.ToLower(res.Text), "blocked") {
		t.Errorf("the model was not told: %+v", res)
	}
}

func TestChatUsageErrors(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{})
	home := chatHome(t, srv, "")
	for _, args := range [][]string{
		{"chat", "-q", "x", "--format", "yaml"},
		{"chat", "--format", "json"},
		{"chat", "-q", "x", "--max-turns", "0"},
		{"chat", "--continue", "--resume", "abc"},
		{"chat", "extra"},
	} {
		if r := hermesChat(t, home, "", args...); r.code != 2 || !strings.HasPrefix(r.stderr, "hermes: ") {
			t.Errorf("%v: %+v", args, r)
		}
	}
	if r := hermesChat(t, home, "", "chat", "-q", "x", "--toolsets", "nonsense"); r.code != 1 || !strings.Contains(r.stderr, "nonsense") {
		t.Errorf("unknown toolset: %+v", r)
	}
}
