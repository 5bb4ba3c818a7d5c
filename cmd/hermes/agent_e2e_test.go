package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/llmtest"
)

// withConfig appends YAML to a home's config.yaml.
func withConfig(t *testing.T, home, yaml string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(home, "config.yaml"), os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(yaml); err != nil {
		t.Fatal(err)
	}
}

var noTools = false

// compressionScript: a first turn with a tool call and a long answer; the
// summariser (the only request without tools) answers per summary.
func compressionScript(summary llmtest.Response) llmtest.Script {
	long := strings.Repeat("The billing service retries failed charges nightly. ", 250) // ~13 KB
	return llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "first question"}, Response: llmtest.Response{
			ToolCalls: []llmtest.ToolCall{{ID: "w1", Name: "todo", Arguments: `{"action":"write","todos":[{"id":"1","content":"read the billing code","status":"pending"}]}`}}}},
		{Match: llmtest.Match{ToolResult: true}, Response: llmtest.Response{Text: long}},
		{Match: llmtest.Match{HasTools: &noTools}, Response: summary},
		{Match: llmtest.Match{Contains: "second question"}, Response: llmtest.Response{Text: "Second answer."}},
	}}
}

// compressionHome is e2eHome with a 4,000-token context window and
// compression at half of it, keeping the first message and the last two.
func compressionHome(t *testing.T, srv *llmtest.Server) string {
	t.Helper()
	home := e2eHome(t, srv)
	path := filepath.Join(home, "config.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "model:\n", "model:\n  context_length: 4000\n", 1) +
		"compression:\n  enabled: true\n  threshold: 0.5\n  keep_first: 1\n  keep_last: 2\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

func TestAgentE2ECompression(t *testing.T) {
	bin := chatBinary(t)
	dir := t.TempDir()
	srv := llmtest.New(t, compressionScript(llmtest.Response{Text: "SUMMARY: the user planned to read the billing code."}))
	home := compressionHome(t, srv)

	if out, errs, code := runChat(t, chatCmd(bin, home, dir, "chat", "--toolsets", "todo", "-q", "first question")); code != 0 || !strings.Contains(out, "billing service") {
		t.Fatalf("first turn: %d %.200q %q", code, out, errs)
	}
	out, errs, code := runChat(t, chatCmd(bin, home, dir, "chat", "--continue", "--toolsets", "todo", "-q", "second question"))
	if code != 0 || out != "Second answer.\n" || !strings.Contains(errs, "compressed") {
		t.Fatalf("second turn: %d %q %q", code, out, errs)
	}
	reqs := srv.Requests()
	last := reqs[len(reqs)-1]
	var sawSummary, sawSecond bool
	for _, m := range last.Messages {
		sawSummary = sawSummary || strings.Contains(m.Text, "[Summary of") && strings.Contains(m.Text, "SUMMARY: the user planned")
		sawSecond = sawSecond || m.Text == "second question"
	}
	if !sawSummary || !sawSecond {
		t.Errorf("the request after compression lacks the summary or the question: %+v", last.Messages)
	}
	// The summariser saw the middle: the todo call and its result.
	aux := reqs[len(reqs)-2]
	if len(aux.Tools) != 0 || !strings.Contains(aux.Messages[len(aux.Messages)-1].Text, "read the billing code") {
		t.Errorf("summariser request: %+v", aux)
	}
}

func TestAgentE2ECompressionFails(t *testing.T) {
	bin := chatBinary(t)
	dir := t.TempDir()
	srv := llmtest.New(t, compressionScript(llmtest.Response{Status: 500, Error: "summariser down"}))
	home := compressionHome(t, srv)

	if _, errs, code := runChat(t, chatCmd(bin, home, dir, "chat", "--toolsets", "todo", "-q", "first question")); code != 0 {
		t.Fatalf("first turn: %d %q", code, errs)
	}
	out, errs, code := runChat(t, chatCmd(bin, home, dir, "chat", "--continue", "--toolsets", "todo", "-q", "second question"))
	if code != 0 || out != "Second answer.\n" || !strings.Contains(strings.ToLower(errs), "warning") {
		t.Fatalf("second turn: %d %q %q", code, out, errs)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	var tools, summaries int
	for _, m := range last.Messages {
		if m.Role == "tool" {
			tools++
		}
		if strings.Contains(m.Text, "[Summary of") {
			summaries++
		}
	}
	if tools != 1 || summaries != 0 {
		t.Errorf("with the summariser failing the whole history must be sent: %d tool results, %d summaries", tools, summaries)
	}
}

func TestAgentE2EDelegation(t *testing.T) {
	bin := chatBinary(t)
	dir := t.TempDir()
	steps := []llmtest.Step{{Match: llmtest.Match{Contains: "three things"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{{
		ID: "d1", Name: "delegate_task",
		Arguments: `{"tasks":[{"goal":"child task alpha"},{"goal":"child task beta"},{"goal":"child task gamma"}]}`}}}}}
	for _, name := range []string{"alpha", "beta", "gamma"} {
		steps = append(steps, llmtest.Step{Match: llmtest.Match{Contains: "child task " + name},
			Response: llmtest.Response{Text: fmt.Sprintf("report %s: done", name)}})
	}
	steps = append(steps, llmtest.Step{Match: llmtest.Match{ToolResult: true, Contains: "report gamma"},
		Response: llmtest.Response{Text: "All three children reported."}})
	srv := llmtest.New(t, llmtest.Script{Steps: steps})
	home := e2eHome(t, srv)
	withConfig(t, home, "delegation:\n  enabled: true\n  max_parallel: 3\n")

	out, errs, code := runChat(t, chatCmd(bin, home, dir, "chat", "--toolsets", "todo,delegation", "-q", "look into three things"))
	if code != 0 || out != "All three children reported.\n" {
		t.Fatalf("delegation: %d %q %q", code, out, errs)
	}
	var children int
	var result string
	for _, r := range srv.Requests() {
		for _, m := range r.Messages {
			if m.Role == "user" && strings.Contains(m.Text, "child task") && !strings.Contains(m.Text, "three things") {
				children++
				break
			}
		}
		if res := toolResults(r); len(res) == 1 {
			result = res[0].Text
		}
	}
	if children != 3 {
		t.Errorf("%d child requests, want 3", children)
	}
	for _, name := range []string{"alpha", "beta", "gamma"} {
		if !strings.Contains(result, "report "+name) {
			t.Errorf("the parent's tool result lacks child %s: %q", name, result)
		}
	}
}
