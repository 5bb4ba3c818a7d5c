package chat

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/llmtest"
	"github.com/hermes-go/hermes/internal/store"
)

// syncBuffer is a bytes.Buffer safe for the REPL's writers and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until out holds want.
func waitFor(t *testing.T, out *syncBuffer, want string) { t.Helper(); waitForN(t, out, want, 1) }

// waitForN waits until out holds want n times.
func waitForN(t *testing.T, out *syncBuffer, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %q in:\n%s", want, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testOptions are Options for a fresh home whose model is srv.
func testOptions(t *testing.T, srv *llmtest.Server) Options {
	t.Helper()
	dir := t.TempDir()
	h, err := home.Resolve(home.Options{Getenv: func(k string) string {
		if k == "HERMES_HOME" {
			return dir
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Ensure(); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Model.Provider, cfg.Model.Default, cfg.Model.BaseURL = "custom", "scripted-model", srv.OpenAIBaseURL()
	cfg.Agent.APIMaxRetries = 0
	routers := func(c *config.Config) (*llm.Router, func(string) (*llm.Router, error), error) {
		r, err := llm.FromConfig(c, llm.Options{})
		return r, func(task string) (*llm.Router, error) { return llm.AuxFromConfig(c, task, llm.Options{}) }, err
	}
	return Options{Home: h, Config: cfg, Routers: routers, Cwd: t.TempDir(), Env: os.Environ(), Stdout: io.Discard, Stderr: io.Discard}
}

func TestREPLInterruptKeepsSessionValid(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "wait a while"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			{ID: "c1", Name: "terminal", Arguments: `{"command": "sleep 30"}`}}}},
		{Match: llmtest.Match{Contains: "are you there"}, Response: llmtest.Response{Text: "Yes, still here."}},
	}})
	o := testOptions(t, srv)
	pr, pw := io.Pipe()
	out := &syncBuffer{}
	ints := make(chan struct{})
	o.Stdin, o.Stdout, o.Interrupts = pr, out, ints
	done := make(chan error, 1)
	go func() { done <- REPL(context.Background(), o) }()

	fmt.Fprintln(pw, "wait a while")
	waitFor(t, out, "⚙ terminal command=sleep 30")
	start := time.Now()
	ints <- struct{}{}
	waitFor(t, out, "⏹ interrupted")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the interrupt took %s", d)
	}
	fmt.Fprintln(pw, "are you there")
	waitFor(t, out, "Yes, still here.")
	waitForN(t, out, "› ", 3) // the prompt after the answer: the turn is over
	ints <- struct{}{}
	waitFor(t, out, "press Ctrl-C again")
	ints <- struct{}{}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("two Ctrl-C at the prompt did not exit")
	}
	reqs := srv.Requests()
	var roles []string
	for _, m := range reqs[len(reqs)-1].Messages {
		if m.Role != "system" {
			roles = append(roles, m.Role)
		}
		if m.Role == "tool" && (m.ToolCallID != "c1" || !strings.Contains(m.Text, "interrupted")) {
			t.Errorf("the interrupted call's answer: %+v", m)
		}
	}
	if got := strings.Join(roles, " "); got != "user assistant tool user" {
		t.Errorf("history after the interrupt: %s", got)
	}
}

func TestREPLSlashCommands(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "Use the skill greet: Bob"}, Response: llmtest.Response{Text: "Hello Bob!"}},
		{Match: llmtest.Match{Contains: "and now?", Model: "other-model"}, Response: llmtest.Response{Text: "Switched."}},
		{Match: llmtest.Match{Contains: "fresh start"}, Response: llmtest.Response{Text: "New here."}},
	}})
	o := testOptions(t, srv)
	skill := "---\nname: greet\ndescription: Greets people warmly.\n---\nSay hello by name.\n"
	os.MkdirAll(filepath.Join(o.Home.Dir, "skills", "general", "greet"), 0o700)
	if err := os.WriteFile(filepath.Join(o.Home.Dir, "skills", "general", "greet", "SKILL.md"), []byte(skill), 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(o.Home.Dir, "memories", "MEMORY.md"), []byte("the user likes tea"), 0o600)
	out := &syncBuffer{}
	o.Stdout = out
	o.Stdin = strings.NewReader("/help\n/skills\n/nosuch thing\n/greet Bob\n/model\n/model other-model\nand now?\n/memory\n/yolo\n/yolo\n/new\nfresh start\n/usage\n/stop\n")
	if err := REPL(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"/compress", "/greet", "Greets people warmly.", "unknown command /nosuch", "Hello Bob!",
		"model: custom/scripted-model", "model: custom/other-model", "Switched.", "the user likes tea", "USER.md",
		"yolo on", "yolo off", "new session", "New here.", "tokens in", "stopped the session"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 (an unknown command sends nothing)", len(reqs))
	}
	if n := len(reqs[1].Messages); n < 3 {
		t.Errorf("/model lost the history: %d messages", n)
	}
	for _, m := range reqs[2].Messages {
		if strings.Contains(m.Text, "Bob") {
			t.Errorf("/new kept the old history: %q", m.Text)
		}
	}
}

// TestREPLModelKeepsApprovals: a session grant belongs to the session and
// survives /model: the same command runs again without a prompt.
func TestREPLModelKeepsApprovals(t *testing.T) {
	t.Parallel()
	const cmd = `rm -r build && mkdir build && echo ran >> cleaned`
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "clean the build"}, Times: 2, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			{ID: "c1", Name: "terminal", Arguments: `{"command": "` + cmd + `"}`}}}},
		{Match: llmtest.Match{ToolResult: true}, Times: 2, Response: llmtest.Response{Text: "Cleaned."}},
	}})
	o := testOptions(t, srv)
	os.Mkdir(filepath.Join(o.Cwd, "build"), 0o700)
	out := &syncBuffer{}
	o.Stdout = out
	// "s" grants the command for the session. After /model no answer
	// follows: were the grant lost, the prompt would read end of input
	// and deny.
	o.Stdin = strings.NewReader("clean the build\ns\n/model other-model\nclean the build\n")
	if err := REPL(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(o.Cwd, "cleaned"))
	if got := strings.Count(string(b), "ran"); got != 2 {
		t.Errorf("the command ran %d times, want 2 (the grant must survive /model):\n%s", got, out.String())
	}
}

// TestREPLEmptySessionNotStored: a chat quit before its first message
// leaves no session behind for --continue to pick; one with a message
// stays.
func TestREPLEmptySessionNotStored(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Contains: "hello"}, Response: llmtest.Response{Text: "Hi."}},
	}})
	o := testOptions(t, srv)
	count := func() int {
		t.Helper()
		st, err := store.Open(o.Home.Path(home.StateDB), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		list, err := st.List(context.Background(), store.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	for _, in := range []string{"", "/quit\n", "/new\n"} {
		o.Stdin = strings.NewReader(in)
		if err := REPL(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 0 {
			t.Fatalf("input %q: %d sessions stored, want 0", in, n)
		}
	}
	o.Stdin = strings.NewReader("hello\n")
	if err := REPL(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("%d sessions after a message, want 1", n)
	}
}
