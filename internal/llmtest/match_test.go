package llmtest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
)

// post sends body to path with the headers of api and key.
func post(t *testing.T, srv *Server, api, key, body string) (int, string) {
	t.Helper()
	path := "/v1/chat/completions"
	if api == apiAnthropic {
		path = "/v1/messages"
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	switch {
	case key == "":
	case api == apiAnthropic:
		req.Header.Set("X-Api-Key", key)
		req.Header.Set("Anthropic-Version", "2023-06-01")
	default:
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func TestMatchFields(t *testing.T) {
	t.Parallel()
	const (
		plain    = `{"model":"gpt-4o","messages":[{"role":"user","content":"alpha"},{"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"text","text":"beta gamma"}]}]}`
		withTool = `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"t"}}]}`
		toolRes  = `{"model":"gpt-4o","messages":[{"role":"user","content":"alpha"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"t","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"result text"}]}`
		antRes   = `{"model":"claude","max_tokens":9,"messages":[{"role":"user","content":"alpha"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"t","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"result text"}]},{"type":"text","text":"and more"}]}]}`
	)
	tests := []struct {
		name, match, api, key, body string
		matches                     bool
	}{
		{"key", "{key: sk-1}", apiOpenAI, "sk-1", plain, true},
		{"other key", "{key: sk-1}", apiOpenAI, "sk-2", plain, false},
		{"anthropic key", "{key: sk-ant}", apiAnthropic, "sk-ant", antRes, true},
		{"no key", "{key: sk-1}", apiOpenAI, "", plain, false},
		{"model", "{model: gpt-4o}", apiOpenAI, "k", plain, true},
		{"other model", "{model: gpt-5}", apiOpenAI, "k", plain, false},
		{"api", "{api: anthropic}", apiAnthropic, "k", antRes, true},
		{"other api", "{api: anthropic}", apiOpenAI, "k", plain, false},
		{"contains last user text", "{contains: 'a gam'}", apiOpenAI, "k", plain, true},
		{"contains an earlier message", "{contains: alpha}", apiOpenAI, "k", plain, false},
		{"contains a tool result", "{contains: 'result text'}", apiOpenAI, "k", toolRes, true},
		{"contains an anthropic tool result", "{contains: 'result text'}", apiAnthropic, "k", antRes, true},
		{"has tools", "{has_tools: true}", apiOpenAI, "k", withTool, true},
		{"has no tools", "{has_tools: false}", apiOpenAI, "k", withTool, false},
		{"tool result", "{tool_result: true}", apiOpenAI, "k", toolRes, true},
		{"anthropic tool result", "{tool_result: true}", apiAnthropic, "k", antRes, true},
		{"no tool result", "{tool_result: true}", apiOpenAI, "k", plain, false},
		{"all fields", "{api: openai, model: gpt-4o, key: k, contains: result, has_tools: false, tool_result: true}", apiOpenAI, "k", toolRes, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, "steps: [{match: "+tt.match+", response: {text: matched}}]")
			srv.AllowUnused()
			status, body := post(t, srv, tt.api, tt.key, tt.body)
			step := srv.Requests()[0].Step
			if got := status == 200 && step == 0; got != tt.matches {
				t.Errorf("status %d step %d body %s; want match %t", status, step, body, tt.matches)
			}
		})
	}
}

// TestStepOrder: the first step with uses left answers; counted steps run
// out and give way; times -1 never does.
func TestStepOrder(t *testing.T) {
	t.Parallel()
	srv := serve(t, `
steps:
  - {match: {model: a}, times: 2, response: {text: a-twice}}
  - {match: {model: a}, times: -1, response: {text: a-always}}
  - {response: {text: anything-once}}
`)
	ask := func(model string) (string, int) {
		_, body := post(t, srv, apiOpenAI, "k", `{"model":"`+model+`","messages":[{"role":"user","content":"x"}]}`)
		rs := srv.Requests()
		return body, rs[len(rs)-1].Step
	}
	for i, want := range []struct {
		model string
		step  int
	}{{"a", 0}, {"b", 2}, {"a", 0}, {"a", 1}, {"a", 1}, {"b", -1}, {"a", 1}} {
		body, step := ask(want.model)
		if step != want.step {
			t.Errorf("request %d (model %s): step %d, want %d (%s)", i, want.model, step, want.step, body)
		}
	}
}

func TestNoMatch(t *testing.T) {
	t.Parallel()
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, "steps: [{match: {model: nobody}, response: {text: x}}]")
			srv.AllowUnused()
			_, _, err := call(context.Background(), srv, api, true)
			model := map[string]string{apiOpenAI: "gpt-4o", apiAnthropic: "claude-sonnet-4"}[api]
			want := `llmtest: no scripted response for request #1 (` + api + `, model "` + model + `", last user text "hi")`
			resp := apiResponse(err)
			if resp == nil || resp.StatusCode != 500 {
				t.Fatalf("err %v, want a 500", err)
			}
			var e *openai.Error
			var a *anthropic.Error
			switch {
			case errors.As(err, &e):
				if e.Message != want {
					t.Errorf("message %q\nwant %q", e.Message, want)
				}
			case errors.As(err, &a):
				if !strings.Contains(a.Error(), strconv.Quote(want)) {
					t.Errorf("error %v\nwant %s", a, want)
				}
			}
			if rs := srv.Requests(); len(rs) != 1 || rs[0].Step != -1 || rs[0].Model != model {
				t.Errorf("recorded %+v", rs)
			}
		})
	}
}

