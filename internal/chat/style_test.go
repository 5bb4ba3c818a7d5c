package chat

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/agent"
	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/redact"
)

func TestDisplayStyleColor(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	var buf bytes.Buffer // not a terminal
	tests := []struct {
		name   string
		color  string
		getenv func(string) string
		want   bool
	}{
		{"auto, not a terminal", "auto", env(), false},
		{"always", "always", env(), true},
		{"always beats NO_COLOR", "always", env("NO_COLOR", "1"), true},
		{"never", "never", env(), false},
		{"auto with NO_COLOR", "auto", env("NO_COLOR", "1"), false},
	}
	for _, tt := range tests {
		if got := displayStyle(config.Display{Color: tt.color}, &buf, tt.getenv).color; got != tt.want {
			t.Errorf("%s: color %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRendererDisplay(t *testing.T) {
	t.Parallel()
	clock := func() time.Time { return time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC) }
	events := []agent.Event{
		{Kind: agent.EventText, Text: "# Plan\nUse **go test** and `make check`:\n- one\n```\nx := 1\n```\n"},
		{Kind: agent.EventToolStart, Tool: "terminal", Args: "command=ls"},
		{Kind: agent.EventToolEnd, Tool: "terminal", IsError: true, Text: "exit 1"},
		{Kind: agent.EventWarning, Text: "slow"},
		{Kind: agent.EventText, Text: "Done."},
	}
	plain := "# Plan\nUse **go test** and `make check`:\n- one\n```\nx := 1\n```\n  ⚙ terminal command=ls\n  ✗ terminal (0s): exit 1\n  ! warning: slow\nDone.\n"
	tests := []struct {
		name string
		st   style
		want string
	}{
		{"plain", style{}, plain},
		{"markdown without colour is raw", style{markdown: true}, plain},
		{"colour without markdown", style{color: true},
			"# Plan\nUse **go test** and `make check`:\n- one\n```\nx := 1\n```\n\x1b[36m  ⚙ terminal command=ls\x1b[0m\n\x1b[31m  ✗ terminal (0s): exit 1\x1b[0m\n\x1b[33m  ! warning: slow\x1b[0m\nDone.\n"},
		{"colour and markdown", style{color: true, markdown: true},
			"\x1b[1mPlan\x1b[0m\nUse \x1b[1mgo test\x1b[0m and \x1b[36mmake check\x1b[0m:\n• one\n\x1b[2m```\x1b[0m\n\x1b[36mx := 1\x1b[0m\n\x1b[2m```\x1b[0m\n" +
				"\x1b[36m  ⚙ terminal command=ls\x1b[0m\n\x1b[31m  ✗ terminal (0s): exit 1\x1b[0m\n\x1b[33m  ! warning: slow\x1b[0m\nDone.\n"},
		{"timestamps", style{timestamps: true, now: clock},
			"[15:04:05] # Plan\nUse **go test** and `make check`:\n- one\n```\nx := 1\n```\n[15:04:05]   ⚙ terminal command=ls\n[15:04:05]   ✗ terminal (0s): exit 1\n[15:04:05]   ! warning: slow\n[15:04:05] Done.\n"},
	}
	for _, tt := range tests {
		for _, red := range []*redact.Redactor{nil, redact.Default()} {
			var b bytes.Buffer
			r := newRenderer(&b, &b, red, ProgressAll, false)
			r.setStyle(tt.st, tt.st)
			for _, ev := range events {
				r.on(ev)
			}
			r.endTurn()
			if b.String() != tt.want {
				t.Errorf("%s (redactor %v):\n got %q\nwant %q", tt.name, red != nil, b.String(), tt.want)
			}
		}
	}
}

func TestAnswerMarkdown(t *testing.T) {
	t.Parallel()
	in := "## Steps\n* run `ls`\n```sh\n# not a heading\n```"
	if got := (style{color: true, markdown: true}).answer(in); strings.Contains(got, "## ") || !strings.Contains(got, "\x1b[36m# not a heading") || !strings.Contains(got, "• run") {
		t.Errorf("styled answer %q", got)
	}
	if got := (style{markdown: true}).answer(in); got != in {
		t.Errorf("without colour the answer changed: %q", got)
	}
}
