// Package mcpserve is `hermes mcp serve`: Hermes itself as an MCP server. One
// connection is one unattended agent session of an open runtime; each
// hermes tool of the chosen toolsets becomes an MCP tool with the same
// name, description and input schema, and every call runs through the
// tool registry exactly as the agent's own calls do, so the command
// guard, the terminal sandbox, the redactor and the output cap all apply.
// Nobody can answer an approval over MCP: a dangerous command gets what
// approvals.unattended says (deny by default), and the hardline blocklist
// always holds.
//
// The package owns the mapping between MCP and the tool registry; the
// runtime package assembles what the tools run on, and the CLI opens the
// runtime and picks the transport (stdio).
package mcpserve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hermes-go/hermes/internal/agent"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/runtime"
	"github.com/hermes-go/hermes/internal/tools"
	"github.com/hermes-go/hermes/internal/version"
)

// DefaultName is the server name announced to clients when Options.Name
// is empty.
const DefaultName = "hermes"

// Options say what to serve.
type Options struct {
	// Runtime is the open profile the tools run on; required. Open it with
	// Unattended set: the session is made unattended here in any case.
	Runtime *runtime.Runtime
	// Toolsets are the toolsets to serve; nil serves the runtime's own
	// (open it with agent.toolsets.mcp_serve or --toolsets). Each must be
	// one of the runtime's toolsets, so a section config turned off
	// (memory, skills) stays off.
	Toolsets []string
	// Name and Version are announced to the client; empty: DefaultName
	// and the binary's version.
	Name, Version string
	// Registry holds the tools, as the runtime's agent sees them; nil is
	// tools.Default, the registry runtime.Open gives the agent.
	Registry *tools.Registry
}

// Run serves one connection over t (an mcp.StdioTransport in
// production) until the client disconnects or ctx ends, then ends the
// agent session. A client that simply goes away is a nil error.
func Run(ctx context.Context, o Options, t mcp.Transport) error {
	srv, end, err := NewServer(ctx, o)
	if err != nil {
		return err
	}
	err = srv.Run(ctx, t)
	return errors.Join(err, end())
}

// Stdio is the transport of `hermes mcp serve`: newline-delimited JSON-RPC
// read from in and written to out (the process's stdin and stdout). Run
// never closes either.
func Stdio(in io.Reader, out io.Writer) mcp.Transport {
	return &mcp.IOTransport{Reader: io.NopCloser(in), Writer: nopWriteCloser{out}}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// NewServer builds the MCP server for one connection and starts its
// agent session. end ends the session (its shell, background processes
// and store row); call it once the connection is over. It is safe to
// call more than once.
func NewServer(ctx context.Context, o Options) (srv *mcp.Server, end func() error, err error) {
	rt := o.Runtime
	if rt == nil {
		return nil, nil, errors.New("mcp serve: Options.Runtime is required")
	}
	reg := o.Registry
	if reg == nil {
		reg = tools.Default
	}
	served, err := chooseTools(rt, reg, o.Toolsets)
	if err != nil {
		return nil, nil, err
	}
	sess, err := rt.NewSession(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("mcp serve: session: %w", err)
	}
	// Nobody sits behind an MCP client to answer an approval or a question.
	sess.Env.Unattended = true
	sess.Env.Ask = nil
	var once sync.Once
	var endErr error
	end = func() error {
		once.Do(func() { endErr = rt.EndSession(context.WithoutCancel(ctx), sess) })
		return endErr
	}

	name, ver := o.Name, o.Version
	if name == "" {
		name = DefaultName
	}
	if ver == "" {
		ver = version.String()
	}
	srv = mcp.NewServer(&mcp.Implementation{Name: name, Title: "Hermes Agent", Version: ver},
		&mcp.ServerOptions{Capabilities: &mcp.ServerCapabilities{}})
	h := &handler{reg: reg, sess: sess, allowed: served}
	for _, t := range served {
		mt, err := describe(t)
		if err != nil {
			end()
			return nil, nil, err
		}
		srv.AddTool(mt, h.call)
	}
	return srv, end, nil
}

// chooseTools returns the tools of the toolsets to serve: the runtime's
// own, or the requested ones when each is among them.
func chooseTools(rt *runtime.Runtime, reg *tools.Registry, want []string) ([]tools.Tool, error) {
	have := rt.Toolsets()
	if want == nil {
		want = have
	}
	for _, ts := range want {
		if !slices.Contains(have, ts) {
			return nil, fmt.Errorf("mcp serve: toolset %q is not enabled in this runtime (enabled: %v); open the runtime with it, or turn its config section on", ts, have)
		}
	}
	served, err := reg.Enabled(want)
	if err != nil {
		return nil, fmt.Errorf("mcp serve: %w", err)
	}
	if len(served) == 0 {
		return nil, fmt.Errorf("mcp serve: toolsets %v have no tools to serve", want)
	}
	return served, nil
}

// describe is t as an MCP tool. The SDK insists on an object schema; a
// tool without one is a hermes bug, reported rather than panicking.
func describe(t tools.Tool) (*mcp.Tool, error) {
	var top struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(t.Schema(), &top); err != nil || top.Type != "object" {
		return nil, fmt.Errorf("mcp serve: tool %s: its input schema is not a JSON object schema (type %q)", t.Name(), top.Type)
	}
	return &mcp.Tool{Name: t.Name(), Description: t.Description(), InputSchema: t.Schema()}, nil
}

// handler runs MCP tool calls in the connection's agent session.
type handler struct {
	reg     *tools.Registry
	sess    *agent.Session
	allowed []tools.Tool
	seq     atomic.Int64
}

// call runs one tools/call through the registry, which validates the
// arguments are an object, runs the tool with the session's Env (guard,
// sandbox), and redacts and caps the result.
func (h *handler) call(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args := string(req.Params.Arguments)
	if args == "null" {
		args = ""
	}
	call := llm.ToolCall{ID: "mcp-" + strconv.FormatInt(h.seq.Add(1), 10), Name: req.Params.Name, Arguments: args}
	msg := h.reg.Call(ctx, h.sess.Env, h.allowed, call)
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: msg.Content}}, IsError: msg.IsError}, nil
}