// TestInvalidRequests: requests the real APIs refuse get their 400 (or 404)
// and are recorded without using a step.
func TestInvalidRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, api, body, want string
		status                int
	}{
		{"openai without model", apiOpenAI, `{"messages":[{"role":"user","content":"x"}]}`, `"message":"you must provide a model parameter","type":"invalid_request_error"`, 400},
		{"openai without messages", apiOpenAI, `{"model":"m"}`, `'messages'`, 400},
		{"openai bad json", apiOpenAI, `{"model":`, `"type":"invalid_request_error"`, 400},
		{"anthropic without max_tokens", apiAnthropic, `{"model":"m","messages":[{"role":"user","content":"x"}]}`,
			`{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}`, 400},
		{"anthropic without model", apiAnthropic, `{"max_tokens":5,"messages":[]}`, `"model: Field required"`, 400},
		{"anthropic bad json", apiAnthropic, `not json`, `"invalid_request_error"`, 400},
		{"anthropic bad content", apiAnthropic, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":5}]}`, `"invalid_request_error"`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, "steps: [{response: {text: never}}]")
			status, body := post(t, srv, tt.api, "k", tt.body)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%d %s, want %d with %s", status, body, tt.status, tt.want)
			}
			if rs := srv.Requests(); len(rs) != 1 || rs[0].Step != -1 || string(rs[0].Body) != tt.body {
				t.Errorf("recorded %+v", rs)
			}
			if len(srv.Unused()) != 1 {
				t.Errorf("the step was used")
			}
			srv.AllowUnused()
		})
	}
	t.Run("unknown path", func(t *testing.T) {
		t.Parallel()
		srv := serve(t, "")
		res, err := http.Get(srv.URL + "/v1/responses")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 || len(srv.Requests()) != 1 {
			t.Errorf("status %d, %d recorded", res.StatusCode, len(srv.Requests()))
		}
	})
}

