package llmtest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
)

// call sends one request with the real SDK of api, streaming or not, and
// returns the text it reassembled, the number of stream events and the
// error.
func call(ctx context.Context, srv *Server, api string, stream bool) (text string, events int, err error) {
	if api == apiAnthropic {
		return callAnthropic(ctx, srv, stream)
	}
	c := openAIClient(srv)
	params := openAIParams("gpt-4o", "hi")
	if !stream {
		res, err := c.Chat.Completions.New(ctx, params)
		if err != nil {
			return "", 0, err
		}
		return res.Choices[0].Message.Content, 0, nil
	}
	s := c.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	for s.Next() {
		acc.AddChunk(s.Current())
		events++
	}
	if len(acc.Choices) > 0 {
		text = acc.Choices[0].Message.Content
	}
	return text, events, s.Err()
}

func callAnthropic(ctx context.Context, srv *Server, stream bool) (text string, events int, err error) {
	c := anthropicClient(srv)
	params := anthropicParams("claude-sonnet-4", "hi")
	var msg anthropic.Message
	if !stream {
		m, err := c.Messages.New(ctx, params)
		if err != nil {
			return "", 0, err
		}
		msg = *m
	} else {
		s := c.Messages.NewStreaming(ctx, params)
		for s.Next() {
			_ = msg.Accumulate(s.Current())
			events++
		}
		err = s.Err()
	}
	for _, b := range msg.Content {
		text += b.Text
	}
	return text, events, err
}

var apis = []string{apiOpenAI, apiAnthropic}

func TestErrorStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status               int
		headers              string
		openAIType, antType  string
		retryAfter, resetHdr string
	}{
		{429, `{Retry-After: "120", x-ratelimit-reset-requests: "2m0s", anthropic-ratelimit-requests-reset: "2026-01-01T00:02:00Z"}`,
			"requests", "rate_limit_error", "120", "2m0s"},
		{401, "{}", "invalid_request_error", "authentication_error", "", ""},
		{402, "{}", "insufficient_quota", "billing_error", "", ""},
		{400, "{}", "invalid_request_error", "invalid_request_error", "", ""},
		{403, "{}", "invalid_request_error", "permission_error", "", ""},
		{500, "{}", "server_error", "api_error", "", ""},
		{503, `{Retry-After: "7"}`, "server_error", "api_error", "7", ""},
		{529, "{}", "server_error", "overloaded_error", "", ""},
	}
	for _, tt := range tests {
		for _, api := range apis {
			for _, stream := range []bool{false, true} {
				name := http.StatusText(tt.status) + "/" + api + map[bool]string{true: "/stream"}[stream]
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					const msg = "scripted failure: try later"
					srv := serve(t, "steps: [{response: {status: "+strconv.Itoa(tt.status)+", headers: "+tt.headers+", error: '"+msg+"'}}]")
					_, _, err := call(context.Background(), srv, api, stream)
					checkAPIError(t, err, api, tt.status, msg, map[string]string{apiOpenAI: tt.openAIType, apiAnthropic: tt.antType}[api])
					resp := apiResponse(err)
					if resp == nil {
						return
					}
					if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
						t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
					}
					if got := resp.Header.Get("X-Ratelimit-Reset-Requests"); got != tt.resetHdr {
						t.Errorf("x-ratelimit-reset-requests %q, want %q", got, tt.resetHdr)
					}
					if resp.Header.Get("X-Request-Id") == "" || resp.Header.Get("Request-Id") == "" {
						t.Errorf("no request id headers: %v", resp.Header)
					}
				})
			}
		}
	}
}

// checkAPIError: err is the SDK's API error with the status, the scripted
// message and the error type of the status.
func checkAPIError(t *testing.T, err error, api string, status int, msg, typ string) {
	t.Helper()
	if api == apiAnthropic {
		var e *anthropic.Error
		if !errors.As(err, &e) {
			t.Fatalf("err %T %v, want *anthropic.Error", err, err)
		}
		if e.StatusCode != status || string(e.Type()) != typ || !strings.Contains(e.Error(), msg) || !strings.HasPrefix(e.RequestID, "req_") {
			t.Errorf("status %d type %q request id %q error %v; want %d %q", e.StatusCode, e.Type(), e.RequestID, e, status, typ)
		}
		return
	}
	var e *openai.Error
	if !errors.As(err, &e) {
		t.Fatalf("err %T %v, want *openai.Error", err, err)
	}
	if e.StatusCode != status || e.Message != msg || e.Type != typ {
		t.Errorf("status %d message %q type %q; want %d %q %q", e.StatusCode, e.Message, e.Type, status, msg, typ)
	}
}

