package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/hermes-go/hermes/internal/llm"
)

// DefaultOutputCap is the result size the model sees when Env.OutputCap is 0.
const DefaultOutputCap = 50_000

// Registry holds the tools a process knows. The package-level Default is
// what tool families register into from init; tests build their own.
type Registry struct {
	mu    sync.RWMutex
	tools map[string]Tool
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{tools: map[string]Tool{}} }

// Default is the registry tool families add themselves to.
var Default = NewRegistry()

// Register adds t; a second tool of the same name panics (a programming
// error caught by any test that links both).
func (r *Registry) Register(t Tool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.tools[t.Name()]; dup {
		panic("tools: " + t.Name() + " registered twice")
	}
	if !json.Valid(t.Schema()) {
		panic("tools: " + t.Name() + " has an invalid JSON schema")
	}
	r.tools[t.Name()] = t
}

// With returns a new registry holding r's tools and extra (tools that
// exist for one runtime only, such as an MCP server's); a name clash
// panics as Register does.
func (r *Registry) With(extra ...Tool) *Registry {
	out := NewRegistry()
	r.mu.RLock()
	for _, t := range r.tools {
		out.tools[t.Name()] = t
	}
	r.mu.RUnlock()
	for _, t := range extra {
		out.Register(t)
	}
	return out
}

// Lookup returns the tool called name.
func (r *Registry) Lookup(name string) (Tool, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.tools[name]
	return t, ok
}

// Toolsets lists the toolset names of the registered tools, sorted.
func (r *Registry) Toolsets() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for _, t := range r.tools {
		if !slices.Contains(out, t.Toolset()) {
			out = append(out, t.Toolset())
		}
	}
	sort.Strings(out)
	return out
}

// Provided names the toolsets whose tools are not registered here but
// added by their owners where they run: delegate_task by the agent per
// session, cronjob by the scheduler, send_message by the gateway.
// Enabled accepts these names and leaves them to their owners.
var Provided = []string{"delegation", "cronjob", "send_message"}

// Enabled returns the tools of the named toolsets, sorted by name; a
// toolset nobody registered (and not Provided) is an error naming the
// known ones.
func (r *Registry) Enabled(toolsets []string) ([]Tool, error) {
	known := r.Toolsets()
	for _, ts := range toolsets {
		if !slices.Contains(known, ts) && !slices.Contains(Provided, ts) {
			return nil, fmt.Errorf("unknown toolset %q (known: %s)", ts, strings.Join(known, ", "))
		}
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Tool
	for _, t := range r.tools {
		if slices.Contains(toolsets, t.Toolset()) {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// Schemas describes tools for a model request.
func Schemas(ts []Tool) []llm.Tool {
	out := make([]llm.Tool, 0, len(ts))
	for _, t := range ts {
		out = append(out, llm.Tool{Name: t.Name(), Description: t.Description(), Parameters: t.Schema()})
	}
	return out
}

// Call runs the tool a model call names and returns the tool message that
// answers it: always one, whatever happens (an unknown tool, arguments
// that are not a JSON object, a failure, a panic), with the content
// redacted and capped. allowed limits the call to the session's enabled
// tools; nil allows every registered tool.
func (r *Registry) Call(ctx context.Context, env *Env, allowed []Tool, call llm.ToolCall) llm.Message {
	res := r.run(ctx, env, allowed, call)
	content := res.Content
	if env != nil && env.Redactor != nil {
		content = env.Redactor.String(content)
	}
	limit := DefaultOutputCap
	if env != nil && env.OutputCap > 0 {
		limit = env.OutputCap
	}
	return llm.Message{Role: llm.RoleTool, ToolCallID: call.ID, Content: Truncate(content, limit), IsError: res.IsError}
}

func (r *Registry) run(ctx context.Context, env *Env, allowed []Tool, call llm.ToolCall) (res Result) {
	t, ok := r.Lookup(call.Name)
	if ok && allowed != nil && !slices.ContainsFunc(allowed, func(a Tool) bool { return a.Name() == call.Name }) {
		ok = false
	}
	if !ok {
		return Errorf("unknown tool %q; use one of the tools you were given", call.Name)
	}
	args := json.RawMessage(strings.TrimSpace(call.Arguments))
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(args, &obj); err != nil {
		return Errorf("%s: the arguments are not a JSON object (%v); send them as {\"name\": value, ...}", call.Name, err)
	}
	defer func() {
		if p := recover(); p != nil {
			res = Errorf("%s failed inside hermes: %v", call.Name, p)
		}
	}()
	out, err := t.Run(ctx, env, args)
	if err != nil {
		if ctx.Err() != nil {
			return Errorf("%s was interrupted: %v", call.Name, ctx.Err())
		}
		return Errorf("%s failed: %v", call.Name, err)
	}
	return out
}

// Errorf is a failed Result with a one-line message for the model.
func Errorf(format string, a ...any) Result {
	return Result{Content: "error: " + fmt.Sprintf(format, a...), IsError: true}
}

// Truncate caps s at limit bytes, keeping the start and the end and saying
// how much of the middle was left out, so the model knows the result is
// not whole. It never cuts a UTF-8 character in half.
func Truncate(s string, limit int) string {
	if limit <= 0 || len(s) <= limit {
		return s
	}
	const noteRoom = 100
	keep := max(limit-noteRoom, 0)
	head, tail := keep*2/3, keep/3
	for head > 0 && !utf8Start(s[head]) {
		head--
	}
	start := len(s) - tail
	for start < len(s) && !utf8Start(s[start]) {
		start++
	}
	return fmt.Sprintf("%s\n[... %d characters left out: the result was %d characters, over the limit of %d ...]\n%s",
		s[:head], start-head, len(s), limit, s[start:])
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// Values holds per-session state of tool families, keyed by a key type of
// the family's own so families cannot collide.
type Values struct {
	mu sync.Mutex
	m  map[any]any
}

// Load returns the value for key, calling create to make it the first time.
func (v *Values) Load(key any, create func() any) any {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = map[any]any{}
	}
	x, ok := v.m[key]
	if !ok {
		x = create()
		v.m[key] = x
	}
	return x
}

// Get returns the value for key, if one was stored.
func (v *Values) Get(key any) (any, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	x, ok := v.m[key]
	return x, ok
}

// Set stores x for key, replacing what was there.
func (v *Values) Set(key, x any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = map[any]any{}
	}
	v.m[key] = x
}
