package chat

import (
	"bytes"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/agent"
	"github.com/hermes-go/hermes/internal/redact"
)

func TestRendererProgressModes(t *testing.T) {
	t.Parallel()
	events := []agent.Event{
		{Kind: agent.EventText, Text: "Let me look"},
		{Kind: agent.EventToolStart, Tool: "read_file", Args: "path=a.txt"},
		{Kind: agent.EventToolEnd, Tool: "read_file", Elapsed: 3 * time.Millisecond},
		{Kind: agent.EventToolStart, Tool: "read_file", Args: "path=b.txt"},
		{Kind: agent.EventToolEnd, Tool: "read_file", IsError: true, Text: "error: no such file"},
		{Kind: agent.EventToolStart, Tool: "terminal", Args: "command=ls"},
		{Kind: agent.EventToolEnd, Tool: "terminal", Elapsed: 1500 * time.Millisecond},
		{Kind: agent.EventText, Text: "Done."},
	}
	tests := []struct{ mode, want string }{
		{ProgressAll, "Let me look\n  ⚙ read_file path=a.txt\n  ✓ read_file (3ms)\n  ⚙ read_file path=b.txt\n  ✗ read_file (0s): error: no such file\n  ⚙ terminal command=ls\n  ✓ terminal (1.5s)\nDone.\n"},
		{ProgressNew, "Let me look\n  ⚙ read_file path=a.txt\n  ⚙ terminal command=ls\nDone.\n"},
		{ProgressOff, "Let me lookDone.\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		r := newRenderer(&b, &b, nil, tt.mode, false)
		for _, ev := range events {
			r.on(ev)
		}
		r.endTurn()
		if b.String() != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.mode, b.String(), tt.want)
		}
	}
}

func TestRendererMasksInfoLinesAndSplitsStreams(t *testing.T) {
	t.Parallel()
	var text, info bytes.Buffer
	r := newRenderer(&text, &info, redact.Default(), ProgressAll, false)
	r.on(agent.Event{Kind: agent.EventText, Text: "partial"})
	r.on(agent.Event{Kind: agent.EventReset, Text: "retrying"})
	r.line("  · $ export OPENAI_API_KEY=sk-proj-abcdefghijklmnop1234567890XYZ")
	r.on(agent.Event{Kind: agent.EventWarning, Text: "store down"})
	r.on(agent.Event{Kind: agent.EventReasoning, Text: "hidden thoughts"})
	if bytes.Contains(info.Bytes(), []byte("abcdefghijklmnop")) {
		t.Errorf("a secret in a progress line: %q", info.String())
	}
	want := "  ↺ the answer above is void (retrying)\n  · $ export OPENAI_API_KEY=sk-pro...0XYZ\n  ! warning: store down\n"
	if info.String() != want {
		t.Errorf("info:\n got %q\nwant %q", info.String(), want)
	}
	if text.String() != "partial\n" {
		t.Errorf("text: %q", text.String())
	}
}
