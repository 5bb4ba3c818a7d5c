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
	r := hermesChat(t, home, "", "chat", "--resume", "bogus")
	const want = `hermes: resume: session "bogus": no such session (hermes sessions list shows the ids)` + "\n"
	if r.code != 1 || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("resume bogus: %+v", r)
	}
	if r := hermesChat(t, home, "", "chat", "-q", "x", "--toolsets", "nonsense"); r.code != 1 || !strings.Contains(r.stderr, "nonsense") {
		t.Errorf("unknown toolset: %+v", r)
	}
}

func TestChatREPLApprovalsThroughPipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	v1, v2 := filepath.Join(dir, "v1"), filepath.Join(dir, "v2")
	m1, m2 := filepath.Join(dir, "marker1"), filepath.Join(dir, "marker2")
	os.Mkdir(v1, 0o700)
	os.Mkdir(v2, 0o700)
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "clean up please"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			call("c1", "terminal", cmdArgs("rm -rf "+v1+" && touch "+m1))}}},
		{Match: llmtest.Match{ToolResult: true}, Response: text("First cleanup done.")},
		{Match: llmtest.Match{Contains: "clean up again"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			call("c2", "terminal", cmdArgs("rm -rf "+v2+" && touch "+m2))}}},
		{Match: llmtest.Match{ToolResult: true}, Response: text("Understood, I left it.")},
	}})
	in := "clean up please\no\nclean up again\nd not today\n/yolo\n/usage\n/quit\n"
	// The commands work on folders outside the workspace: on the host.
	r := hermesChat(t, chatHome(t, srv, "terminal:\n  backend: local\n"), in, "chat")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if _, err := os.Stat(m1); err != nil {
		t.Errorf("the command approved once did not run: %v\n%s", err, r.stdout)
	}
	if _, err := os.Stat(m2); err == nil {
		t.Error("the denied command ran")
	}
	if n := strings.Count(r.stdout, "needs your approval"); n != 2 {
		t.Errorf("asked %d times, want 2:\n%s", n, r.stdout)
	}
	for _, want := range []string{"rm -rf " + v2, "[o]nce / [s]ession / [a]lways / [d]eny", "First cleanup done.", "Understood, I left it.", "yolo on", "tokens in"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	reqs := srv.Requests()
	last := reqs[len(reqs)-1].Messages
	if res := last[len(last)-1]; res.Role != "tool" || !strings.Contains(res.Text, "not today") {
		t.Errorf("the deny reason did not reach the model: %+v", res)
	}
}

func TestChatResumeLatestSendsHistory(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "my name is Ada"}, Response: text("Nice to meet you, Ada.")},
		{Match: llmtest.Match{Contains: "what is my name"}, Times: 2, Response: text("Your name is Ada.")},
	}})
	home := chatHome(t, srv, "")
	if r := hermesChat(t, home, "", "chat", "-q", "my name is Ada"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if r := hermesChat(t, home, "what is my name\n", "chat", "--continue"); r.code != 0 || !strings.Contains(r.stdout, "resumed, 2 messages") {
		t.Fatalf("continue: %+v", r)
	}
	if r := hermesChat(t, home, "", "chat", "--resume", "latest", "-q", "what is my name"); r.code != 0 {
		t.Fatalf("resume: %+v", r)
	}
	reqs := srv.Requests()
	for i, n := range []int{3, 5} {
		msgs := reqs[i+1].Messages
		var texts []string
		for _, m := range msgs {
			if m.Role != "system" {
				texts = append(texts, m.Text)
			}
		}
		if len(texts) != n || texts[0] != "my name is Ada" || texts[1] != "Nice to meet you, Ada." {
			t.Errorf("request %d history: %q", i+1, texts)
		}
	}
}

func TestChatSecretsMaskedForModelAndStore(t *testing.T) {
	t.Parallel()
	const key = "sk-proj-abcdefghijklmnop1234567890XYZ"
	dir := t.TempDir()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "show the env"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			call("c1", "terminal", cmdArgs("cat "+filepath.Join(dir, "env.txt"))),
			call("c2", "read_file", fmt.Sprintf(`{"path": %q}`, filepath.Join(dir, "env.txt")))}}},
		{Match: llmtest.Match{ToolResult: true}, Response: text("Shown.")},
	}})
	writeFile(t, filepath.Join(dir, "env.txt"), "OPENAI_API_KEY="+key+"\n", 0o600)
	home := chatHome(t, srv, "terminal:\n  backend: local\n") // the file is outside the workspace: on the host
	if r := hermesChat(t, home, "", "chat", "-q", "show the env"); r.code != 0 || strings.Contains(r.stdout+r.stderr, key) {
		t.Fatalf("%+v", r)
	}
	reqs := srv.Requests()
	var tools []string
	for _, m := range reqs[1].Messages {
		if m.Role == "tool" {
			tools = append(tools, m.Text)
		}
	}
	if len(tools) != 2 {
		t.Fatalf("both parallel results must reach the model: %q", tools)
	}
	for _, tx := range tools {
		if strings.Contains(tx, key) || !strings.Contains(tx, "OPENAI_API_KEY=sk-pro") {
			t.Errorf("tool result not masked: %q", tx)
		}
	}
	if strings.Contains(string(reqs[1].Body), key) {
		t.Error("the key reached the model") // the model's own arguments hold no key: only a result could carry it
	}
	r := hermesChat(t, home, "", "sessions", "search", "OPENAI_API_KEY")
	if r.code != 0 || !strings.Contains(r.stdout, "OPENAI_API_KEY") || strings.Contains(r.stdout, key) {
		t.Errorf("sessions search: %+v", r)
	}
	db, err := os.ReadFile(filepath.Join(home, "state.db"))
	if err != nil || bytes.Contains(db, []byte(key)) {
		t.Errorf("the key is in state.db (%v)", err)
	}
}
