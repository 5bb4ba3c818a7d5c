package webhooks

import (
	"context"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/cron"
)

// TestCronWebhookVerifies: a cron job's webhook delivery, signed by the
// cron sender, is accepted by a hermes webhook route with the same
// secret, runs once, and is refused with a different secret.
func TestCronWebhookVerifies(t *testing.T) {
	t.Parallel()
	r := newRig(t, opts{
		routes: map[string]config.WebhookRoute{
			"cron":  {SecretEnv: "CRON_SECRET", Prompt: "cron said {status}: {text}", Deliver: "local"},
			"other": {SecretEnv: "OTHER_SECRET", Prompt: "x", Deliver: "local"},
		},
		env: map[string]string{"CRON_SECRET": "shared", "OTHER_SECRET": "different"},
	})
	clk := clock.NewFake(r.clock.now())
	w := &cron.Webhook{Secret: []byte("shared"), Attempts: 1, Clock: clk}
	m := cron.Message{JobID: "j1", Name: "digest", Status: cron.StatusOK, Text: "all good", RunID: "run1", At: r.clock.now()}
	if err := w.Send(context.Background(), r.srv.URL+"/webhooks/cron", m); err != nil {
		t.Fatalf("signed cron delivery refused: %v", err)
	}
	r.svc.wait()
	if n := r.agent.count(); n != 1 {
		t.Fatalf("agent ran %d turns, want 1", n)
	}
	if err := w.Send(context.Background(), r.srv.URL+"/webhooks/other", m); err == nil {
		t.Fatal("a delivery signed with another route's secret was accepted")
	}
	// Too far from the receiver's clock: refused.
	clk.Advance(10 * time.Minute)
	if err := w.Send(context.Background(), r.srv.URL+"/webhooks/cron", m); err == nil {
		t.Fatal("a delivery signed 10 minutes off was accepted")
	}
	r.svc.wait()
	if n := r.agent.count(); n != 1 {
		t.Fatalf("agent ran %d turns, want 1", n)
	}
}