// TestConversationRecorded: a tool round trip through each SDK; the
// recorded requests show what the SDK sent, normalised.
func TestConversationRecorded(t *testing.T) {
	t.Parallel()
	const yaml = `
steps:
  - match: {has_tools: true, contains: notes.txt}
    response:
      text: Let me look.
      tool_calls:
        - {name: read_file, arguments: '` + args1 + `'}
        - {name: terminal, arguments: '` + args2 + `'}
  - match: {tool_result: true, contains: buy milk}
    response: {text: done}
`
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, yaml)
			ids := converse(t, srv, api)
			rs := srv.Requests()
			if len(rs) != 2 || rs[0].Step != 0 || rs[1].Step != 1 || !rs[0].Stream || rs[1].Stream {
				t.Fatalf("requests %+v", rs)
			}
			key, model, args := "sk-test", "gpt-4o", [2]string{args1, args2}
			if api == apiAnthropic {
				key, model = "sk-ant-test", "claude-sonnet-4"
				args = [2]string{compactJSON([]byte(args1)), compactJSON([]byte(args2))}
			}
			for _, r := range rs {
				if r.API != api || r.Key != key || r.Model != model || r.System != "you are terse" ||
					!reflect.DeepEqual(r.Tools, []string{"read_file", "terminal"}) || r.Method != "POST" || r.Header.Get("User-Agent") == "" {
					t.Errorf("request %+v", r)
				}
			}
			want := []Message{
				{Role: "user", Text: "what is in notes.txt?"},
				{Role: "assistant", Text: "Let me look.", ToolCalls: []ToolCall{
					{ID: ids[0], Name: "read_file", Arguments: args[0]}, {ID: ids[1], Name: "terminal", Arguments: args[1]}}},
				{Role: "tool", Text: "buy milk", ToolCallID: ids[0]},
				{Role: "tool", Text: "permission denied", ToolCallID: ids[1], IsError: api == apiAnthropic},
			}
			if api == apiOpenAI {
				want = append([]Message{{Role: "system", Text: "you are terse"}}, want...)
			}
			if got := rs[1].Messages; !reflect.DeepEqual(got, want) {
				t.Errorf("messages\n got %+v\nwant %+v", got, want)
			}
			if rs[1].Turn() != "buy milk\npermission denied" {
				t.Errorf("turn %q", rs[1].Turn())
			}
		})
	}
}

