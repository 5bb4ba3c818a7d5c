package llmtest

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
)

// fullScript sets every field of the format.
const fullScript = `
models: [gpt-4o, claude-sonnet-4]
steps:
  - match:
      api: openai
      model: gpt-4o
      key: sk-test
      contains: weather
      has_tools: true
      tool_result: false
    times: 2
    response:
      status: 200
      headers: {Retry-After: "120", x-ratelimit-reset-requests: 1s}
      text: "It is sunny."
      reasoning: "look outside"
      tool_calls:
        - {id: call_w, name: weather, arguments: '{"city": "Paris"}'}
      finish: tool_calls
      usage: {input: 10, output: 3}
      chunk_size: 4
      delay: 150ms
      chunk_delay: 2ms
      malformed: false
      cut_after: 5
      empty_stream: false
  - match: {api: anthropic, tool_result: true}
    times: -1
    response: {status: 429, error: "slow down", raw: '{"raw": true}'}
`

func TestParseScript(t *testing.T) {
	t.Parallel()
	s, err := ParseScript([]byte(fullScript))
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := Script{
		Models: []string{"gpt-4o", "claude-sonnet-4"},
		Steps: []Step{{
			Match: Match{API: "openai", Model: "gpt-4o", Key: "sk-test", Contains: "weather", HasTools: &yes},
			Times: 2,
			Response: Response{Status: 200, Headers: map[string]string{"Retry-After": "120", "x-ratelimit-reset-requests": "1s"},
				Text: "It is sunny.", Reasoning: "look outside",
				ToolCalls: []ToolCall{{ID: "call_w", Name: "weather", Arguments: `{"city": "Paris"}`}},
				Finish:    "tool_calls", Usage: Usage{Input: 10, Output: 3}, ChunkSize: 4,
				Delay: Duration(150 * time.Millisecond), ChunkDelay: Duration(2 * time.Millisecond), CutAfter: 5},
		}, {
			Match: Match{API: "anthropic", ToolResult: true}, Times: -1,
			Response: Response{Status: 429, Error: "slow down", Raw: `{"raw": true}`},
		}},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", s, want)
	}
}

func TestParseScriptErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "steps:\n  - match: {api: openai}\n    response:\n      text: hi\n      txet: oops\n",
			`line 5, column 7: unknown field "txet"`},
		{"unknown top-level key", "model: [x]\n", `line 1, column 1: unknown field "model"`},
		{"syntax", "steps: [\n", "line 1"},
		{"bad duration", "steps: [{response: {delay: 5 parsecs}}]", `duration "5 parsecs"`},
		{"unitless duration", "steps: [{response: {chunk_delay: 5}}]", `duration "5"`},
		{"bad api", "steps: [{}, {match: {api: gemini}}]", `steps[1]: match.api "gemini"`},
		{"bad times", "steps: [{times: -2}]", "steps[0]: times -2"},
		{"bad status", "steps: [{response: {status: 42}}]", "response.status 42"},
		{"negative chunk size", "steps: [{response: {chunk_size: -1}}]", "chunk_size -1"},
		{"negative cut", "steps: [{response: {cut_after: -1}}]", "cut_after -1"},
		{"nameless tool", "steps: [{response: {tool_calls: [{arguments: '{}'}]}}]", "tool_calls[0]: name is required"},
		{"error with a success status", "steps: [{response: {status: 200, error: oops}}]", "needs a 4xx or 5xx status"},
		{"empty model", "models: ['']", "empty model name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseScript([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "llmtest: ") {
				t.Errorf("err %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadScript(t *testing.T) {
	t.Parallel()
	s, err := LoadScript("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Steps) != 3 || s.Steps[0].Response.ToolCalls[0].Name != "read_file" || !s.Steps[1].Match.ToolResult ||
		s.Steps[2].Times != -1 || time.Duration(s.Steps[1].Response.ChunkDelay) != 2*time.Millisecond {
		t.Errorf("loaded %+v", s)
	}
	if _, err := LoadScript("testdata/missing.yaml"); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

// TestExampleConversation plays testdata/example.yaml through both SDKs.
func TestExampleConversation(t *testing.T) {
	t.Parallel()
	s, err := LoadScript("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			srv := New(t, s)
			converseExample(t, srv, api)
			if rs := srv.Requests(); len(rs) != 2 || rs[0].Step != 0 || rs[1].Step != 1 {
				t.Errorf("steps %+v", rs)
			}
		})
	}
}

func TestDurationYAML(t *testing.T) {
	t.Parallel()
	d := Duration(1500 * time.Millisecond)
	b, err := d.MarshalYAML()
	if err != nil || string(b) != "1.5s" || d.String() != "1.5s" {
		t.Errorf("%s %v", b, err)
	}
	var back Duration
	if err := back.UnmarshalYAML(b); err != nil || back != d {
		t.Errorf("%v %v", back, err)
	}
}

// converseExample asks about notes.txt, answers the tool call and checks
// the final streamed answer.
func converseExample(t *testing.T, srv *Server, api string) {
	t.Helper()
	ctx := context.Background()
	const answer = "notes.txt says: buy milk, call Alice."
	if api == apiAnthropic {
		c := anthropicClient(srv)
		params := anthropicParams("claude-sonnet-4", "What does notes.txt say?")
		msg, err := c.Messages.New(ctx, params)
		if err != nil || len(msg.Content) != 2 || msg.Content[1].Name != "read_file" || msg.Usage.InputTokens != 120 {
			t.Fatalf("%+v %v", msg, err)
		}
		params.Messages = append(params.Messages, msg.ToParam(),
			anthropic.NewUserMessage(anthropic.NewToolResultBlock(msg.Content[1].ID, "buy milk, call Alice", false)))
		s := c.Messages.NewStreaming(ctx, params)
		var final anthropic.Message
		for s.Next() {
			_ = final.Accumulate(s.Current())
		}
		if s.Err() != nil || len(final.Content) != 1 || final.Content[0].Text != answer {
			t.Fatalf("%+v %v", final, s.Err())
		}
		return
	}
	c := openAIClient(srv)
	params := openAIParams("gpt-4o", "What does notes.txt say?")
	res, err := c.Chat.Completions.New(ctx, params)
	if err != nil || len(res.Choices[0].Message.ToolCalls) != 1 || res.Choices[0].Message.ToolCalls[0].ID != "call_read_1" {
		t.Fatalf("%+v %v", res, err)
	}
	params.Messages = append(params.Messages, res.Choices[0].Message.ToParam(), openai.ToolMessage("buy milk, call Alice", "call_read_1"))
	s := c.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	for s.Next() {
		acc.AddChunk(s.Current())
	}
	if s.Err() != nil || acc.Choices[0].Message.Content != answer {
		t.Fatalf("%+v %v", acc.ChatCompletion, s.Err())
	}
}
