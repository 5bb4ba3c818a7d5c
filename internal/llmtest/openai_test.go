package llmtest

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
)

const (
	// sampleText has multi-byte characters and HTML-like text, so a chunk
	// boundary may fall next to a UTF-8 sequence.
	sampleText = "Streaming splits this sentence mid-word: ünïcödé ✓ <b>&amp;</b> \"quoted\"\nnew line."
	args1      = `{"path": "/tmp/a b.txt", "lines": [1, 2, 3]}`
	args2      = `{"command": "echo \"hi\" && ls -la"}`
)

// toolsYAML scripts a response with text and two parallel tool calls.
const toolsYAML = `
steps:
  - response:
      text: "Reading both."
      chunk_size: 5
      tool_calls:
        - {id: call_a, name: read_file, arguments: '` + args1 + `'}
        - {name: terminal, arguments: '` + args2 + `'}
`

func TestOpenAIComplete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml         string
		text, finish       string
		calls              [][2]string // name, arguments
		input, output      int64
		reasoning, nullTxt bool
	}{
		{name: "text", yaml: "steps: [{response: {text: 'hello <world> & ü', usage: {input: 11, output: 5}}}]",
			text: "hello <world> & ü", finish: "stop", input: 11, output: 5},
		{name: "tools", yaml: "steps: [{response: {tool_calls: [{name: read_file, arguments: '" + args1 + "'}, {name: terminal, arguments: '" + args2 + "'}]}}]",
			finish: "tool_calls", calls: [][2]string{{"read_file", args1}, {"terminal", args2}}, nullTxt: true},
		{name: "text and tools", yaml: toolsYAML, text: "Reading both.", finish: "tool_calls",
			calls: [][2]string{{"read_file", args1}, {"terminal", args2}}},
		{name: "length", yaml: "steps: [{response: {text: cut sho, finish: max_tokens}}]", text: "cut sho", finish: "length"},
		{name: "reasoning", yaml: "steps: [{response: {text: '42', reasoning: 'think hard'}}]", text: "42", finish: "stop", reasoning: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tt.yaml)
			res, err := openAIClient(srv).Chat.Completions.New(context.Background(), openAIParams("gpt-4o", "hi"))
			if err != nil {
				t.Fatal(err)
			}
			if res.Object != "chat.completion" || res.Model != "gpt-4o" || !strings.HasPrefix(res.ID, "chatcmpl-") || len(res.Choices) != 1 {
				t.Fatalf("completion %s", res.RawJSON())
			}
			msg := res.Choices[0].Message
			if msg.Content != tt.text || res.Choices[0].FinishReason != tt.finish {
				t.Errorf("content %q finish %q, want %q %q", msg.Content, res.Choices[0].FinishReason, tt.text, tt.finish)
			}
			if tt.nullTxt && msg.JSON.Content.Valid() {
				t.Errorf("content is not null with only tool calls: %s", msg.RawJSON())
			}
			checkOpenAICalls(t, msg.ToolCalls, tt.calls)
			u := res.Usage
			if u.PromptTokens == 0 || u.CompletionTokens == 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens ||
				tt.input != 0 && (u.PromptTokens != tt.input || u.CompletionTokens != tt.output) {
				t.Errorf("usage %+v", u)
			}
			if tt.reasoning && !strings.Contains(msg.RawJSON(), `"reasoning_content":"think hard"`) {
				t.Errorf("no reasoning_content in %s", msg.RawJSON())
			}
		})
	}
}

func checkOpenAICalls(t *testing.T, got []openai.ChatCompletionMessageToolCallUnion, want [][2]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d tool calls, want %d", len(got), len(want))
	}
	ids := map[string]bool{}
	for i, tc := range got {
		if tc.Type != "function" || tc.Function.Name != want[i][0] || tc.Function.Arguments != want[i][1] || tc.ID == "" || ids[tc.ID] {
			t.Errorf("tool call %d: %+v, want %s(%s) with a fresh id", i, tc, want[i][0], want[i][1])
		}
		ids[tc.ID] = true
	}
}

func TestOpenAIStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml   string
		usage        bool
		text, finish string
		calls        [][2]string
		minChunks    int
	}{
		{name: "text with usage", usage: true, yaml: "steps: [{response: {text: " + strconv.Quote(sampleText) + ", chunk_size: 3}}]",
			text: sampleText, finish: "stop", minChunks: len(sampleText) / 4},
		{name: "text without usage", yaml: "steps: [{response: {text: " + strconv.Quote(sampleText) + "}}]",
			text: sampleText, finish: "stop", minChunks: len(sampleText) / 8},
		{name: "parallel tool calls", usage: true, yaml: toolsYAML, text: "Reading both.", finish: "tool_calls",
			calls: [][2]string{{"read_file", args1}, {"terminal", args2}}, minChunks: 20},
		{name: "length", yaml: "steps: [{response: {text: abc, finish: length}}]", text: "abc", finish: "length", minChunks: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tt.yaml)
			params := openAIParams("gpt-4o-mini", "go")
			if tt.usage {
				params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
			}
			stream := openAIClient(srv).Chat.Completions.NewStreaming(context.Background(), params)
			var acc openai.ChatCompletionAccumulator
			n, usageChunks := 0, 0
			for stream.Next() {
				chunk := stream.Current()
				if !acc.AddChunk(chunk) {
					t.Fatalf("accumulator refused chunk %d: %s", n, chunk.RawJSON())
				}
				if chunk.Object != "chat.completion.chunk" {
					t.Errorf("object %q", chunk.Object)
				}
				if len(chunk.Choices) == 0 {
					usageChunks++
				}
				n++
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if n < tt.minChunks {
				t.Errorf("%d chunks, want at least %d", n, tt.minChunks)
			}
			msg := acc.Choices[0].Message
			if msg.Content != tt.text || acc.Choices[0].FinishReason != tt.finish || acc.Model != "gpt-4o-mini" {
				t.Errorf("content %q finish %q model %q", msg.Content, acc.Choices[0].FinishReason, acc.Model)
			}
			checkOpenAICalls(t, msg.ToolCalls, tt.calls)
			if got := acc.Usage.CompletionTokens > 0 && acc.Usage.PromptTokens > 0; got != tt.usage || usageChunks != map[bool]int{true: 1}[tt.usage] {
				t.Errorf("usage %+v in %d chunks; include_usage %t", acc.Usage, usageChunks, tt.usage)
			}
		})
	}
}

// TestOpenAIStreamSplitsMidWord: the deltas are the chunk size, so they
// split words and JSON.
func TestOpenAIStreamSplitsMidWord(t *testing.T) {
	t.Parallel()
	srv := serve(t, toolsYAML)
	stream := openAIClient(srv).Chat.Completions.NewStreaming(context.Background(), openAIParams("m", "go"))
	var text []string
	var args []string
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			if c.Delta.Content != "" {
				text = append(text, c.Delta.Content)
			}
			for _, tc := range c.Delta.ToolCalls {
				if tc.Index == 0 && tc.Function.Arguments != "" {
					args = append(args, tc.Function.Arguments)
				}
			}
		}
	}
	if stream.Err() != nil {
		t.Fatal(stream.Err())
	}
	if strings.Join(text, "|") != "Readi|ng bo|th." || len(args) != (len(args1)+4)/5 || strings.Join(args, "") != args1 {
		t.Errorf("text deltas %q, argument deltas %q", text, args)
	}
}
