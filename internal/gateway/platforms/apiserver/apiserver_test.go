package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway/platform"
)

func TestRegisteredAndFactoryRefusals(t *testing.T) {
	t.Parallel()
	if _, ok := platform.Services()[Name]; !ok {
		t.Fatal("api_server is not registered")
	}
	enabled := config.Default()
	enabled.Platforms.APIServer.Enabled = true
	agent := newScripted()
	tests := []struct {
		name string
		cfg  *config.Config
		env  map[string]string
		want string
		is   error
	}{
		{name: "disabled", cfg: config.Default(), env: map[string]string{"API_SERVER_KEY": testKey}, is: platform.ErrDisabled},
		{name: "no key", cfg: enabled, want: "API_SERVER_KEY is not set: add API_SERVER_KEY=<a long random key> to the home's .env"},
		{name: "blank key", cfg: enabled, env: map[string]string{"API_SERVER_KEY": "  "}, want: ".env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(platform.Deps{
				Config: tt.cfg, Agent: agent, StateDir: t.TempDir(),
				Env: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok },
			})
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestListenDefaultAndNonLoopbackWarning(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if got := f.srv.Listen(); got != "127.0.0.1:8642" {
		t.Fatalf("Listen() = %q", got)
	}
	if strings.Contains(f.logs.String(), "beyond this machine") {
		t.Fatal("warned about a loopback listen")
	}
	g := newFixture(t, func(c *config.Config) { c.Platforms.APIServer.Listen = "0.0.0.0:9000" })
	if g.srv.Listen() != "0.0.0.0:9000" || !strings.Contains(g.logs.String(), "beyond this machine") {
		t.Fatalf("listen %q, log %q: want the address and a warning", g.srv.Listen(), g.logs.String())
	}
}

func TestChatCompletionNonStreaming(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var resp *http.Response
	c, err := f.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "hermes",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("hello")},
	}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	session := resp.Header.Get("X-Hermes-Session-Id")
	want := "turn 1 of agent:main:api_server:dm:" + session + ": hello"
	if len(c.Choices) != 1 || c.Choices[0].Message.Content != want || c.Choices[0].FinishReason != "stop" {
		t.Fatalf("choices = %+v, want content %q", c.Choices, want)
	}
	if c.Object != "chat.completion" || !strings.HasPrefix(c.ID, "chatcmpl-") || c.Usage.PromptTokens != 7 || c.Usage.TotalTokens != 8 {
		t.Fatalf("completion = %s", c.RawJSON())
	}
	if got := f.agent.last(); got.System != "be brief" || got.Source != "api_server" {
		t.Fatalf("turn request = %+v", got)
	}
}

func TestChatCompletionStreamingWithToolProgress(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	stream := f.client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:    "hermes",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("use tools")},
	})
	var text strings.Builder
	var progress []map[string]any
	finish := ""
	var usage int64
	for stream.Next() {
		ch := stream.Current()
		if strings.Contains(ch.RawJSON(), `"toolCallId"`) {
			var p map[string]any
			if err := json.Unmarshal([]byte(ch.RawJSON()), &p); err != nil {
				t.Fatal(err)
			}
			progress = append(progress, p)
			continue
		}
		if ch.Object != "chat.completion.chunk" {
			t.Fatalf("chunk object %q: %s", ch.Object, ch.RawJSON())
		}
		for _, c := range ch.Choices {
			text.WriteString(c.Delta.Content)
			if c.FinishReason != "" {
				finish = c.FinishReason
			}
		}
		usage += ch.Usage.CompletionTokens
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(text.String(), ": use tools") || !strings.HasPrefix(text.String(), "turn 1 of agent:main:api_server:dm:chat-") {
		t.Fatalf("streamed text %q", text.String())
	}
	if finish != "stop" || usage != 1 {
		t.Fatalf("finish %q usage %d", finish, usage)
	}
	want := []map[string]any{
		{"tool": "terminal", "label": "ls -la", "toolCallId": "call_1", "status": "running"},
		{"tool": "read_file", "label": "README.md", "toolCallId": "call_2", "status": "running"},
		{"tool": "terminal", "label": "exit 0", "toolCallId": "call_1", "status": "completed"},
		{"tool": "read_file", "label": "", "toolCallId": "call_2", "status": "completed"},
	}
	if len(progress) != len(want) {
		t.Fatalf("progress events %v, want %v", progress, want)
	}
	for i := range want {
		for k, v := range want[i] {
			if progress[i][k] != v {
				t.Fatalf("progress[%d] = %v, want %v", i, progress[i], want[i])
			}
		}
	}
}

