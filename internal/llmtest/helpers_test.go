package llmtest

import (
	"fmt"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	anthropicopt "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// serve parses yaml and starts a server for t.
func serve(t testing.TB, yaml string) *Server {
	t.Helper()
	s, err := ParseScript([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return New(t, s)
}

func openAIClient(srv *Server, extra ...option.RequestOption) *openai.Client {
	opts := []option.RequestOption{option.WithBaseURL(srv.OpenAIBaseURL()), option.WithAPIKey("sk-test"), option.WithMaxRetries(0)}
	c := openai.NewClient(append(opts, extra...)...)
	return &c
}

func anthropicClient(srv *Server, extra ...anthropicopt.RequestOption) *anthropic.Client {
	opts := []anthropicopt.RequestOption{anthropicopt.WithBaseURL(srv.AnthropicBaseURL()), anthropicopt.WithAPIKey("sk-ant-test"), anthropicopt.WithMaxRetries(0)}
	c := anthropic.NewClient(append(opts, extra...)...)
	return &c
}

// openAIParams asks model with a system prompt, a user message and two tools.
func openAIParams(model, user string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model: model,
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("you are terse"),
			openai.UserMessage(user),
		},
		Tools: []openai.ChatCompletionToolUnionParam{
			openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "read_file",
				Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"path": map[string]any{"type": "string"}}}}),
			openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "terminal"}),
		},
	}
}

// anthropicParams asks model with a system prompt, a user message and two tools.
func anthropicParams(model, user string) anthropic.MessageNewParams {
	tool := func(name string) anthropic.ToolUnionParam {
		return anthropic.ToolUnionParam{OfTool: &anthropic.ToolParam{Name: name,
			InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"path": map[string]any{"type": "string"}}}}}
	}
	return anthropic.MessageNewParams{
		Model:     model,
		MaxTokens: 1024,
		System:    []anthropic.TextBlockParam{{Text: "you are terse"}},
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(user))},
		Tools:     []anthropic.ToolUnionParam{tool("read_file"), tool("terminal")},
	}
}

// fakeTB records Errorf and Cleanup so a test can check what New reports
// without failing itself.
type fakeTB struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (f *fakeTB) Helper()                   {}
func (f *fakeTB) Cleanup(fn func())         { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Errorf(s string, a ...any) { f.errors = append(f.errors, fmt.Sprintf(s, a...)) }

func (f *fakeTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}
