// Package memory is the memory tool (toolset "memory"): the agent adds,
// replaces, removes and reads the entries of MEMORY.md and USER.md through
// internal/memory. What it saves reaches the system prompt of the next
// session; the current one keeps the snapshot it started with.
package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
	mem "github.com/hermes-go/hermes/internal/memory"
	"github.com/hermes-go/hermes/internal/tools"
)

func init() { tools.Default.Register(Tool{}) }

// Tool is the memory tool.
type Tool struct{}

var _ tools.Tool = Tool{}

// storeKey keys the session's *mem.Store in tools.Env.Values.
type storeKey struct{}

// Configure sets the memory limits of env's session (memory.* in config).
// Call it when the session starts, before the first memory call; a
// session never configured uses the defaults.
func Configure(env *tools.Env, cfg config.Memory) {
	s := mem.Open(env.Home, cfg)
	env.Values.Load(storeKey{}, func() any { return s })
}

func store(env *tools.Env) *mem.Store {
	if env.Values == nil {
		return mem.Open(env.Home, config.Memory{})
	}
	return env.Values.Load(storeKey{}, func() any { return mem.Open(env.Home, config.Memory{}) }).(*mem.Store)
}

func (Tool) Name() string    { return "memory" }
func (Tool) Toolset() string { return "memory" }

func (Tool) Description() string {
	return `Save durable facts across sessions. target "memory" is your own notes (environment facts, project conventions, lessons learned); target "user" is about the user (name, preferences, habits). Actions: add (content), replace (old_text: a unique part of the entry, content: the new entry), remove (old_text), read. Keep entries short and factual; save what will matter in future sessions, not task progress. Files have a character limit: when full, the oldest entries are archived. Changes appear in your prompt from the next session on.`
}

func (Tool) Schema() json.RawMessage {
	return json.RawMessage(`{
  "type": "object",
  "properties": {
    "action": {"type": "string", "enum": ["add", "replace", "remove", "read"], "description": "what to do"},
    "target": {"type": "string", "enum": ["memory", "user"], "description": "memory: your notes (MEMORY.md); user: about the user (USER.md)"},
    "content": {"type": "string", "description": "the entry text, for add and replace"},
    "old_text": {"type": "string", "description": "a part of exactly one existing entry, for replace and remove"}
  },
  "required": ["action", "target"],
  "additionalProperties": false
}`)
}

type args struct {
	Action  string `json:"action"`
	Target  string `json:"target"`
	Content string `json:"content"`
	OldText string `json:"old_text"`
}

// Run does one memory action.
func (Tool) Run(ctx context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a args
	if err := json.Unmarshal(raw, &a); err != nil {
		return tools.Errorf("memory: bad arguments (%v); send action, target and content or old_text as strings", err), nil
	}
	t, err := mem.ParseTarget(a.Target)
	if err != nil {
		return tools.Errorf("memory: %v", err), nil
	}
	s := store(env)
	var st mem.State
	switch a.Action {
	case "read":
		st, err = s.Read(t)
		if err != nil {
			return tools.Result{}, err
		}
		return tools.Result{Content: render(st)}, nil
	case "add":
		if a.Content == "" {
			return tools.Errorf("memory: add needs content, the entry to save"), nil
		}
		st, err = s.Add(ctx, t, a.Content)
	case "replace":
		if a.Content == "" || a.OldText == "" {
			return tools.Errorf("memory: replace needs old_text (part of the entry to change) and content (the new entry)"), nil
		}
		st, err = s.Replace(ctx, t, a.OldText, a.Content)
	case "remove":
		if a.OldText == "" {
			return tools.Errorf("memory: remove needs old_text, a part of the entry to delete"), nil
		}
		st, err = s.Remove(ctx, t, a.OldText)
	default:
		return tools.Errorf("memory: unknown action %q; use add, replace, remove or read", a.Action), nil
	}
	if err != nil {
		return tools.Errorf("memory: %v", err), nil
	}
	return tools.Result{Content: done(a.Action, st)}, nil
}

// done reports a change in one or two lines.
func done(action string, st mem.State) string {
	if !st.Changed {
		return fmt.Sprintf("%s already holds that entry; nothing changed (%s)", st.Target.File(), st.Usage())
	}
	verb := map[string]string{"add": "saved to", "replace": "replaced in", "remove": "removed from"}[action]
	msg := fmt.Sprintf("%s %s (%s)", verb, st.Target.File(), st.Usage())
	if n := len(st.Archived); n > 0 {
		msg += fmt.Sprintf("\n%s was full: archived the %d oldest entr%s to memories/%s", st.Target.File(), n, plural(n, "y", "ies"), mem.ArchiveFile)
	}
	return msg
}

// render lists the entries with their numbers under the usage header;
// an entry the injection scan flags is shown as its [BLOCKED: ...] line.
func render(st mem.State) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s), %d entr%s\n", st.Target.File(), st.Usage(), len(st.Entries), plural(len(st.Entries), "y", "ies"))
	entries, _ := mem.Checked(st.Target, st.Entries)
	for i, e := range entries {
		fmt.Fprintf(&b, "%d. %s\n", i+1, e)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