func TestStreamWireFormat(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"use tools"}]}`
	resp := f.do(t, "POST", "/v1/chat/completions", body, testKey, nil)
	raw, _ := io.ReadAll(resp.Body)
	s := string(raw)
	if resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("X-Hermes-Session-Id") == "" {
		t.Fatalf("headers %v", resp.Header)
	}
	if !strings.Contains(s, "event: hermes.tool.progress\ndata: {") || !strings.HasSuffix(s, "data: [DONE]\n\n") {
		t.Fatalf("stream:\n%s", s)
	}
	for _, block := range strings.Split(strings.TrimSpace(s), "\n\n") {
		data := block[strings.LastIndex(block, "data: ")+6:]
		if data != "[DONE]" && !json.Valid([]byte(data)) {
			t.Fatalf("invalid data %q", data)
		}
	}
}

func TestStreamedTurnFailureIsAnError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	stream := f.client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "hermes", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("fail")},
	})
	for stream.Next() {
	}
	if err := stream.Err(); err == nil || !strings.Contains(err.Error(), "agent turn failed") {
		t.Fatalf("stream err = %v", err)
	}
	_, err := f.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "hermes", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("fail")},
	})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || !strings.Contains(apiErr.Message, "the model is down") {
		t.Fatalf("err = %v", err)
	}
}

func TestWrongKeyRejected(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, key := range []string{"wrong", testKey + "x", ""} {
		c := f.newClient(key)
		_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "hermes", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "invalid_api_key" {
			t.Fatalf("key %q: err = %v", key, err)
		}
		if _, err := c.Models.List(context.Background()); !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
			t.Fatalf("key %q: models err = %v", key, err)
		}
	}
	resp := f.do(t, "GET", "/v1/models", "", "", map[string]string{"Authorization": "Basic " + testKey})
	if resp.StatusCode != 401 {
		t.Fatalf("basic auth: %d", resp.StatusCode)
	}
	if n := f.agent.count(); n != 0 {
		t.Fatalf("%d turns ran without a key", n)
	}
}

func TestModelsAndHealth(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *config.Config) { c.Platforms.APIServer.ModelName = "hermes-prod" })
	page, err := f.client.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || page.Data[0].ID != "hermes-prod" {
		t.Fatalf("models %s", page.RawJSON())
	}
	resp := f.do(t, "GET", "/health", "", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("health %d", resp.StatusCode)
	}
	var h map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || h["status"] != "ok" {
		t.Fatalf("health %v %v", h, err)
	}
}

func (f *fixture) do(t *testing.T, method, path, body, key string, headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := f.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestSessionContinuity(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ask := func(msgs []openai.ChatCompletionMessageParamUnion, opts ...option.RequestOption) (string, string) {
		var resp *http.Response
		c, err := f.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "hermes", Messages: msgs}, append(opts, option.WithResponseInto(&resp))...)
		if err != nil {
			t.Fatal(err)
		}
		return c.Choices[0].Message.Content, resp.Header.Get("X-Hermes-Session-Id")
	}
	// With the header: the same id continues, another starts afresh.
	a1, s1 := ask([]openai.ChatCompletionMessageParamUnion{openai.UserMessage("one")}, option.WithHeader("X-Hermes-Session-Id", "my-chat"))
	a2, s2 := ask([]openai.ChatCompletionMessageParamUnion{openai.UserMessage("two")}, option.WithHeader("X-Hermes-Session-Id", "my-chat"))
	if s1 != "my-chat" || s2 != "my-chat" || !strings.HasPrefix(a1, "turn 1 of agent:main:api_server:dm:my-chat") || !strings.HasPrefix(a2, "turn 2 of agent:main:api_server:dm:my-chat") {
		t.Fatalf("header session: %q %q / %q %q", s1, a1, s2, a2)
	}
	// Without it: a resent, growing history is one session.
	sys, first := openai.SystemMessage("sys"), openai.UserMessage("start")
	_, d1 := ask([]openai.ChatCompletionMessageParamUnion{sys, first})
	b2, d2 := ask([]openai.ChatCompletionMessageParamUnion{sys, first, openai.AssistantMessage("ok"), openai.UserMessage("more")})
	_, d3 := ask([]openai.ChatCompletionMessageParamUnion{sys, openai.UserMessage("other start")})
	if d1 != d2 || !strings.HasPrefix(b2, "turn 2 of") || !strings.HasSuffix(b2, ": more") || d3 == d1 {
		t.Fatalf("derived sessions %q %q %q, reply %q", d1, d2, d3, b2)
	}
	resp := f.do(t, "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, testKey, map[string]string{"X-Hermes-Session-Id": "bad id/../"})
	if resp.StatusCode != 400 {
		t.Fatalf("bad session id: %d", resp.StatusCode)
	}
}

func TestResponsesPreviousResponseID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	r1, err := f.client.Responses.New(ctx, responses.ResponseNewParams{Model: "hermes", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("first")}})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := f.client.Responses.New(ctx, responses.ResponseNewParams{Model: "hermes", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("second")}, PreviousResponseID: openai.String(r1.ID)})
	if err != nil {
		t.Fatal(err)
	}
	r3, err := f.client.Responses.New(ctx, responses.ResponseNewParams{Model: "hermes", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("fresh")}})
	if err != nil {
		t.Fatal(err)
	}
	o1, o2, o3 := r1.OutputText(), r2.OutputText(), r3.OutputText()
	sess := strings.TrimSuffix(strings.TrimPrefix(o1, "turn 1 of "), ": first")
	if !strings.HasPrefix(o1, "turn 1 of") || o2 != "turn 2 of "+sess+": second" || strings.Contains(o3, sess) || !strings.HasPrefix(o3, "turn 1 of") {
		t.Fatalf("outputs %q %q %q", o1, o2, o3)
	}
	if r2.PreviousResponseID != r1.ID || r1.Status != "completed" {
		t.Fatalf("r2 %s", r2.RawJSON())
	}
	got, err := f.client.Responses.Get(ctx, r2.ID, responses.ResponseGetParams{})
	if err != nil || got.OutputText() != o2 {
		t.Fatalf("get: %v %q", err, got.OutputText())
	}
	_, err = f.client.Responses.New(ctx, responses.ResponseNewParams{Model: "hermes", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("x")}, PreviousResponseID: openai.String("resp_nope")})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("unknown previous: %v", err)
	}
}

func TestResponsesSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Platforms.APIServer.Enabled = true
	deps := platform.Deps{Config: cfg, Agent: newScripted(), StateDir: dir,
		Env: func(k string) (string, bool) { return testKey, k == "API_SERVER_KEY" }}
	s1, err := Open(deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.st.putResponse(context.Background(), "resp_keep", "sess-keep", []byte(`{"id":"resp_keep"}`), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(deps)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	sess, _, ok, err := s2.st.response(context.Background(), "resp_keep")
	if err != nil || !ok || sess != "sess-keep" {
		t.Fatalf("after reopen: %q %v %v", sess, ok, err)
	}
}
