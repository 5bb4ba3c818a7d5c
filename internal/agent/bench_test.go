package agent

import (
	"context"
	"testing"

	"github.com/hermes-go/hermes/internal/llm"
)

const benchScript = `
steps:
  - times: -1
    response: {text: "Hello there, how can I help you today?"}
`

// BenchmarkTurn is one whole turn without tools against the scripted
// model: the loop's cost plus one HTTP round trip. Compare it with
// BenchmarkRouterChat, the round trip alone.
func BenchmarkTurn(b *testing.B) {
	for _, api := range apis {
		b.Run(api, func(b *testing.B) {
			srv := serve(b, benchScript)
			cfg := testConfig()
			cfg.Compression.Enabled = true
			a := newAgent(b, Options{Router: router(srv, api), Registry: registry(echoTool("echo")), Config: cfg})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				s := &Session{ID: "bench", System: "be brief"}
				if _, err := a.Turn(ctx, s, "hi", func(Event) {}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRouterChat is the same request through the Router alone.
func BenchmarkRouterChat(b *testing.B) {
	for _, api := range apis {
		b.Run(api, func(b *testing.B) {
			srv := serve(b, benchScript)
			r := router(srv, api)
			defs := []llm.Tool{{Name: "echo", Description: "a test tool", Parameters: []byte(`{"type":"object"}`)}}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				req := llm.Request{System: "be brief", Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}, Tools: defs}
				if _, err := r.Chat(ctx, req, func(llm.Event) {}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// instant is a model Client without a network: it streams one piece of
// text and answers, so the benchmarks below time the loop alone.
type instant struct{}

func (instant) Do(_ context.Context, c llm.Call) (*llm.Response, error) {
	const text = "Hello there, how can I help you today?"
	if c.OnEvent != nil {
		c.OnEvent(llm.Event{Kind: llm.EventText, Text: text})
	}
	return &llm.Response{Text: text, Finish: llm.FinishStop, Usage: llm.Usage{InputTokens: 20, OutputTokens: 9}, Model: "m"}, nil
}

func instantRouter() *llm.Router {
	ep := llm.Endpoint{Provider: "local", Model: "m", APIMode: llm.ChatCompletions, Keyless: true}
	return llm.NewRouter([]llm.Endpoint{ep}, llm.Options{Stream: true, Clients: map[string]llm.Client{llm.ChatCompletions: instant{}}})
}

// BenchmarkLoopOverhead times a turn and a bare Router.Chat over a model
// that answers at once: their difference is what the loop adds per turn.
func BenchmarkLoopOverhead(b *testing.B) {
	b.Run("turn", func(b *testing.B) {
		cfg := testConfig()
		cfg.Compression.Enabled = true
		a := newAgent(b, Options{Router: instantRouter(), Registry: registry(echoTool("echo")), Config: cfg})
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			s := &Session{ID: "bench", System: "be brief"}
			if _, err := a.Turn(ctx, s, "hi", func(Event) {}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("router", func(b *testing.B) {
		r := instantRouter()
		defs := []llm.Tool{{Name: "echo", Description: "a test tool", Parameters: []byte(`{"type":"object"}`)}}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			req := llm.Request{System: "be brief", Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}, Tools: defs}
			if _, err := r.Chat(ctx, req, func(llm.Event) {}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
