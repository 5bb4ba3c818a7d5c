package gateway

import (
	"context"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/gateway/platform"
)

func TestCronDelivery(t *testing.T) {
	t.Parallel()
	st := openStore(t, "")
	a := newMem("mem")
	c, _ := start(t, Options{Store: st, Agent: echo(), Adapters: []platform.Adapter{a}, Authorize: allowAll})
	d := &Deliverer{Core: c, Home: func(string) string { return "home1" },
		Origin: func(id string) string {
			if id == "j1" {
				return "mem:77"
			}
			return ""
		}}
	ctx := context.Background()
	tests := []struct {
		target   string
		m        cron.Message
		wantChat string
		wantText string
		err      string
	}{
		{"mem", cron.Message{JobID: "j", RunID: "r1", Status: cron.StatusOK, Text: "result"}, "home1", "result", ""},
		{"mem:5:9", cron.Message{JobID: "j", RunID: "r2", Status: cron.StatusOK, Text: "x"}, "5", "x", ""},
		{"all", cron.Message{JobID: "j", RunID: "r3", Status: cron.StatusOK, Text: "y"}, "home1", "y", ""},
		{"origin", cron.Message{JobID: "j1", RunID: "r4", Name: "daily", Status: cron.StatusError, Error: "boom"}, "77", "Cron job daily failed (error): boom", ""},
		{"origin", cron.Message{JobID: "j2", RunID: "r5", Status: cron.StatusOK}, "", "", "no origin chat"},
		{"slack", cron.Message{RunID: "r6"}, "", "", "not running"},
		{"local", cron.Message{RunID: "r7"}, "", "", "not deliverable here"},
	}
	for _, tt := range tests {
		err := d.Deliver(ctx, tt.target, tt.m)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("%s: err %v, want %q", tt.target, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.target, err)
		}
		got := a.next(t)
		if got.ChatID != tt.wantChat || got.Text != tt.wantText {
			t.Fatalf("%s: sent %+v", tt.target, got)
		}
		if tt.target == "mem:5:9" && got.ThreadID != "9" {
			t.Fatalf("thread %q", got.ThreadID)
		}
	}
	n := len(a.Sent())
	// the same run delivered again (a retry by the scheduler) is not sent twice
	if err := d.Deliver(ctx, "mem", cron.Message{JobID: "j", RunID: "r1", Status: cron.StatusOK, Text: "result"}); err != nil {
		t.Fatal(err)
	}
	if len(a.Sent()) != n {
		t.Fatal("redelivery of the same run was sent again")
	}
	if err := d.Check("mem,mem:1"); err != nil {
		t.Fatal(err)
	}
	if err := d.Check("nope"); err == nil {
		t.Fatal("unknown platform passed Check")
	}
}
