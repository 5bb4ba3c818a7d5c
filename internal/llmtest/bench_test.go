package llmtest

import (
	"context"
	"testing"

	"github.com/openai/openai-go/v3"
)

// benchText is a typical short answer: 240 bytes, 35 deltas at the
// default chunk size.
const benchText = "The build failed because the test in internal/llm expects a retry after a 429, " +
	"but the scripted server answered with a 401. Fix the script or the expectation, " +
	"then run make test again to see the whole suite pass once more."

// BenchmarkOpenAIRoundTrip is one chat completion through openai-go over
// loopback, without and with streaming.
func BenchmarkOpenAIRoundTrip(b *testing.B) {
	srv := serve(b, "steps: [{times: -1, response: {text: '"+benchText+"'}}]")
	c := openAIClient(srv)
	params := openAIParams("gpt-4o", "why did the build fail?")
	ctx := context.Background()
	b.Run("complete", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := c.Chat.Completions.New(ctx, params)
			if err != nil || res.Choices[0].Message.Content != benchText {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s := c.Chat.Completions.NewStreaming(ctx, params)
			var acc openai.ChatCompletionAccumulator
			for s.Next() {
				acc.AddChunk(s.Current())
			}
			if s.Err() != nil || acc.Choices[0].Message.Content != benchText {
				b.Fatal(s.Err())
			}
		}
	})
}
