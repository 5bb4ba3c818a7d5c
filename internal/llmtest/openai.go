package llmtest

import (
	"fmt"
	"time"
)

// OpenAI Chat Completions bodies, field for field as the API writes them.

type openAIChunk struct {
	ID                string              `json:"id"`
	Object            string              `json:"object"`
	Created           int64               `json:"created"`
	Model             string              `json:"model"`
	SystemFingerprint string              `json:"system_fingerprint"`
	Choices           []openAIChunkChoice `json:"choices"`
	Usage             *openAIUsage        `json:"usage,omitempty"`
}

type openAIChunkChoice struct {
	Index        int         `json:"index"`
	Delta        openAIDelta `json:"delta"`
	Logprobs     any         `json:"logprobs"`
	FinishReason *string     `json:"finish_reason"`
}

type openAIDelta struct {
	Role             string            `json:"role,omitempty"`
	Content          *string           `json:"content,omitempty"`
	ReasoningContent string            `json:"reasoning_content,omitempty"`
	ToolCalls        []openAIToolDelta `json:"tool_calls,omitempty"`
}

type openAIToolDelta struct {
	Index    int               `json:"index"`
	ID       string            `json:"id,omitempty"`
	Type     string            `json:"type,omitempty"`
	Function openAIToolFuncArg `json:"function"`
}

type openAIToolFuncArg struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

type openAIUsage struct {
	PromptTokens            int `json:"prompt_tokens"`
	CompletionTokens        int `json:"completion_tokens"`
	TotalTokens             int `json:"total_tokens"`
	PromptTokensDetails     obj `json:"prompt_tokens_details"`
	CompletionTokensDetails obj `json:"completion_tokens_details"`
}

type openAICompletion struct {
	ID                string         `json:"id"`
	Object            string         `json:"object"`
	Created           int64          `json:"created"`
	Model             string         `json:"model"`
	Choices           []openAIChoice `json:"choices"`
	Usage             openAIUsage    `json:"usage"`
	ServiceTier       string         `json:"service_tier"`
	SystemFingerprint string         `json:"system_fingerprint"`
}

type openAIChoice struct {
	Index        int                   `json:"index"`
	Message      openAIResponseMessage `json:"message"`
	Logprobs     any                   `json:"logprobs"`
	FinishReason string                `json:"finish_reason"`
}

type openAIResponseMessage struct {
	Role             string           `json:"role"`
	Content          *string          `json:"content"`
	ReasoningContent string           `json:"reasoning_content,omitempty"`
	Refusal          *string          `json:"refusal"`
	ToolCalls        []openAIToolCall `json:"tool_calls,omitempty"`
	Annotations      []any            `json:"annotations"`
}

type openAIToolCall struct {
	ID       string            `json:"id"`
	Type     string            `json:"type"`
	Function openAIToolFuncArg `json:"function"`
}

func (x *exchange) openAIID() string { return fmt.Sprintf("chatcmpl-llmtest%06d", x.id) }

func (x *exchange) openAIUsage() *openAIUsage {
	u := x.usage()
	reasoning := 0
	if x.resp.Reasoning != "" {
		reasoning = len(x.resp.Reasoning)/4 + 1
	}
	return &openAIUsage{
		PromptTokens: u.Input, CompletionTokens: u.Output, TotalTokens: u.Input + u.Output,
		PromptTokensDetails:     obj{{"cached_tokens", 0}, {"audio_tokens", 0}},
		CompletionTokensDetails: obj{{"reasoning_tokens", reasoning}, {"audio_tokens", 0}, {"accepted_prediction_tokens", 0}, {"rejected_prediction_tokens", 0}},
	}
}

// openAIComplete is a non-streaming chat.completion body.
func (x *exchange) openAIComplete() []byte {
	msg := openAIResponseMessage{Role: "assistant", ReasoningContent: x.resp.Reasoning, Annotations: []any{}}
	calls := x.toolCalls()
	if x.resp.Text != "" || len(calls) == 0 {
		text := x.resp.Text
		msg.Content = &text
	}
	for _, tc := range calls {
		msg.ToolCalls = append(msg.ToolCalls, openAIToolCall{ID: tc.ID, Type: "function",
			Function: openAIToolFuncArg{Name: tc.Name, Arguments: tc.Arguments}})
	}
	return marshal(openAICompletion{
		ID: x.openAIID(), Object: "chat.completion", Created: time.Now().Unix(), Model: x.req.Model,
		Choices:     []openAIChoice{{Message: msg, FinishReason: x.resp.finish(apiOpenAI)}},
		Usage:       *x.openAIUsage(),
		ServiceTier: "default", SystemFingerprint: "fp_llmtest",
	})
}

// openAIStream streams chat.completion.chunk events: the role, reasoning,
// text, each tool call (its header, then its arguments), the finish, the
// usage chunk when asked for, and [DONE].
func (x *exchange) openAIStream() {
	base := openAIChunk{ID: x.openAIID(), Object: "chat.completion.chunk", Created: time.Now().Unix(),
		Model: x.req.Model, SystemFingerprint: "fp_llmtest"}
	chunk := func(d openAIDelta, finish *string) event {
		c := base
		c.Choices = []openAIChunkChoice{{Delta: d, FinishReason: finish}}
		return dataEvent("", c, finish == nil && d.Role == "")
	}
	empty := ""
	events := []event{chunk(openAIDelta{Role: "assistant", Content: &empty}, nil)}
	n := x.resp.chunkSize()
	for _, piece := range chunks(x.resp.Reasoning, n) {
		events = append(events, chunk(openAIDelta{ReasoningContent: piece}, nil))
	}
	for _, piece := range chunks(x.resp.Text, n) {
		events = append(events, chunk(openAIDelta{Content: &piece}, nil))
	}
	for i, tc := range x.toolCalls() {
		head := openAIToolDelta{Index: i, ID: tc.ID, Type: "function", Function: openAIToolFuncArg{Name: tc.Name}}
		events = append(events, chunk(openAIDelta{ToolCalls: []openAIToolDelta{head}}, nil))
		for _, piece := range chunks(tc.Arguments, n) {
			arg := openAIToolDelta{Index: i, Function: openAIToolFuncArg{Arguments: piece}}
			events = append(events, chunk(openAIDelta{ToolCalls: []openAIToolDelta{arg}}, nil))
		}
	}
	finish := x.resp.finish(apiOpenAI)
	events = append(events, chunk(openAIDelta{}, &finish))
	if x.includeUsage {
		c := base
		c.Choices, c.Usage = []openAIChunkChoice{}, x.openAIUsage()
		events = append(events, dataEvent("", c, false))
	}
	events = append(events, event{data: []byte("[DONE]")})
	malformed := event{data: []byte(`{"id":"` + base.ID + `","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"trunc`)}
	x.play(events, malformed)
}
