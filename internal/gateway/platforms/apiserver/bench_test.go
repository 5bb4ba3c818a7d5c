package apiserver

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// benchRequests posts body over loopback from parallel keep-alive
// clients and reports requests per second.
func benchRequests(b *testing.B, body string) {
	f := newFixture(b, nil)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", f.http.URL+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

func BenchmarkChatCompletions(b *testing.B) {
	benchRequests(b, `{"model":"hermes","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there"}]}`)
}

func BenchmarkChatCompletionsStream(b *testing.B) {
	benchRequests(b, `{"model":"hermes","stream":true,"messages":[{"role":"user","content":"use tools"}]}`)
}
