package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway/platform"
)

const testKey = "sk-test-0123456789abcdef"

// scripted is a platform.Agent that answers from a script: it counts
// turns per session and replies "turn N of SESSION: TEXT" as word
// deltas; "use tools" emits two tool calls first; "fail" fails; "wait"
// blocks until release is closed or the turn is cancelled.
type scripted struct {
	mu      sync.Mutex
	turns   map[string]int
	reqs    []platform.TurnRequest
	release chan struct{}
	cut     int // turns that ended because their context did
}

func newScripted() *scripted {
	return &scripted{turns: map[string]int{}, release: make(chan struct{})}
}

func (a *scripted) Turn(ctx context.Context, r platform.TurnRequest) (platform.TurnResult, error) {
	a.mu.Lock()
	a.turns[r.SessionKey]++
	n := a.turns[r.SessionKey]
	a.reqs = append(a.reqs, platform.TurnRequest{SessionKey: r.SessionKey, Text: r.Text, System: r.System, Source: r.Source})
	a.mu.Unlock()
	emit := func(ev platform.Event) {
		if r.Events != nil {
			r.Events(ev)
		}
	}
	switch r.Text {
	case "fail":
		return platform.TurnResult{}, errors.New("the model is down")
	case "wait":
		select {
		case <-a.release:
		case <-ctx.Done():
			a.mu.Lock()
			a.cut++
			a.mu.Unlock()
			return platform.TurnResult{}, ctx.Err()
		}
	case "use tools":
		emit(platform.Event{Kind: "tool", Tool: "terminal", Text: "ls -la"})
		emit(platform.Event{Kind: "tool", Tool: "read_file", Text: "README.md"})
		emit(platform.Event{Kind: "tool_done", Tool: "terminal", Text: "exit 0"})
		emit(platform.Event{Kind: "tool_done", Tool: "read_file"})
	}
	reply := fmt.Sprintf("turn %d of %s: %s", n, r.SessionKey, r.Text)
	for _, w := range strings.SplitAfter(reply, " ") {
		emit(platform.Event{Kind: "text", Text: w})
	}
	return platform.TurnResult{Text: reply, SessionID: "s-" + r.SessionKey, InputTokens: 7, OutputTokens: n}, nil
}

func (a *scripted) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.reqs)
}

func (a *scripted) last() platform.TurnRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reqs[len(a.reqs)-1]
}

// fixture is a server on loopback with its agent and an openai client.
type fixture struct {
	srv    *Server
	http   *httptest.Server
	agent  *scripted
	client openai.Client
	logs   *strings.Builder
}

func newFixture(t testing.TB, edit func(*config.Config)) *fixture {
	t.Helper()
	cfg := config.Default()
	cfg.Platforms.APIServer.Enabled = true
	if edit != nil {
		edit(cfg)
	}
	f := &fixture{agent: newScripted(), logs: &strings.Builder{}}
	var logMu sync.Mutex
	svc, err := New(platform.Deps{
		Config: cfg,
		Env: func(k string) (string, bool) {
			return map[string]string{"API_SERVER_KEY": testKey}[k], k == "API_SERVER_KEY"
		},
		Agent:    f.agent,
		StateDir: t.TempDir(),
		Logf: func(format string, args ...any) {
			logMu.Lock()
			defer logMu.Unlock()
			fmt.Fprintf(f.logs, format+"\n", args...)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = svc.(*Server)
	f.http = httptest.NewServer(f.srv.Handler())
	t.Cleanup(func() {
		close(f.agent.release)
		f.http.Close()
		if err := f.srv.Close(); err != nil {
			t.Error(err)
		}
	})
	f.client = f.newClient(testKey)
	return f
}

func (f *fixture) newClient(key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(f.http.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
}

func chatParams(text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{Model: "hermes", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)}}
}

func (a *scripted) cutTurns() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cut
}
