package cron

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
)

func TestWebhook(t *testing.T) {
	t.Parallel()
	var fails atomic.Int32
	var last atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if fails.Add(-1) >= 0 {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		mac := hmac.New(sha256.New, []byte("k"))
		mac.Write([]byte(r.Header.Get("X-Hermes-Timestamp") + "."))
		mac.Write(b)
		if r.Header.Get("X-Hermes-Timestamp") == "" || r.Header.Get("X-Hermes-Delivery") != "r.error" || r.Header.Get("X-Hermes-Signature-256") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		last.Store(string(b))
	}))
	defer srv.Close()
	m := Message{JobID: "j", Name: "n", Status: StatusError, Error: "boom", RunID: "r", At: t0}

	clk := clock.NewFake(t0)
	clk.AutoAdvance = true
	w := &Webhook{Secret: []byte("k"), Attempts: 4, Clock: clk}
	fails.Store(2)
	if err := w.Send(context.Background(), srv.URL, m); err != nil {
		t.Fatalf("after two failures: %v", err)
	}
	if got := clk.Slept(); !slices.Equal(got, []time.Duration{time.Second, 2 * time.Second}) {
		t.Fatalf("backoff %v", got)
	}
	var body map[string]any
	json.Unmarshal([]byte(last.Load().(string)), &body)
	for _, k := range []string{"job_id", "name", "status", "text", "error", "run_id", "at"} {
		if _, ok := body[k]; !ok {
			t.Fatalf("body lacks %s: %v", k, body)
		}
	}
	fails.Store(100)
	err := w.Send(context.Background(), srv.URL, m)
	if err == nil || !strings.Contains(err.Error(), "4 attempts failed") || !strings.Contains(err.Error(), "502") {
		t.Fatalf("a receiver that stays down: %v", err)
	}
	fails.Store(0)
	if err := (&Webhook{Secret: []byte("wrong"), Attempts: 1}).Send(context.Background(), srv.URL, m); err == nil {
		t.Fatal("a wrong signature was accepted")
	}
	d := &Targets{Webhook: &Webhook{MissingSecret: "HOOK_SECRET"}}
	if err := d.Check("webhook:" + srv.URL); err == nil || !strings.Contains(err.Error(), "HOOK_SECRET") {
		t.Fatalf("missing secret: %v", err)
	}
	if err := (&Targets{}).Check("telegram"); err == nil || !strings.Contains(err.Error(), "gateway") {
		t.Fatalf("platform target without a gateway: %v", err)
	}
	var log strings.Builder
	if err := (&Targets{Log: &log}).Deliver(context.Background(), "local", m); err != nil || !strings.Contains(log.String(), "boom") {
		t.Fatalf("local failure not logged: %v %q", err, log.String())
	}
}
