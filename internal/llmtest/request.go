package llmtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

const (
	apiOpenAI    = "openai"
	apiAnthropic = "anthropic"
)

// Request is one request the server received, normalised across the two
// APIs.
type Request struct {
	API          string // "openai" or "anthropic"
	Method, Path string
	Header       http.Header
	Key          string // bearer token or x-api-key; "" if none
	Model        string
	Stream       bool
	// System is the anthropic system prompt, or the openai system and
	// developer messages joined by newlines.
	System string
	// Messages in order. OpenAI system/developer messages appear with role
	// "system"; an anthropic user message's tool_result blocks become role
	// "tool" messages followed by a "user" message for its text, if any.
	Messages []Message
	Tools    []string // tool names offered
	Body     []byte   // raw body
	Step     int      // index of the step that answered, -1 if none
}

// Message is a normalised message: Role is user, assistant, tool or system;
// Text is all its text parts joined by newlines; ToolCalls are on assistant
// messages; ToolCallID and IsError are on tool results.
type Message struct {
	Role, Text, ToolCallID string
	ToolCalls              []ToolCall
	IsError                bool
}

// Turn is the text of the current turn: the messages after the last
// assistant message, joined by newlines (or, when the last message is the
// assistant's, the last user message). Match.Contains looks here.
func (r Request) Turn() string {
	var parts []string
	for _, m := range r.turn() {
		parts = append(parts, m.Text)
	}
	return strings.Join(parts, "\n")
}

func (r Request) turn() []Message {
	var out []Message
	for i := len(r.Messages) - 1; i >= 0; i-- {
		m := r.Messages[i]
		if m.Role == "assistant" {
			break
		}
		if m.Role != "system" {
			out = append([]Message{m}, out...)
		}
	}
	if len(out) > 0 {
		return out
	}
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i : i+1]
		}
	}
	return nil
}

// hasToolResult: the current turn carries a tool result.
func (r Request) hasToolResult() bool {
	for _, m := range r.turn() {
		if m.Role == "tool" {
			return true
		}
	}
	return false
}

// apiError is a request the real API would refuse.
type apiError struct {
	status int
	msg    string
}

// requestKey is the credential of a request, preferring the API's own header.
func requestKey(api string, h http.Header) string {
	bearer := ""
	if a := h.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		bearer = strings.TrimSpace(a[7:])
	}
	xkey := h.Get("X-Api-Key")
	if api == apiAnthropic && xkey != "" || bearer == "" {
		return xkey
	}
	return bearer
}

// contentText is the text of a string, null or array-of-parts content.
func contentText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type    string `json:"type"`
		Text    string `json:"text"`
		Refusal string `json:"refusal"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var texts []string
	for _, p := range parts {
		switch p.Type {
		case "text":
			texts = append(texts, p.Text)
		case "refusal":
			texts = append(texts, p.Refusal)
		}
	}
	return strings.Join(texts, "\n")
}

// compactJSON is raw without insignificant spaces and with the HTML
// escapes of Go encoders (\u0026, \u003c, \u003e) undone, or raw as is if
// it is not JSON.
func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return unescapeHTML(b.Bytes())
}

// unescapeHTML undoes \u0026, \u003c and \u003e in JSON text.
func unescapeHTML(j []byte) string {
	var out strings.Builder
	for i := 0; i < len(j); i++ {
		if j[i] != '\\' || i+1 == len(j) {
			out.WriteByte(j[i])
			continue
		}
		if j[i+1] == 'u' && i+6 <= len(j) {
			switch strings.ToLower(string(j[i+2 : i+6])) {
			case "0026", "003c", "003e":
				var r string
				_ = json.Unmarshal([]byte(`"`+string(j[i:i+6])+`"`), &r)
				out.WriteString(r)
				i += 5
				continue
			}
		}
		out.WriteString(string(j[i : i+2])) // an escape pair stays as is
		i++
	}
	return out.String()
}

type openAIRequest struct {
	Model         string          `json:"model"`
	Messages      []openAIMessage `json:"messages"`
	Stream        bool            `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Tools []struct {
		Function named `json:"function"`
		Custom   named `json:"custom"`
	} `json:"tools"`
	Functions []named `json:"functions"`
}

type named struct {
	Name string `json:"name"`
}

