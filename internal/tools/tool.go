// Package tools owns what the agent can do: the Tool interface, the
// registry that tools add themselves to, toolsets (named groups that config
// enables per frontend), argument validation against each tool's JSON
// schema, and the result cap with its truncation notice. Tool families live
// in sub-packages (tools/terminal, tools/file, tools/web, ...) and register
// from init.
//
// Every result passes the session's redactor before the model or the
// session store sees it: Registry.Call applies it, so no tool can forget.
package tools

import (
	"context"
	"encoding/json"

	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/sandbox"
)

// Tool is one capability the model may call.
type Tool interface {
	// Name is what the model calls it ("terminal", "read_file"); unique.
	Name() string
	// Toolset is the group config enables it by ("terminal", "file", "web").
	Toolset() string
	// Description tells the model when and how to use it.
	Description() string
	// Schema is the JSON Schema of the arguments object.
	Schema() json.RawMessage
	// Run does the work. A failure the model should see and can fix (a
	// missing file, a bad argument) is a Result with IsError and a one-line
	// message saying what went wrong; an error return is for the tool
	// itself breaking, and is reported to the model the same way.
	Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error)
}

// Result is what a tool hands back.
type Result struct {
	Content string
	IsError bool
}

// Env is what a tool may use: everything per session lives here, never in
// package state (layer 6 of docs/security.md).
type Env struct {
	SessionID  string
	Home       string           // the hermes home of the active profile
	Cwd        string           // working directory of the session
	Backend    sandbox.Backend  // where shell commands run
	Guard      *guard.Guard     // every shell command passes it first
	Session    *guard.Session   // grants and /yolo of this session
	Unattended bool             // nobody can answer an approval (cron, -q, API server)
	Container  bool             // the backend is a container without host mounts
	Redactor   *redact.Redactor // applied to every result by Registry.Call
	OutputCap  int              // characters of one result the model sees (agent.tool_output_limit)
	// Notify shows the user a progress line (tool started, a notice); nil
	// discards them.
	Notify func(line string)
	// Ask puts a question to the user and returns the answer (the clarify
	// tool); nil means nobody can answer (unattended runs).
	Ask func(ctx context.Context, question string, choices []string) (string, error)
	// Values holds per-session state of tool families (background
	// processes, the todo list), keyed by a family's own key type.
	Values *Values
}

// Summarise asks a side model to condense text as instruction says. The
// runtime builds one from an auxiliary.<task> endpoint (web_extract,
// session_search) and hands it to a tool family through its Configure.
type Summarise func(ctx context.Context, instruction, text string) (string, error)
