package llmtest

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
)

// anthropicWant is what a message should hold.
type anthropicWant struct {
	text, thinking, stop string
	calls                [][2]string // name, input
	input, output        int64
}

var anthropicCases = []struct {
	name, yaml string
	want       anthropicWant
}{
	{name: "text", yaml: "steps: [{response: {text: " + strconv.Quote(sampleText) + ", chunk_size: 3, usage: {input: 21, output: 8}}}]",
		want: anthropicWant{text: sampleText, stop: "end_turn", input: 21, output: 8}},
	{name: "parallel tool calls", yaml: toolsYAML,
		want: anthropicWant{text: "Reading both.", stop: "tool_use", calls: [][2]string{{"read_file", args1}, {"terminal", args2}}}},
	{name: "max tokens", yaml: "steps: [{response: {text: half an ans, finish: length}}]",
		want: anthropicWant{text: "half an ans", stop: "max_tokens"}},
	{name: "thinking", yaml: "steps: [{response: {text: '42', reasoning: 'six times seven', chunk_size: 4}}]",
		want: anthropicWant{text: "42", thinking: "six times seven", stop: "end_turn"}},
	{name: "tool without arguments", yaml: "steps: [{response: {tool_calls: [{name: now}]}}]",
		want: anthropicWant{stop: "tool_use", calls: [][2]string{{"now", "{}"}}}},
}

func TestAnthropicComplete(t *testing.T) {
	t.Parallel()
	for _, tt := range anthropicCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tt.yaml)
			msg, err := anthropicClient(srv).Messages.New(context.Background(), anthropicParams("claude-sonnet-4", "hi"))
			if err != nil {
				t.Fatal(err)
			}
			// Like the real API, a non-streamed input is a compact object.
			want := tt.want
			want.calls = nil
			for _, c := range tt.want.calls {
				want.calls = append(want.calls, [2]string{c[0], compactJSON([]byte(c[1]))})
			}
			checkAnthropicMessage(t, msg, want)
		})
	}
}

func TestAnthropicStream(t *testing.T) {
	t.Parallel()
	for _, tt := range anthropicCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tt.yaml)
			stream := anthropicClient(srv).Messages.NewStreaming(context.Background(), anthropicParams("claude-sonnet-4", "hi"))
			var msg anthropic.Message
			var types []string
			for stream.Next() {
				ev := stream.Current()
				types = append(types, ev.Type)
				if err := msg.Accumulate(ev); err != nil {
					t.Fatalf("accumulate %s: %v", ev.Type, err)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			seq := strings.Join(types, " ")
			if !strings.HasPrefix(seq, "message_start content_block_start content_block_delta") ||
				!strings.HasSuffix(seq, "content_block_stop message_delta message_stop") {
				t.Errorf("event sequence %s", seq)
			}
			checkAnthropicMessage(t, &msg, tt.want)
		})
	}
}

func checkAnthropicMessage(t *testing.T, msg *anthropic.Message, want anthropicWant) {
	t.Helper()
	if msg.Type != "message" || msg.Role != "assistant" || msg.Model != "claude-sonnet-4" || !strings.HasPrefix(msg.ID, "msg_") {
		t.Errorf("message header %s", msg.RawJSON())
	}
	var text, thinking strings.Builder
	var calls [][2]string
	for _, b := range msg.Content {
		switch v := b.AsAny().(type) {
		case anthropic.TextBlock:
			text.WriteString(v.Text)
		case anthropic.ThinkingBlock:
			thinking.WriteString(v.Thinking)
			if v.Signature == "" {
				t.Error("thinking block without a signature")
			}
		case anthropic.ToolUseBlock:
			calls = append(calls, [2]string{v.Name, string(v.Input)})
			if !strings.HasPrefix(v.ID, "toolu_") && v.ID != "call_a" {
				t.Errorf("tool id %q", v.ID)
			}
		}
	}
	if text.String() != want.text || thinking.String() != want.thinking || string(msg.StopReason) != want.stop {
		t.Errorf("text %q thinking %q stop %q, want %q %q %q", text.String(), thinking.String(), msg.StopReason, want.text, want.thinking, want.stop)
	}
	if len(calls) != len(want.calls) {
		t.Fatalf("tool calls %q, want %q", calls, want.calls)
	}
	for i := range calls {
		if calls[i] != want.calls[i] {
			t.Errorf("tool call %d: %q, want %q", i, calls[i], want.calls[i])
		}
	}
	u := msg.Usage
	if u.InputTokens == 0 || u.OutputTokens == 0 || want.input != 0 && (u.InputTokens != want.input || u.OutputTokens != want.output) {
		t.Errorf("usage in %d out %d", u.InputTokens, u.OutputTokens)
	}
}
