package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/anthropics/anthropic-sdk-go/packages/param"
)

// defaultMaxTokens is sent when the request sets none: Anthropic requires it.
const defaultMaxTokens = 8192

// anthropicClient speaks the Anthropic Messages API through its SDK.
type anthropicClient struct{ http *http.Client }

var _ Client = anthropicClient{}

// service builds the SDK service from explicit options only. The SDK's
// NewClient would also read ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN,
// credential profiles and custom headers from the environment and send
// them to this endpoint's URL, whatever it is.
func (a anthropicClient) service(c Call) anthropic.MessageService {
	opts := []option.RequestOption{
		option.WithBaseURL(strings.TrimRight(c.Endpoint.BaseURL, "/") + "/"),
		option.WithHTTPClient(a.http),
		option.WithMaxRetries(0),
	}
	if c.Key != "" {
		opts = append(opts, option.WithAPIKey(c.Key))
	}
	return anthropic.NewMessageService(opts...)
}

func (a anthropicClient) Do(ctx context.Context, c Call) (*Response, error) {
	params := anthropicParams(c)
	svc := a.service(c)
	if c.OnEvent == nil {
		msg, err := svc.New(ctx, params)
		if err != nil {
			return nil, anthropicError(ctx, c.Endpoint, err)
		}
		return anthropicResponse(c.Endpoint, msg)
	}
	stream := svc.NewStreaming(ctx, params)
	defer stream.Close()
	acc := newStreamAcc()
	for stream.Next() {
		acc.anthropicEvent(stream.Current(), c.OnEvent)
	}
	if err := stream.Err(); err != nil {
		return nil, anthropicError(ctx, c.Endpoint, err)
	}
	return acc.result(c.Endpoint)
}

func anthropicParams(c Call) anthropic.MessageNewParams {
	r := c.Request
	p := anthropic.MessageNewParams{Model: anthropic.Model(c.Endpoint.Model), MaxTokens: defaultMaxTokens}
	if r.MaxTokens > 0 {
		p.MaxTokens = int64(r.MaxTokens)
	}
	if r.System != "" {
		p.System = []anthropic.TextBlockParam{{Text: r.System}}
	}
	if r.Temperature != nil {
		p.Temperature = param.NewOpt(*r.Temperature)
	}
	p.Messages = anthropicMessages(r.Messages)
	for _, t := range r.Tools {
		var schema struct {
			Properties any      `json:"properties"`
			Required   []string `json:"required"`
		}
		_ = json.Unmarshal(t.Parameters, &schema)
		tp := anthropic.ToolParam{
			Name:        t.Name,
			Description: param.NewOpt(t.Description),
			InputSchema: anthropic.ToolInputSchemaParam{Properties: schema.Properties, Required: schema.Required},
		}
		p.Tools = append(p.Tools, anthropic.ToolUnionParam{OfTool: &tp})
	}
	return p
}

// anthropicMessages converts the conversation, folding consecutive user
// turns and tool results into one user message: Anthropic wants turns to
// alternate, with every tool result in the user turn after the call.
func anthropicMessages(msgs []Message) []anthropic.MessageParam {
	var out []anthropic.MessageParam
	add := func(role anthropic.MessageParamRole, block anthropic.ContentBlockParamUnion) {
		if n := len(out); n > 0 && out[n-1].Role == role {
			out[n-1].Content = append(out[n-1].Content, block)
			return
		}
		out = append(out, anthropic.MessageParam{Role: role, Content: []anthropic.ContentBlockParamUnion{block}})
	}
	for _, m := range msgs {
		switch m.Role {
		case RoleTool:
			add(anthropic.MessageParamRoleUser, anthropic.NewToolResultBlock(m.ToolCallID, m.Content, m.IsError))
		case RoleAssistant:
			if m.Content != "" {
				add(anthropic.MessageParamRoleAssistant, anthropic.NewTextBlock(m.Content))
			}
			for _, tc := range m.ToolCalls {
				args := json.RawMessage(tc.Arguments)
				if !json.Valid(args) {
					args = json.RawMessage("{}")
				}
				add(anthropic.MessageParamRoleAssistant, anthropic.NewToolUseBlock(tc.ID, args, tc.Name))
			}
		default:
			add(anthropic.MessageParamRoleUser, anthropic.NewTextBlock(m.Content))
		}
	}
	return out
}

func anthropicResponse(e Endpoint, m *anthropic.Message) (*Response, error) {
	out := &Response{
		Finish: anthropicFinish(string(m.StopReason)),
		Model:  string(m.Model),
		Usage: Usage{InputTokens: int(m.Usage.InputTokens), OutputTokens: int(m.Usage.OutputTokens),
			CacheReadTokens: int(m.Usage.CacheReadInputTokens), CacheWriteTokens: int(m.Usage.CacheCreationInputTokens)},
	}
	var text strings.Builder
	for _, b := range m.Content {
		switch v := b.AsAny().(type) {
		case anthropic.TextBlock:
			text.WriteString(v.Text)
		case anthropic.ThinkingBlock:
			out.Reasoning += v.Thinking
		case anthropic.ToolUseBlock:
			out.ToolCalls = append(out.ToolCalls, ToolCall{ID: v.ID, Name: v.Name, Arguments: string(v.Input)})
		}
	}
	out.Text = text.String()
	if m.StopReason == "" {
		return nil, &Error{Endpoint: e.Label(), Kind: KindInvalidResponse, Message: "the response has no stop reason"}
	}
	return out, nil
}

func anthropicFinish(s string) Finish {
	switch s {
	case "end_turn", "stop_sequence", "pause_turn":
		return FinishStop
	case "tool_use":
		return FinishToolCalls
	case "max_tokens", "model_context_window_exceeded":
		return FinishLength
	case "refusal":
		return FinishFiltered
	case "":
		return ""
	}
	return FinishOther
}

func anthropicError(ctx context.Context, e Endpoint, err error) error {
	var apiErr *anthropic.Error
	if errors.As(err, &apiErr) {
		msg := errorMessage(apiErr.RawJSON())
		var h http.Header
		if apiErr.Response != nil {
			h = apiErr.Response.Header
		}
		status := apiErr.StatusCode
		kind := classifyStatus(status, msg)
		if status == 529 {
			kind = KindServer // overloaded
		}
		return &Error{Endpoint: e.Label(), Kind: kind, Status: status, Message: msg, Header: h, Err: err}
	}
	return &Error{Endpoint: e.Label(), Kind: classifyTransport(ctx, err), Message: err.Error(), Err: err}
}

// errorMessage digs the message out of an error body of either API:
// {"error": {"message": ...}} or {"type": "error", "error": {...}}.
func errorMessage(raw string) string {
	var body struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal([]byte(raw), &body) == nil {
		var inner struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body.Error, &inner) == nil && inner.Message != "" {
			return inner.Message
		}
		var s string
		if json.Unmarshal(body.Error, &s) == nil && s != "" {
			return s
		}
		if body.Message != "" {
			return body.Message
		}
	}
	raw = strings.TrimSpace(raw)
	if len(raw) > 300 {
		raw = raw[:300] + "..."
	}
	return raw
}

func jsonUnmarshalString(raw string, s *string) error { return json.Unmarshal([]byte(raw), s) }
