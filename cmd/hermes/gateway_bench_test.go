package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/llmtest"
)

// BenchmarkGatewayAPIServer: requests per second of `hermes gateway run`'s
// API server on loopback, each request a full agent turn against the
// scripted model (llmtest), from 4 parallel keep-alive clients per core.
// Each request is a new conversation (a distinct first message, as from
// many users): requests of one conversation run one at a time by design,
// and identical requests without X-Hermes-Session-Id are one conversation.
func BenchmarkGatewayAPIServer(b *testing.B) {
	srv := llmtest.New(b, llmtest.Script{Steps: []llmtest.Step{{Times: -1, Response: llmtest.Response{Text: "ok"}}}})
	srv.AllowUnused()
	bin := chatBinary(b)
	home := e2eHome(b, srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	api := l.Addr().String()
	l.Close()
	f, err := os.OpenFile(filepath.Join(home, "config.yaml"), os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	f.WriteString("gateway:\n  health_listen: 127.0.0.1:0\ncron:\n  enabled: false\nplatforms:\n  api_server:\n    enabled: true\n    listen: " + api + "\n")
	f.Close()
	const key = "bench-key-0123456789abcdef"
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte("API_SERVER_KEY="+key+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := chatCmd(bin, home, b.TempDir(), "gateway", "run")
	logs := &syncBuf{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var seq atomic.Int64
	post := func() (int, error) {
		req, _ := http.NewRequest("POST", "http://"+api+"/v1/chat/completions",
			strings.NewReader(`{"model":"hermes","messages":[{"role":"user","content":"hello there, user `+strconv.FormatInt(seq.Add(1), 10)+`"}]}`))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, err := post(); err == nil && code == 200 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the API server never answered:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if code, err := post(); err != nil || code != 200 {
				b.Errorf("status %d, %v", code, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