type openAIMessage struct {
	Role         string          `json:"role"`
	Content      json.RawMessage `json:"content"`
	ToolCallID   string          `json:"tool_call_id"`
	FunctionCall *openAIFunction `json:"function_call"`
	ToolCalls    []struct {
		ID       string         `json:"id"`
		Function openAIFunction `json:"function"`
		Custom   struct {
			Name  string `json:"name"`
			Input string `json:"input"`
		} `json:"custom"`
	} `json:"tool_calls"`
}

type openAIFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// parseOpenAI fills req from a Chat Completions body.
func parseOpenAI(req *Request) (openAIRequest, *apiError) {
	var body openAIRequest
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return body, &apiError{400, "We could not parse the JSON body of your request. (" + err.Error() + ")"}
	}
	req.Model, req.Stream = body.Model, body.Stream
	var system []string
	for _, m := range body.Messages {
		msg := openAIMessageOf(m)
		if msg.Role == "system" {
			system = append(system, msg.Text)
		}
		req.Messages = append(req.Messages, msg)
	}
	req.System = strings.Join(system, "\n")
	for _, t := range body.Tools {
		req.Tools = append(req.Tools, t.Function.Name+t.Custom.Name)
	}
	for _, f := range body.Functions {
		req.Tools = append(req.Tools, f.Name)
	}
	switch {
	case body.Model == "":
		return body, &apiError{400, "you must provide a model parameter"}
	case body.Messages == nil:
		return body, &apiError{400, "Missing required parameter: 'messages'."}
	}
	return body, nil
}

func openAIMessageOf(m openAIMessage) Message {
	msg := Message{Role: m.Role, Text: contentText(m.Content), ToolCallID: m.ToolCallID}
	switch m.Role {
	case "developer":
		msg.Role = "system"
	case "function":
		msg.Role = "tool"
	}
	for _, tc := range m.ToolCalls {
		call := ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments}
		if tc.Custom.Name != "" {
			call.Name, call.Arguments = tc.Custom.Name, tc.Custom.Input
		}
		msg.ToolCalls = append(msg.ToolCalls, call)
	}
	if f := m.FunctionCall; f != nil {
		msg.ToolCalls = append(msg.ToolCalls, ToolCall{Name: f.Name, Arguments: f.Arguments})
	}
	return msg
}

type anthropicRequest struct {
	Model     string          `json:"model"`
	MaxTokens *int            `json:"max_tokens"`
	System    json.RawMessage `json:"system"`
	Stream    bool            `json:"stream"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []named `json:"tools"`
}

type anthropicBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

// parseAnthropic fills req from a Messages body.
func parseAnthropic(req *Request) *apiError {
	var body anthropicRequest
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return &apiError{400, "invalid request: " + err.Error()}
	}
	req.Model, req.Stream = body.Model, body.Stream
	req.System = contentText(body.System)
	for _, m := range body.Messages {
		msgs, err := anthropicMessages(m.Role, m.Content)
		if err != nil {
			return err
		}
		req.Messages = append(req.Messages, msgs...)
	}
	for _, t := range body.Tools {
		req.Tools = append(req.Tools, t.Name)
	}
	switch {
	case body.Model == "":
		return &apiError{400, "model: Field required"}
	case body.MaxTokens == nil:
		return &apiError{400, "max_tokens: Field required"}
	case body.Messages == nil:
		return &apiError{400, "messages: Field required"}
	}
	return nil
}

// anthropicMessages normalises one message: tool results become tool
// messages, the rest of the text one message of the role.
func anthropicMessages(role string, content json.RawMessage) ([]Message, *apiError) {
	var s string
	if json.Unmarshal(content, &s) == nil {
		return []Message{{Role: role, Text: s}}, nil
	}
	var blocks []anthropicBlock
	if err := json.Unmarshal(content, &blocks); err != nil {
		return nil, &apiError{400, "messages: content: " + err.Error()}
	}
	var out []Message
	msg := Message{Role: role}
	var texts []string
	for _, b := range blocks {
		switch b.Type {
		case "text":
			texts = append(texts, b.Text)
		case "tool_use":
			msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: b.ID, Name: b.Name, Arguments: compactJSON(b.Input)})
		case "tool_result":
			out = append(out, Message{Role: "tool", Text: contentText(b.Content), ToolCallID: b.ToolUseID, IsError: b.IsError})
		}
	}
	msg.Text = strings.Join(texts, "\n")
	if len(texts) > 0 || len(msg.ToolCalls) > 0 || len(out) == 0 {
		out = append(out, msg)
	}
	return out, nil
}
