package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunRefuses(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(script, []byte("steps: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no script", nil, "usage: llmtest -script FILE"},
		{"extra argument", []string{"-script", script, "x"}, "usage"},
		{"all interfaces", []string{"-script", script, "-addr", "0.0.0.0:0"}, "not a loopback address"},
		{"empty host", []string{"-script", script, "-addr", ":8080"}, "not a loopback address"},
		{"lan address", []string{"-script", script, "-addr", "192.168.1.2:80"}, "not a loopback address"},
		{"missing script", []string{"-script", "nope.yaml"}, "nope.yaml"},
		{"unknown flag", []string{"-port", "1"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.want) || out.Len() != 0 {
				t.Errorf("err %v, stdout %q; want an error with %q", err, out.String(), tt.want)
			}
		})
	}
}

// TestRunServes: the binary prints its URLs, answers from the script, logs
// the request and stops when its context ends.
func TestRunServes(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(script, []byte("steps: [{response: {text: hello}}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-script", script, "-addr", "localhost:0"}, &out, &errOut) }()
	base := waitForBaseURL(t, &out)
	res, err := http.Post(base+"/chat/completions", "application/json",
		strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"content":"hello"`) {
		t.Errorf("answer %s", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"llmtest: listening on http://127.0.0.1:", "llmtest: anthropic base URL http://127.0.0.1:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), `llmtest: openai POST /v1/chat/completions model="m" stream=false messages=1 -> steps[0]`) {
		t.Errorf("log:\n%s", errOut.String())
	}
}

func waitForBaseURL(t *testing.T, out *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(out.String(), "\n") {
			if url, ok := strings.CutPrefix(line, "llmtest: openai base URL "); ok {
				return url
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no base URL printed: %q", out.String())
	return ""
}
