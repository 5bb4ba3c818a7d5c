package tools

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/redact"
)

type fakeTool struct {
	name, set string
	run       func(ctx context.Context, args json.RawMessage) (Result, error)
}

func (f fakeTool) Name() string            { return f.name }
func (f fakeTool) Toolset() string         { return f.set }
func (f fakeTool) Description() string     { return "a test tool" }
func (f fakeTool) Schema() json.RawMessage { return json.RawMessage(`{"type":"object"}`) }
func (f fakeTool) Run(ctx context.Context, _ *Env, args json.RawMessage) (Result, error) {
	return f.run(ctx, args)
}

func echo(name, set string) fakeTool {
	return fakeTool{name, set, func(_ context.Context, args json.RawMessage) (Result, error) {
		return Result{Content: string(args)}, nil
	}}
}

func TestRegistryCall(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	r.Register(echo("echo", "basic"))
	r.Register(echo("other", "extra"))
	r.Register(fakeTool{"boom", "basic", func(context.Context, json.RawMessage) (Result, error) { panic("kaboom") }})
	r.Register(fakeTool{"fail", "basic", func(context.Context, json.RawMessage) (Result, error) { return Result{}, errors.New("disk full") }})
	r.Register(fakeTool{"leak", "basic", func(context.Context, json.RawMessage) (Result, error) {
		return Result{Content: "OPENAI_API_KEY=sk-proj-Xk2mQ9vR4tL8wN1pZ6yB3cF7aa"}, nil
	}})
	red, err := redact.New(redact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Redactor: red}
	basic, err := r.Enabled([]string{"basic"})
	if err != nil || len(basic) != 4 {
		t.Fatalf("Enabled: %v %v", basic, err)
	}
	tests := []struct {
		call    llm.ToolCall
		want    string
		isError bool
	}{
		{llm.ToolCall{ID: "1", Name: "echo", Arguments: `{"a":1}`}, `{"a":1}`, false},
		{llm.ToolCall{ID: "2", Name: "echo", Arguments: ``}, `{}`, false},
		{llm.ToolCall{ID: "3", Name: "echo", Arguments: `[1]`}, "error: echo: the arguments are not a JSON object", true},
		{llm.ToolCall{ID: "4", Name: "nope"}, `error: unknown tool "nope"`, true},
		{llm.ToolCall{ID: "5", Name: "other"}, `error: unknown tool "other"`, true},
		{llm.ToolCall{ID: "6", Name: "boom"}, "error: boom failed inside hermes: kaboom", true},
		{llm.ToolCall{ID: "7", Name: "fail"}, "error: fail failed: disk full", true},
		{llm.ToolCall{ID: "8", Name: "leak"}, "OPENAI_API_KEY=sk-pro...F7aa", false},
	}
	for _, tt := range tests {
		m := r.Call(context.Background(), env, basic, tt.call)
		if m.Role != llm.RoleTool || m.ToolCallID != tt.call.ID || m.IsError != tt.isError || !strings.HasPrefix(m.Content, tt.want) {
			t.Errorf("%s: %+v, want %q (error %v)", tt.call.Name, m, tt.want, tt.isError)
		}
	}
	if _, err := r.Enabled([]string{"basic", "missing"}); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("unknown toolset: %v", err)
	}
	if got, err := r.Enabled([]string{"basic", "delegation", "cronjob"}); err != nil || len(got) != 4 {
		t.Errorf("provided toolsets: %d tools, %v", len(got), err)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	r.Register(echo("echo", "basic"))
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	r.Register(echo("echo", "basic"))
}

func TestWith(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	r.Register(echo("echo", "basic"))
	w := r.With(echo("mcp_srv_echo", "mcp-srv"))
	if _, ok := w.Lookup("echo"); !ok {
		t.Error("With lost a tool")
	}
	if _, ok := r.Lookup("mcp_srv_echo"); ok {
		t.Error("With changed the original")
	}
	if got := w.Toolsets(); len(got) != 2 {
		t.Errorf("toolsets %v", got)
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	if got := Truncate("short", 100); got != "short" {
		t.Errorf("short: %q", got)
	}
	long := strings.Repeat("é", 5000) // 10000 bytes
	got := Truncate(long, 1000)
	if len(got) > 1100 || !utf8.ValidString(got) || !strings.Contains(got, "characters left out") || !strings.HasPrefix(got, "é") || !strings.HasSuffix(got, "é") {
		t.Errorf("long: %d bytes, valid %v: %.80q", len(got), utf8.ValidString(got), got)
	}
}

func TestValues(t *testing.T) {
	t.Parallel()
	type key struct{}
	var v Values
	n := 0
	create := func() any { n++; return n }
	first := v.Load(key{}, create)
	if second := v.Load(key{}, create); first != 1 || second != 1 || n != 1 {
		t.Error("Load created twice")
	}
	type other struct{}
	if _, ok := v.Get(other{}); ok {
		t.Error("Get of a missing key")
	}
	v.Set(other{}, "x")
	if x, ok := v.Get(other{}); !ok || x != "x" {
		t.Errorf("Set then Get: %v %v", x, ok)
	}
}
