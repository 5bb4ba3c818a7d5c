// Package llm owns talking to model providers: provider-neutral messages,
// tools, tool calls, streaming events and usage; adapters over the official
// OpenAI and Anthropic SDKs (their own retries off); the endpoints hermes
// knows and how config.yaml resolves to them; and the Router, which
// retries, rotates credential pool keys and falls back along the chain.
package llm

import "encoding/json"

// Role is who said a message.
type Role string

// The roles of a conversation.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Message is one turn of the conversation. The system prompt is not a
// message; it travels in Request.System.
type Message struct {
	Role       Role       `json:"role"`
	Content    string     `json:"content,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`   // assistant: the calls it made
	ToolCallID string     `json:"tool_call_id,omitempty"` // tool: the call this answers
	IsError    bool       `json:"is_error,omitempty"`     // tool: the call failed
}

// ToolCall is the model asking for a tool to run.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"` // JSON object text, as the model wrote it
}

// Tool describes a tool the model may call.
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"` // JSON Schema of the arguments object
}

// Request is one model call, provider-neutral. The model and key come
// from the endpoint the Router picks.
type Request struct {
	System      string
	Messages    []Message
	Tools       []Tool
	MaxTokens   int      // 0: the endpoint's default
	Temperature *float64 // nil: the provider's default
}

// Finish says why the model stopped.
type Finish string

// Finish reasons, normalised across providers.
const (
	FinishStop      Finish = "stop"
	FinishToolCalls Finish = "tool_calls"
	FinishLength    Finish = "length"
	FinishFiltered  Finish = "content_filter"
	FinishOther     Finish = "other"
)

// Usage counts tokens.
type Usage struct {
	InputTokens      int `json:"input_tokens"`
	OutputTokens     int `json:"output_tokens"`
	CacheReadTokens  int `json:"cache_read_tokens,omitempty"`
	CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
}

// Add sums usage.
func (u *Usage) Add(o Usage) {
	u.InputTokens += o.InputTokens
	u.OutputTokens += o.OutputTokens
	u.CacheReadTokens += o.CacheReadTokens
	u.CacheWriteTokens += o.CacheWriteTokens
}

// Response is a complete answer: never a truncated one.
type Response struct {
	Text      string     `json:"text"`
	Reasoning string     `json:"reasoning,omitempty"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	Finish    Finish     `json:"finish"`
	Usage     Usage      `json:"usage"`
	Model     string     `json:"model"`    // as the provider reported it
	Provider  string     `json:"provider"` // the endpoint that answered (set by the Router)
}

// EventKind tells the events of a stream apart.
type EventKind int

// The events a streaming call delivers, in order, as they arrive.
const (
	// EventText is a piece of answer text.
	EventText EventKind = iota
	// EventReasoning is a piece of the model's reasoning.
	EventReasoning
	// EventToolCall is a piece of a tool call: the first piece of a call
	// carries its ID and Name, later pieces carry argument text.
	EventToolCall
	// EventReset says everything streamed so far is void: the call failed
	// part-way and is being retried or handed to a fallback.
	EventReset
	// EventNotice is a line for the user, such as a provider switch.
	EventNotice
)

// Event is one piece of a stream.
type Event struct {
	Kind      EventKind
	Text      string // text, reasoning, notice, or the reason of a reset
	ToolIndex int    // which call of the response a tool-call piece belongs to
	ToolID    string
	ToolName  string
	Args      string // argument text of a tool-call piece
}

// Handler receives stream events. A nil Handler means no streaming.
type Handler func(Event)
