package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/shared"
)

// Call is one request to one endpoint with one key.
type Call struct {
	Endpoint Endpoint
	Key      string // "" for a keyless endpoint
	Request  Request
	OnEvent  Handler // nil: not streaming
}

// Client sends a Call in one wire format.
type Client interface {
	Do(ctx context.Context, c Call) (*Response, error)
}

// openAIClient speaks OpenAI Chat Completions through openai-go.
type openAIClient struct{ http *http.Client }

var _ Client = openAIClient{}

// service builds the SDK service from explicit options only. openai.NewClient
// would add defaults from the environment (OPENAI_API_KEY, OPENAI_ORG_ID,
// OPENAI_BASE_URL, custom headers) and send them to whatever base URL this
// endpoint has; here nothing but this endpoint's own key is sent.
func (o openAIClient) service(c Call) openai.ChatCompletionService {
	opts := []option.RequestOption{
		option.WithBaseURL(strings.TrimRight(c.Endpoint.BaseURL, "/") + "/"),
		option.WithHTTPClient(o.http),
		option.WithMaxRetries(0),
	}
	if c.Key != "" {
		opts = append(opts, option.WithAPIKey(c.Key))
	}
	return openai.NewChatCompletionService(opts...)
}

func (o openAIClient) Do(ctx context.Context, c Call) (*Response, error) {
	params := openAIParams(c)
	svc := o.service(c)
	if c.OnEvent == nil {
		res, err := svc.New(ctx, params)
		if err != nil {
			return nil, openAIError(ctx, c.Endpoint, err)
		}
		return openAIResponse(c.Endpoint, res)
	}
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: param.NewOpt(true)}
	stream := svc.NewStreaming(ctx, params)
	defer stream.Close()
	acc := newStreamAcc()
	for stream.Next() {
		acc.openAIChunk(stream.Current(), c.OnEvent)
	}
	if err := stream.Err(); err != nil {
		return nil, openAIError(ctx, c.Endpoint, err)
	}
	return acc.result(c.Endpoint)
}

func openAIParams(c Call) openai.ChatCompletionNewParams {
	r := c.Request
	p := openai.ChatCompletionNewParams{Model: shared.ChatModel(c.Endpoint.Model)}
	if r.System != "" {
		p.Messages = append(p.Messages, openai.SystemMessage(r.System))
	}
	for _, m := range r.Messages {
		p.Messages = append(p.Messages, openAIMessage(m))
	}
	for _, t := range r.Tools {
		var schema map[string]any
		_ = json.Unmarshal(t.Parameters, &schema)
		p.Tools = append(p.Tools, openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: t.Name, Description: param.NewOpt(t.Description), Parameters: schema,
		}))
	}
	if r.MaxTokens > 0 {
		p.MaxTokens = param.NewOpt(int64(r.MaxTokens))
	}
	if r.Temperature != nil {
		p.Temperature = param.NewOpt(*r.Temperature)
	}
	return p
}

func openAIMessage(m Message) openai.ChatCompletionMessageParamUnion {
	switch m.Role {
	case RoleTool:
		return openai.ToolMessage(m.Content, m.ToolCallID)
	case RoleAssistant:
		a := openai.ChatCompletionAssistantMessageParam{}
		if m.Content != "" {
			a.Content.OfString = param.NewOpt(m.Content)
		}
		for _, tc := range m.ToolCalls {
			a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
				OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
					ID:       tc.ID,
					Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: tc.Name, Arguments: tc.Arguments},
				},
			})
		}
		return openai.ChatCompletionMessageParamUnion{OfAssistant: &a}
	}
	return openai.UserMessage(m.Content)
}

func openAIResponse(e Endpoint, res *openai.ChatCompletion) (*Response, error) {
	if len(res.Choices) == 0 {
		return nil, &Error{Endpoint: e.Label(), Kind: KindInvalidResponse, Message: "the response has no choices"}
	}
	ch := res.Choices[0]
	out := &Response{
		Text:   ch.Message.Content,
		Finish: openAIFinish(ch.FinishReason),
		Model:  res.Model,
		Usage:  Usage{InputTokens: int(res.Usage.PromptTokens), OutputTokens: int(res.Usage.CompletionTokens), CacheReadTokens: int(res.Usage.PromptTokensDetails.CachedTokens)},
	}
	for _, tc := range ch.Message.ToolCalls {
		out.ToolCalls = append(out.ToolCalls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	if ch.FinishReason == "" {
		return nil, &Error{Endpoint: e.Label(), Kind: KindInvalidResponse, Message: "the response has no finish reason"}
	}
	return out, nil
}

func openAIFinish(s string) Finish {
	switch s {
	case "stop":
		return FinishStop
	case "tool_calls", "function_call":
		return FinishToolCalls
	case "length":
		return FinishLength
	case "content_filter":
		return FinishFiltered
	}
	return FinishOther
}

// openAIError turns an SDK error into an *Error with a Kind.
func openAIError(ctx context.Context, e Endpoint, err error) error {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		msg := apiErr.Message
		if msg == "" {
			msg = errorMessage(apiErr.RawJSON())
		}
		var h http.Header
		if apiErr.Response != nil {
			h = apiErr.Response.Header
		}
		return &Error{Endpoint: e.Label(), Kind: classifyStatus(apiErr.StatusCode, msg), Status: apiErr.StatusCode, Message: msg, Header: h, Err: err}
	}
	return &Error{Endpoint: e.Label(), Kind: classifyTransport(ctx, err), Message: err.Error(), Err: err}
}
