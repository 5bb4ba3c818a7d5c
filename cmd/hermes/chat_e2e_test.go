package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/llmtest"
	"github.com/hermes-go/hermes/internal/testenv"
)

const e2eKeyEnv = "HERMES_E2E_LLM_KEY"

// chatBinary builds hermes and checks that it has the chat command.
func chatBinary(t testing.TB) string {
	t.Helper()
	bin := testenv.BuildHermes(t)
	if out, err := exec.Command(bin, "chat", "--help").CombinedOutput(); err != nil {
		t.Fatalf("hermes chat --help: %v\n%s", err, bytes.TrimSpace(out))
	}
	return bin
}

// e2eHome is a home whose model is srv; approvals ask, unattended denies.
func e2eHome(t testing.TB, srv *llmtest.Server) string {
	t.Helper()
	home := t.TempDir()
	cfg := fmt.Sprintf("model:\n  provider: custom\n  default: scripted-model\n  base_url: %s\n  key_env: %s\n"+
		"agent:\n  api_max_retries: 0\napprovals:\n  mode: manual\n  unattended: deny\n", srv.OpenAIBaseURL(), e2eKeyEnv)
	if err := os.WriteFile(filepath.Join(home, "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// chatCmd runs hermes in dir with the scripted model's key set.
func chatCmd(bin, home, dir string, args ...string) *exec.Cmd {
	cmd := hermesCmd(bin, home, args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, e2eKeyEnv+"=sk-e2e-test")
	return cmd
}

func runChat(t *testing.T, cmd *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func terminalCall(id, command string) llmtest.ToolCall {
	b, _ := json.Marshal(map[string]string{"command": command})
	return llmtest.ToolCall{ID: id, Name: "terminal", Arguments: string(b)}
}

func toolResults(r llmtest.Request) []llmtest.Message {
	var out []llmtest.Message
	for _, m := range r.Messages {
		if m.Role == "tool" {
			out = append(out, m)
		}
	}
	return out
}

func TestChatE2EOneShot(t *testing.T) {
	bin := chatBinary(t)
	dir := t.TempDir()
	const key = "sk-proj-abcdefghijklmnop1234567890XYZ"
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("buy milk\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "creds.env"), []byte("OPENAI_API_KEY="+key+"\n"), 0o600)
	os.Mkdir(filepath.Join(dir, "victim"), 0o700)
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "hello"}, Times: 2, Response: llmtest.Response{Text: "Hello from the model."}},
		{Match: llmtest.Match{Contains: "both at once"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			{ID: "r1", Name: "read_file", Arguments: `{"path": "notes.txt"}`}, terminalCall("t1", "cat creds.env")}}},
		{Match: llmtest.Match{ToolResult: true, Contains: "buy milk"}, Response: llmtest.Response{Text: "Notes read, creds shown."}},
		{Match: llmtest.Match{Contains: "delete it"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			terminalCall("d1", "rm -rf victim && touch marker")}}},
		{Match: llmtest.Match{ToolResult: true}, Response: llmtest.Response{Text: "It was blocked."}},
	}})
	home := e2eHome(t, srv)

	out, errs, code := runChat(t, chatCmd(bin, home, dir, "chat", "-q", "hello"))
	if code != 0 || out != "Hello from the model.\n" {
		t.Fatalf("text: %d %q %q", code, out, errs)
	}
	out, errs, code = runChat(t, chatCmd(bin, home, dir, "chat", "-q", "hello", "--format", "json"))
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res["answer"] != "Hello from the model." {
		t.Fatalf("json: %v %d %q %q", err, code, out, errs)
	}
	for _, k := range []string{"answer", "session_id", "provider", "model", "usage", "iterations", "exhausted"} {
		if _, ok := res[k]; !ok {
			t.Errorf("json lacks %s: %s", k, out)
		}
	}

	out, errs, code = runChat(t, chatCmd(bin, home, dir, "chat", "-q", "both at once"))
	if code != 0 || out != "Notes read, creds shown.\n" || strings.Contains(errs, key) {
		t.Fatalf("parallel: %d %q %q", code, out, errs)
	}
	if !strings.Contains(errs, "⚙ read_file") || !strings.Contains(errs, "⚙ terminal") {
		t.Errorf("no progress on stderr: %q", errs)
	}
	reqs := srv.Requests()
	results := toolResults(reqs[3])
	if len(results) != 2 || results[0].ToolCallID != "r1" || results[1].ToolCallID != "t1" ||
		!strings.Contains(results[0].Text, "buy milk") || !strings.Contains(results[1].Text, "OPENAI_API_KEY=sk-pro") {
		t.Fatalf("both results must reach the next request, in order: %+v", results)
	}
	if strings.Contains(string(reqs[3].Body), key) {
		t.Error("the secret reached the model")
	}
	searched, _, _ := runChat(t, chatCmd(bin, home, dir, "sessions", "search", "OPENAI_API_KEY"))
	if !strings.Contains(searched, "OPENAI_API_KEY") || strings.Contains(searched, key) {
		t.Errorf("sessions search: %q", searched)
	}

	out, errs, code = runChat(t, chatCmd(bin, home, dir, "chat", "-q", "delete it"))
	if code != 0 || out != "It was blocked.\n" {
		t.Fatalf("dangerous: %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "marker")); err == nil {
		t.Fatal("the dangerous command ran unattended")
	}
	if r := toolResults(srv.Requests()[5]); len(r) != 1 || !strings.Contains(r[0].Text, "not run") {
		t.Errorf("the model was not told it was blocked: %+v", r)
	}
}

