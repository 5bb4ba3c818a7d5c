package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/clock"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/tools"
)

// approver answers with a fixed answer and records what it was asked.
type approver struct {
	mu    sync.Mutex
	ans   guard.Answer
	err   error
	block bool // never answer
	asked []guard.Request
}

func (a *approver) Approve(ctx context.Context, req guard.Request) (guard.Answer, error) {
	a.mu.Lock()
	a.asked = append(a.asked, req)
	a.mu.Unlock()
	if a.block {
		<-ctx.Done()
		return guard.Answer{}, ctx.Err()
	}
	return a.ans, a.err
}

func (a *approver) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.asked)
}

func TestApprove(t *testing.T) {
	t.Parallel()
	red, err := redact.New(redact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	args := json.RawMessage(`{"key":"sk-proj-abcdefghijklmnopqrstuvwxyz0123"}`)
	tests := []struct {
		name       string
		policy     guard.Policy
		human      *approver
		unattended bool
		yolo       bool
		ok         bool
		reason     string
		asks       int
	}{
		{name: "once", human: &approver{ans: guard.Answer{Choice: guard.ChoiceOnce}}, ok: true, asks: 1},
		{name: "deny", human: &approver{ans: guard.Answer{Choice: guard.ChoiceDeny, Reason: "not now"}}, reason: "denied by the user: not now", asks: 1},
		{name: "unknown answer", human: &approver{ans: guard.Answer{Choice: "maybe"}}, reason: `unknown answer "maybe"`, asks: 1},
		{name: "prompt fails", human: &approver{err: errors.New("tty gone")}, reason: "the approval prompt failed: tty gone", asks: 1},
		{name: "no human", reason: "nobody can approve the call here (approvals.unattended: deny)"},
		{name: "unattended deny", human: &approver{ans: guard.Answer{Choice: guard.ChoiceOnce}}, unattended: true, reason: "set mcp_servers.srv.trust: auto"},
		{name: "unattended smart", policy: guard.Policy{Unattended: guard.UnattendedSmart}, unattended: true, reason: "approvals.unattended: smart"},
		{name: "unattended allow", policy: guard.Policy{Unattended: guard.UnattendedAllow}, unattended: true, ok: true},
		{name: "mode off", policy: guard.Policy{Mode: guard.Off}, human: &approver{}, ok: true},
		{name: "yolo", human: &approver{}, yolo: true, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := &guard.Guard{Policy: tt.policy}
			if tt.human != nil {
				g.Human = tt.human
			}
			s := guard.NewSession("s1")
			s.SetYolo(tt.yolo)
			env := &tools.Env{Guard: g, Session: s, Unattended: tt.unattended, Cwd: "/work"}
			ok, reason := approve(context.Background(), env, "srv", "write", args, red)
			if ok != tt.ok || !strings.Contains(reason, tt.reason) {
				t.Errorf("approve = %v, %q; want %v, %q", ok, reason, tt.ok, tt.reason)
			}
			if tt.human != nil && tt.human.count() != tt.asks {
				t.Errorf("asked %d times, want %d", tt.human.count(), tt.asks)
			}
			if tt.asks > 0 {
				req := tt.human.asked[0]
				if !strings.HasPrefix(req.Command, "mcp srv.write ") || strings.Contains(req.Command, "abcdefghijklmnop") ||
					req.SessionID != "s1" || req.Cwd != "/work" || !strings.Contains(req.Reason, "trust: ask") {
					t.Errorf("request %+v", req)
				}
			}
		})
	}
}

func TestApproveSessionGrant(t *testing.T) {
	t.Parallel()
	for _, choice := range []guard.Choice{guard.ChoiceSession, guard.ChoiceAlways} {
		h := &approver{ans: guard.Answer{Choice: choice}}
		g := &guard.Guard{Human: h}
		s := guard.NewSession("s1")
		env := &tools.Env{Guard: g, Session: s}
		for range 3 {
			if ok, reason := approve(context.Background(), env, "srv", "write", json.RawMessage(`{}`), redact.Default()); !ok {
				t.Fatalf("%s: %s", choice, reason)
			}
		}
		if h.count() != 1 {
			t.Errorf("%s: asked %d times, want once", choice, h.count())
		}
		// Another tool and another session still ask.
		approve(context.Background(), env, "srv", "delete", json.RawMessage(`{}`), redact.Default())
		approve(context.Background(), &tools.Env{Guard: g, Session: guard.NewSession("s2")}, "srv", "write", json.RawMessage(`{}`), redact.Default())
		if h.count() != 3 {
			t.Errorf("%s: a grant leaked to another tool or session (%d asks)", choice, h.count())
		}
	}
}

func TestApproveTimeout(t *testing.T) {
	t.Parallel()
	fake := clock.NewFake(time.Unix(0, 0))
	h := &approver{block: true}
	g := &guard.Guard{Human: h, Clock: fake, Policy: guard.Policy{Timeout: time.Minute}}
	env := &tools.Env{Guard: g, Session: guard.NewSession("s")}
	done := make(chan string)
	go func() {
		_, reason := approve(context.Background(), env, "srv", "t", json.RawMessage(`{}`), redact.Default())
		done <- reason
	}()
	for h.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	deadline := time.After(10 * time.Second)
	for {
		fake.Advance(time.Minute)
		select {
		case reason := <-done:
			if !strings.Contains(reason, "within 1m0s, and silence is not consent") {
				t.Errorf("reason %q", reason)
			}
			return
		case <-deadline:
			t.Fatal("the prompt did not time out")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestApproveNoRules(t *testing.T) {
	t.Parallel()
	if ok, reason := approve(context.Background(), &tools.Env{}, "srv", "t", nil, redact.Default()); ok || !strings.Contains(reason, "no approval rules") {
		t.Errorf("approve without a guard = %v, %q", ok, reason)
	}
}

// TestTrustAskThroughRun: a trust: ask server's tool asks before the call
// reaches the server, and a deny keeps it from running.
func TestTrustAskThroughRun(t *testing.T) {
	t.Parallel()
	cfg := stdioServer(t)
	cfg.Trust = "ask"
	m := startManager(t, map[string]config.MCPServer{"ev": cfg}, Options{})
	echo := toolNamed(t, m, "mcp_ev_echo")
	h := &approver{ans: guard.Answer{Choice: guard.ChoiceDeny}}
	env := &tools.Env{Guard: &guard.Guard{Human: h}, Session: guard.NewSession("s")}
	res, err := run(t, context.Background(), echo, env, `{"message":"hi"}`)
	if err != nil || !res.IsError || res.Content != "denied by the user" {
		t.Errorf("denied call: %+v, %v", res, err)
	}
	h.ans = guard.Answer{Choice: guard.ChoiceOnce}
	res, err = run(t, context.Background(), echo, env, `{"message":"hi"}`)
	if err != nil || res.IsError || !strings.Contains(res.Content, "hi") || h.count() != 2 {
		t.Errorf("approved call: %+v, %v, %d asks", res, err, h.count())
	}
}