// converse streams a first request, then sends the answer back with two
// tool results; it returns the tool call ids.
func converse(t *testing.T, srv *Server, api string) []string {
	t.Helper()
	ctx := context.Background()
	if api == apiAnthropic {
		c := anthropicClient(srv)
		params := anthropicParams("claude-sonnet-4", "what is in notes.txt?")
		s := c.Messages.NewStreaming(ctx, params)
		var msg anthropic.Message
		for s.Next() {
			if err := msg.Accumulate(s.Current()); err != nil {
				t.Fatal(err)
			}
		}
		if s.Err() != nil || len(msg.Content) != 3 {
			t.Fatalf("%v %+v", s.Err(), msg)
		}
		ids := []string{msg.Content[1].ID, msg.Content[2].ID}
		params.Messages = append(params.Messages, msg.ToParam(), anthropic.NewUserMessage(
			anthropic.NewToolResultBlock(ids[0], "buy milk", false), anthropic.NewToolResultBlock(ids[1], "permission denied", true)))
		if _, err := c.Messages.New(ctx, params); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	c := openAIClient(srv)
	params := openAIParams("gpt-4o", "what is in notes.txt?")
	s := c.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	for s.Next() {
		acc.AddChunk(s.Current())
	}
	if s.Err() != nil || len(acc.Choices) != 1 || len(acc.Choices[0].Message.ToolCalls) != 2 {
		t.Fatalf("%v %+v", s.Err(), acc.ChatCompletion)
	}
	calls := acc.Choices[0].Message.ToolCalls
	ids := []string{calls[0].ID, calls[1].ID}
	params.Messages = append(params.Messages, acc.Choices[0].Message.ToParam(),
		openai.ToolMessage("buy milk", ids[0]), openai.ToolMessage("permission denied", ids[1]))
	if _, err := c.Chat.Completions.New(ctx, params); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestUnusedSteps(t *testing.T) {
	t.Parallel()
	script, err := ParseScript([]byte(`
steps:
  - {times: 2, response: {text: twice}}
  - {match: {model: never}, times: -1, response: {text: always}}
  - {match: {model: never}, response: {status: 429, error: slow down}}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, allow := range []bool{false, true} {
		fake := &fakeTB{TB: t}
		srv := New(fake, script)
		if allow {
			srv.AllowUnused()
		}
		post(t, srv, apiOpenAI, "k", `{"model":"m","messages":[]}`)
		fake.runCleanups()
		if allow {
			if len(fake.errors) != 0 {
				t.Errorf("AllowUnused, still reported %q", fake.errors)
			}
			continue
		}
		if len(fake.errors) != 1 || !strings.Contains(fake.errors[0], `steps[0] {}: 1 of 2 uses left; response text "twice"`) ||
			!strings.Contains(fake.errors[0], `steps[2] {model: never}: 1 of 1 uses left; response 429 "slow down"`) ||
			strings.Contains(fake.errors[0], "steps[1]") {
			t.Errorf("reported %q", fake.errors)
		}
		if _, err := http.Get(srv.URL + "/v1/models"); err == nil {
			t.Error("the server still answers after cleanup")
		}
	}
}

func TestParallelRequests(t *testing.T) {
	t.Parallel()
	srv := serve(t, `
steps:
  - {times: 20, response: {text: counted, chunk_size: 2}}
  - {times: -1, response: {text: rest}}
`)
	var wg sync.WaitGroup
	var mu sync.Mutex
	texts := map[string]int{}
	for i := range 60 {
		wg.Go(func() {
			text, _, err := call(context.Background(), srv, apis[i%2], i%3 == 0)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			texts[text]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if texts["counted"] != 20 || texts["rest"] != 40 || len(srv.Requests()) != 60 {
		t.Errorf("answers %v, %d recorded", texts, len(srv.Requests()))
	}
}

func TestModels(t *testing.T) {
	t.Parallel()
	srv := serve(t, "models: [gpt-4o, claude-sonnet-4]")
	ctx := context.Background()
	page, err := openAIClient(srv).Models.List(ctx)
	if err != nil || len(page.Data) != 2 || page.Data[0].ID != "gpt-4o" || page.Data[1].OwnedBy != "llmtest" {
		t.Fatalf("openai models %+v %v", page, err)
	}
	apage, err := anthropicClient(srv).Models.List(ctx, anthropic.ModelListParams{})
	if err != nil || len(apage.Data) != 2 || apage.Data[1].ID != "claude-sonnet-4" || apage.Data[0].CreatedAt.Year() != 2025 {
		t.Fatalf("anthropic models %+v %v", apage, err)
	}
	m, err := anthropicClient(srv).Models.Get(ctx, "claude-sonnet-4", anthropic.ModelGetParams{})
	if err != nil || m.DisplayName != "claude-sonnet-4" {
		t.Fatalf("anthropic model %+v %v", m, err)
	}
	_, err = openAIClient(srv).Models.Get(ctx, "gpt-9")
	var oe *openai.Error
	if !errors.As(err, &oe) || oe.StatusCode != 404 {
		t.Errorf("unknown model: %v", err)
	}
	rs := srv.Requests()
	if len(rs) != 4 || rs[0].API != apiOpenAI || rs[1].API != apiAnthropic || rs[1].Key != "sk-ant-test" || rs[0].Step != -1 {
		t.Errorf("recorded %+v", rs)
	}
	def := serve(t, "")
	if page, err := openAIClient(def).Models.List(ctx); err != nil || len(page.Data) != 1 || page.Data[0].ID != "scripted-model" {
		t.Errorf("default models %+v %v", page, err)
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	srv := serve(t, "steps: [{response: {text: first}}]")
	post(t, srv, apiOpenAI, "k", `{"model":"m","messages":[]}`)
	srv.Reset(Script{Steps: []Step{{Response: Response{Text: "second"}}}})
	if len(srv.Requests()) != 0 {
		t.Fatal("requests kept")
	}
	if _, body := post(t, srv, apiOpenAI, "k", `{"model":"m","messages":[]}`); !strings.Contains(body, `"content":"second"`) {
		t.Errorf("after Reset: %s", body)
	}
	defer func() {
		if recover() == nil {
			t.Error("Reset took an invalid script")
		}
	}()
	srv.Reset(Script{Steps: []Step{{Times: -5}}})
}