func TestChatE2EStreamJSONAndFailure(t *testing.T) {
	bin := chatBinary(t)
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "stream"}, Response: llmtest.Response{Text: "one\ntwo\nthree", ChunkSize: 4}},
		{Match: llmtest.Match{Contains: "fail"}, Response: llmtest.Response{Status: 401, Error: "bad key"}},
	}})
	home := e2eHome(t, srv)
	out, errs, code := runChat(t, chatCmd(bin, home, t.TempDir(), "chat", "-q", "stream", "--format", "stream-json"))
	if code != 0 {
		t.Fatalf("%d %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var text string
	for i, l := range lines {
		var ev struct{ Type, Text, Answer string }
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line %d is not JSON: %q", i, l)
		}
		switch {
		case i == len(lines)-1 && (ev.Type != "result" || ev.Answer != "one\ntwo\nthree"):
			t.Errorf("last line: %s", l)
		case i < len(lines)-1 && ev.Type != "text":
			t.Errorf("line %d: %s", i, l)
		}
		if ev.Type == "text" {
			text += ev.Text
		}
	}
	// Text streams a line at a time: the redactor holds an unfinished line
	// so that a key split across chunks is masked whole.
	if len(lines) < 4 || text != "one\ntwo\nthree" {
		t.Errorf("streamed %d lines, text %q", len(lines), text)
	}
	out, errs, code = runChat(t, chatCmd(bin, home, t.TempDir(), "chat", "-q", "fail"))
	if code == 0 || out != "" || !strings.Contains(errs, "bad key") {
		t.Errorf("a failed turn: %d %q %q", code, out, errs)
	}
}

// liveOut collects a process's output while it runs.
type liveOut struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *liveOut) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *liveOut) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *liveOut) wait(tb testing.TB, want string, n int) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(l.String(), want) < n {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %q (x%d) in:\n%s", want, n, l.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestChatE2EInteractiveThroughPipe(t *testing.T) {
	bin := chatBinary(t)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "v1"), 0o700)
	os.Mkdir(filepath.Join(dir, "v2"), 0o700)
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "clean up please"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			terminalCall("c1", "rm -rf v1 && touch marker1")}}},
		{Match: llmtest.Match{ToolResult: true}, Response: llmtest.Response{Text: "First cleanup done."}},
		{Match: llmtest.Match{Contains: "clean up again"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			terminalCall("c2", "rm -rf v2 && touch marker2")}}},
		{Match: llmtest.Match{ToolResult: true}, Response: llmtest.Response{Text: "Left it alone."}},
		{Match: llmtest.Match{Contains: "wait a while"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			terminalCall("s1", "sleep 30")}}},
		{Match: llmtest.Match{Contains: "what happened"}, Times: 2, Response: llmtest.Response{Text: "We cleaned v1 only."}},
	}})
	home := e2eHome(t, srv)
	cmd := chatCmd(bin, home, dir, "chat")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &liveOut{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	out.wait(t, "› ", 1)
	io.WriteString(stdin, "clean up please\n")
	out.wait(t, "needs your approval", 1)
	io.WriteString(stdin, "o\n")
	out.wait(t, "First cleanup done.", 1)
	io.WriteString(stdin, "clean up again\n")
	out.wait(t, "needs your approval", 2)
	io.WriteString(stdin, "d not now\n")
	out.wait(t, "Left it alone.", 1)
	io.WriteString(stdin, "wait a while\n")
	out.wait(t, "⚙ terminal command=sleep 30", 1)
	cmd.Process.Signal(syscall.SIGINT)
	out.wait(t, "⏹ interrupted", 1)
	io.WriteString(stdin, "what happened\n")
	out.wait(t, "We cleaned v1 only.", 1)
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "marker1")); err != nil {
		t.Errorf("the command approved once did not run")
	}
	if _, err := os.Stat(filepath.Join(dir, "marker2")); err == nil {
		t.Errorf("the denied command ran")
	}

	// A new process continues the stored session with its whole history.
	o, errs, code := runChat(t, chatCmd(bin, home, dir, "chat", "--resume", "latest", "-q", "what happened"))
	if code != 0 || o != "We cleaned v1 only.\n" {
		t.Fatalf("resume: %d %q %q", code, o, errs)
	}
	reqs := srv.Requests()
	var users []string
	for _, m := range reqs[len(reqs)-1].Messages {
		if m.Role == "user" {
			users = append(users, m.Text)
		}
	}
	want := "clean up please|clean up again|wait a while|what happened|what happened"
	if strings.Join(users, "|") != want {
		t.Errorf("resumed history: %q", users)
	}
}

// BenchmarkREPLReady: from process start to the first prompt written,
// with stdin a pipe (non-terminal mode).
func BenchmarkREPLReady(b *testing.B) {
	bin := chatBinary(b)
	srv, err := llmtest.Start(llmtest.Script{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	home, dir := e2eHome(b, srv), b.TempDir()
	b.ResetTimer()
	for b.Loop() {
		cmd := chatCmd(bin, home, dir, "chat")
		stdin, _ := cmd.StdinPipe()
		out := &liveOut{}
		cmd.Stdout = out
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		out.wait(b, "› ", 1)
		b.StopTimer()
		stdin.Close()
		cmd.Wait()
		b.StartTimer()
	}
}
