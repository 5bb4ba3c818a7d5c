package apiserver

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/gateway/platform"
)

func TestRequestLimitsAndErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	big := `{"messages":[{"role":"user","content":"` + strings.Repeat("a", MaxBody) + `"}]}`
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"too large", "POST", "/v1/chat/completions", big, 413, "request_too_large"},
		{"bad json", "POST", "/v1/chat/completions", `{"messages":`, 400, "invalid_request"},
		{"no messages", "POST", "/v1/chat/completions", `{"messages":[]}`, 400, "invalid_request"},
		{"last not user", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}`, 400, "invalid_request"},
		{"image part", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x"}}]}]}`, 400, "invalid_request"},
		{"unknown role", "POST", "/v1/chat/completions", `{"messages":[{"role":"wizard","content":"a"}]}`, 400, "invalid_request"},
		{"responses bad previous", "POST", "/v1/responses", `{"input":"a","previous_response_id":"resp_gone","stream":true}`, 404, "previous_response_not_found"},
		{"responses no input", "POST", "/v1/responses", `{"model":"m"}`, 400, "invalid_request"},
		{"responses too large", "POST", "/v1/responses", big, 413, "request_too_large"},
		{"unknown route", "GET", "/v1/nothing", "", 404, "not_found"},
		{"unknown response", "GET", "/v1/responses/resp_x", "", 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.do(t, tt.method, tt.path, tt.body, testKey, nil)
			var e apiError
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Fatalf("got %d %+v, want %d %s", resp.StatusCode, e, tt.status, tt.code)
			}
		})
	}
	if f.agent.count() != 0 {
		t.Fatal("a refused request ran a turn")
	}
}

func TestContentParts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	body := `{"messages":[{"role":"system","content":[{"type":"text","text":"s1"}]},{"role":"developer","content":"s2"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"input_text","text":"b"}]}]}`
	resp := f.do(t, "POST", "/v1/chat/completions", body, testKey, nil)
	io.Copy(io.Discard, resp.Body)
	if got := f.agent.last(); resp.StatusCode != 200 || got.Text != "a\nb" || got.System != "s1\ns2" {
		t.Fatalf("%d %+v", resp.StatusCode, got)
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *config.Config) { c.Platforms.APIServer.CORSOrigins = []string{"https://ui.example"} })
	pre := map[string]string{"Origin": "https://ui.example", "Access-Control-Request-Method": "POST"}
	resp := f.do(t, "OPTIONS", "/v1/chat/completions", "", "", pre)
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://ui.example" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "X-Hermes-Session-Id") {
		t.Fatalf("preflight %d %v", resp.StatusCode, resp.Header)
	}
	pre["Origin"] = "https://evil.example"
	if resp := f.do(t, "OPTIONS", "/v1/chat/completions", "", "", pre); resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign preflight %d %v", resp.StatusCode, resp.Header)
	}
	resp = f.do(t, "GET", "/v1/models", "", testKey, map[string]string{"Origin": "https://ui.example"})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://ui.example" {
		t.Fatalf("simple %d %v", resp.StatusCode, resp.Header)
	}
	// CORS never replaces the key.
	if resp := f.do(t, "GET", "/v1/models", "", "", map[string]string{"Origin": "https://ui.example"}); resp.StatusCode != 401 {
		t.Fatalf("no key with origin: %d", resp.StatusCode)
	}
}

func TestTurnTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.srv.SetTimeout(time.Millisecond)
	resp := f.do(t, "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"wait"}]}`, testKey, nil)
	if resp.StatusCode != 504 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	resp = f.do(t, "POST", "/v1/chat/completions", `{"stream":true,"messages":[{"role":"user","content":"wait"}]}`, testKey, nil)
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"code":"timeout"`) || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
		t.Fatalf("stream %s", b)
	}
}

func TestClientDisconnectCancelsTurn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	stream := f.client.Chat.Completions.NewStreaming(ctx, chatParams("wait"))
	if !stream.Next() { // the role chunk: the turn has started
		t.Fatal(stream.Err())
	}
	cancel()
	for stream.Next() {
	}
	stream.Close()
	deadline := time.Now().Add(10 * time.Second)
	for f.agent.cutTurns() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the turn was not cancelled when the client left")
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
	if _, err := f.client.Chat.Completions.New(context.Background(), chatParams("after")); err != nil {
		t.Fatal(err)
	}
}

func TestEventQueueStaleSignal(t *testing.T) {
	t.Parallel()
	q := newEventQueue()
	q.push(platform.Event{Kind: "text", Text: "a"})
	if evs, open := q.wait(context.Background(), time.Hour); len(evs) != 1 || !open {
		t.Fatalf("first wait %v %v", evs, open)
	}
	// The signal of the first push is still pending; the next wait must
	// not return early and empty because of it.
	go q.push(platform.Event{Kind: "text", Text: "b"})
	evs, open := q.wait(context.Background(), time.Hour)
	if len(evs) != 1 || evs[0].Text != "b" || !open {
		t.Fatalf("second wait %v %v", evs, open)
	}
	q.close()
	if evs, open := q.wait(context.Background(), time.Hour); len(evs) != 0 || open {
		t.Fatalf("after close %v %v", evs, open)
	}
}
