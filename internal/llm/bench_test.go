package llm

import (
	"context"
	"net/http"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/llm/pool"
	"github.com/hermes-go/hermes/internal/llmtest"
)

// benchServer answers every request with the same short streamed or
// plain answer.
func benchServer(b *testing.B) *llmtest.Server {
	s, err := llmtest.ParseScript([]byte("steps:\n  - {times: -1, response: {text: \"pong pong pong pong\", chunk_size: 5}}\n"))
	if err != nil {
		b.Fatal(err)
	}
	srv := llmtest.New(b, s)
	srv.AllowUnused()
	return srv
}

func benchRouter(b *testing.B, srv *llmtest.Server, hc *http.Client, stream bool) *Router {
	pools := pool.Open(filepath.Join(b.TempDir(), "auth.json"), clock.Real{})
	ep := Endpoint{Provider: "openai", Model: "m", BaseURL: srv.OpenAIBaseURL(), APIMode: ChatCompletions, KeyEnv: "K", Pool: "openai", Timeout: time.Minute}
	return NewRouter([]Endpoint{ep}, Options{Pools: pools, HTTP: hc, Stream: stream, Retries: 3,
		Env: func(string) (string, bool) { return "sk-bench-00000000000000001", true }})
}

func directSDK(srv *llmtest.Server, hc *http.Client) openai.ChatCompletionService {
	return openai.NewChatCompletionService(option.WithBaseURL(srv.OpenAIBaseURL()+"/"), option.WithHTTPClient(hc),
		option.WithAPIKey("sk-bench-00000000000000001"), option.WithMaxRetries(0))
}

// BenchmarkRouterOverhead times a non-streaming request through the
// Router and straight through the SDK, alternating, and reports the
// difference: what the Router adds (key pick, bookkeeping, conversion).
func BenchmarkRouterOverhead(b *testing.B) {
	srv := benchServer(b)
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	r := benchRouter(b, srv, hc, false)
	sdk := directSDK(srv, hc)
	req := ask("ping")
	params := openAIParams(Call{Endpoint: r.chain[0], Request: req})
	var viaRouter, direct time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := r.Chat(context.Background(), req, nil); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := sdk.New(context.Background(), params); err != nil {
			b.Fatal(err)
		}
		viaRouter += t1.Sub(t0)
		direct += time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(viaRouter.Microseconds())/n, "µs-router")
	b.ReportMetric(float64(direct.Microseconds())/n, "µs-sdk")
	b.ReportMetric(float64((viaRouter-direct).Microseconds())/n, "µs-overhead")
}

// BenchmarkFirstToken reports the median time to the first streamed text
// through the Router and straight through the SDK, and the difference.
func BenchmarkFirstToken(b *testing.B) {
	srv := benchServer(b)
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	r := benchRouter(b, srv, hc, true)
	sdk := directSDK(srv, hc)
	req := ask("ping")
	params := openAIParams(Call{Endpoint: r.chain[0], Request: req})
	var viaRouter, direct []time.Duration
	for b.Loop() {
		t0 := time.Now()
		var first time.Duration
		if _, err := r.Chat(context.Background(), req, func(e Event) {
			if first == 0 && e.Kind == EventText {
				first = time.Since(t0)
			}
		}); err != nil {
			b.Fatal(err)
		}
		viaRouter = append(viaRouter, first)
		t1 := time.Now()
		stream := sdk.NewStreaming(context.Background(), params)
		first = 0
		for stream.Next() {
			if first == 0 && len(stream.Current().Choices) > 0 && stream.Current().Choices[0].Delta.Content != "" {
				first = time.Since(t1)
			}
		}
		stream.Close()
		direct = append(direct, first)
	}
	med := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	mr, md := med(viaRouter), med(direct)
	b.ReportMetric(float64(mr.Microseconds()), "µs-first-router")
	b.ReportMetric(float64(md.Microseconds()), "µs-first-sdk")
	b.ReportMetric(float64((mr - md).Microseconds()), "µs-added")
}