func apiResponse(err error) *http.Response {
	var a *anthropic.Error
	if errors.As(err, &a) {
		return a.Response
	}
	var o *openai.Error
	if errors.As(err, &o) {
		return o.Response
	}
	return nil
}

func TestBrokenResponses(t *testing.T) {
	t.Parallel()
	const long = "this answer is long enough to be cut somewhere in the middle"
	tests := []struct {
		name, yaml string
		stream     bool
		check      func(t *testing.T, text string, events int, err error)
	}{
		{"malformed body", "{text: x, malformed: true}", false, func(t *testing.T, text string, _ int, err error) {
			var o *openai.Error
			var a *anthropic.Error
			if err == nil || errors.As(err, &o) || errors.As(err, &a) {
				t.Errorf("err %v, want a decoding error", err)
			}
		}},
		{"malformed event", "{text: '" + long + "', malformed: true}", true, func(t *testing.T, text string, events int, err error) {
			if err == nil || events < 2 || text == long {
				t.Errorf("err %v after %d events, text %q", err, events, text)
			}
		}},
		{"cut stream", "{text: '" + long + "', chunk_size: 4, cut_after: 3}", true, func(t *testing.T, text string, _ int, err error) {
			if !errors.Is(err, io.ErrUnexpectedEOF) || text != long[:12] {
				t.Errorf("err %v, text %q; want an unexpected EOF after %q", err, text, long[:12])
			}
		}},
		{"cut body", "{text: '" + long + "', cut_after: 1}", false, func(t *testing.T, text string, _ int, err error) {
			if !errors.Is(err, io.ErrUnexpectedEOF) || text != "" {
				t.Errorf("err %v, text %q; want an unexpected EOF", err, text)
			}
		}},
		{"cut after everything", "{text: abc, cut_after: 99}", true, func(t *testing.T, text string, _ int, err error) {
			if !errors.Is(err, io.ErrUnexpectedEOF) || text != "abc" {
				t.Errorf("err %v, text %q", err, text)
			}
		}},
		{"empty stream", "{text: unused, empty_stream: true}", true, func(t *testing.T, text string, events int, err error) {
			if err != nil || events != 0 || text != "" {
				t.Errorf("err %v, %d events, text %q; want a clean end without events", err, events, text)
			}
		}},
		{"raw html error", "{status: 502, raw: '<html>bad gateway</html>', headers: {Content-Type: text/html}}", false,
			func(t *testing.T, _ string, _ int, err error) {
				if r := apiResponse(err); r == nil || r.StatusCode != 502 || r.Header.Get("Content-Type") != "text/html" {
					t.Errorf("err %v", err)
				}
			}},
	}
	for _, tt := range tests {
		for _, api := range apis {
			t.Run(tt.name+"/"+api, func(t *testing.T) {
				t.Parallel()
				srv := serve(t, "steps: [{response: "+tt.yaml+"}]")
				text, events, err := call(context.Background(), srv, api, tt.stream)
				tt.check(t, text, events, err)
			})
		}
	}
}

// TestRawStream: a raw 200 body goes out verbatim and the SDK parses it.
func TestRawStream(t *testing.T) {
	t.Parallel()
	srv := serve(t, `
steps:
  - response:
      raw: |+
        data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"verbatim"},"finish_reason":"stop"}]}

        data: [DONE]

`)
	text, _, err := call(context.Background(), srv, apiOpenAI, true)
	if err != nil || text != "verbatim" {
		t.Fatalf("text %q err %v", text, err)
	}
	if ct := srv.Requests()[0]; !ct.Stream {
		t.Errorf("request not recorded as streaming")
	}
}

func TestSlowResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		stream     bool
		minEvents  int
	}{
		{"delay", "{text: late, delay: 3s}", false, 0},
		{"delayed stream", "{text: late, delay: 3s}", true, 0},
		{"slow chunks", "{text: 'slow and steady', chunk_size: 2, chunk_delay: 40ms}", true, 1},
	}
	for _, tt := range tests {
		for _, api := range apis {
			t.Run(tt.name+"/"+api, func(t *testing.T) {
				t.Parallel()
				srv := serve(t, "steps: [{response: "+tt.yaml+"}]")
				ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
				defer cancel()
				start := time.Now()
				_, events, err := call(ctx, srv, api, tt.stream)
				if !errors.Is(err, context.DeadlineExceeded) || events < tt.minEvents {
					t.Errorf("err %v after %d events; want a deadline after at least %d", err, events, tt.minEvents)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("the client waited %v", d)
				}
			})
		}
	}
}
