package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hermes-go/hermes/internal/tools"
)

// Tool is one tool of an MCP server as the agent sees it.
type Tool struct {
	server   *server
	name     string // exposed: ToolName(server, remote)
	remote   string // the server's own name for it
	desc     string
	schema   json.RawMessage
	trustAsk bool
}

var _ tools.Tool = (*Tool)(nil)

// Name is "mcp_<server>_<tool>", sanitised and unique.
func (t *Tool) Name() string { return t.name }

// Toolset is "mcp-<server>".
func (t *Tool) Toolset() string { return Toolset(t.server.name) }

// Description is the server's description of the tool, naming the server.
func (t *Tool) Description() string { return t.desc }

// Schema is the tool's inputSchema as the server gave it.
func (t *Tool) Schema() json.RawMessage { return t.schema }

// Server is the name of the server the tool belongs to.
func (t *Tool) Server() string { return t.server.name }

// Remote is the server's own name for the tool.
func (t *Tool) Remote() string { return t.remote }

// emptySchema is the schema of a tool that declares none.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// toolValues turns the tools the server listed at its first start into
// Tool values, keeping those include and exclude select.
func (s *server) toolValues(taken map[string]bool) []tools.Tool {
	s.mu.Lock()
	listed := s.tools
	s.mu.Unlock()
	var keep []*sdk.Tool
	for _, t := range listed {
		if selected(t.Name, s.cfg.Include, s.cfg.Exclude) {
			keep = append(keep, t)
		}
	}
	remote := make([]string, len(keep))
	for i, t := range keep {
		remote[i] = t.Name
	}
	names := uniqueNames(s.name, remote, taken)
	out := make([]tools.Tool, len(keep))
	for i, t := range keep {
		out[i] = &Tool{
			server: s, name: names[i], remote: t.Name,
			desc:     describeTool(s.name, t),
			schema:   schemaOf(t.InputSchema),
			trustAsk: s.cfg.Trust == "ask",
		}
	}
	return out
}

func describeTool(server string, t *sdk.Tool) string {
	d := strings.TrimSpace(t.Description)
	if d == "" {
		d = t.Title
	}
	return fmt.Sprintf("[MCP server %s, tool %s] %s", server, t.Name, d)
}

// schemaOf marshals an input schema; anything that is not a JSON object
// becomes the empty object schema.
func schemaOf(s any) json.RawMessage {
	if s == nil {
		return emptySchema
	}
	b, err := json.Marshal(s)
	if err != nil || len(b) == 0 || b[0] != '{' {
		return emptySchema
	}
	var probe map[string]any
	if json.Unmarshal(b, &probe) != nil {
		return emptySchema
	}
	if _, ok := probe["type"]; !ok {
		probe["type"] = "object"
		if b, err = json.Marshal(probe); err != nil {
			return emptySchema
		}
	}
	return b
}

// Run calls the tool on its server within the server's timeout. For a
// server marked trust: ask the call passes the approval rules first. The
// result is redacted here, and again by the registry.
func (t *Tool) Run(ctx context.Context, env *tools.Env, args json.RawMessage) (tools.Result, error) {
	if len(strings.TrimSpace(string(args))) == 0 || string(args) == "null" {
		args = json.RawMessage(`{}`)
	}
	if !json.Valid(args) || strings.TrimSpace(string(args))[0] != '{' {
		return tools.Result{Content: "the arguments must be a JSON object", IsError: true}, nil
	}
	red := t.server.m.red
	if t.trustAsk {
		if ok, reason := approve(ctx, env, t.server.name, t.remote, args, red); !ok {
			return tools.Result{Content: reason, IsError: true}, nil
		}
	}
	timeout := t.server.callTimeout()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := t.server.call(cctx, t.remote, args)
	switch {
	case err == nil:
		text, isErr := render(res)
		return tools.Result{Content: red.String(text), IsError: isErr}, nil
	case ctx.Err() != nil:
		return tools.Result{}, ctx.Err()
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		return tools.Result{Content: fmt.Sprintf("mcp server %s: %s did not answer within %s (mcp_servers.%s.timeout)",
			t.server.name, t.remote, timeout, t.server.name), IsError: true}, nil
	default:
		return tools.Result{Content: red.String(fmt.Sprintf("mcp server %s: %s failed: %v", t.server.name, t.remote, err)), IsError: true}, nil
	}
}

// render turns a tool result into text: text parts as they are, other
// parts as one-line notes, structured content as JSON when there is no
// other content.
func render(res *sdk.CallToolResult) (string, bool) {
	var parts []string
	for _, c := range res.Content {
		parts = append(parts, renderContent(c))
	}
	if len(parts) == 0 && res.StructuredContent != nil {
		if b, err := json.Marshal(res.StructuredContent); err == nil {
			parts = append(parts, string(b))
		}
	}
	return strings.Join(parts, "\n"), res.IsError
}

func renderContent(c sdk.Content) string {
	switch c := c.(type) {
	case *sdk.TextContent:
		return c.Text
	case *sdk.ImageContent:
		return fmt.Sprintf("[image %s, %d bytes]", c.MIMEType, len(c.Data))
	case *sdk.AudioContent:
		return fmt.Sprintf("[audio %s, %d bytes]", c.MIMEType, len(c.Data))
	case *sdk.ResourceLink:
		return fmt.Sprintf("[resource %s %s]", c.URI, c.Name)
	case *sdk.EmbeddedResource:
		if c.Resource == nil {
			return "[resource]"
		}
		if c.Resource.Text != "" {
			return c.Resource.Text
		}
		return fmt.Sprintf("[resource %s %s, %d bytes]", c.Resource.URI, c.Resource.MIMEType, len(c.Resource.Blob))
	default:
		b, _ := json.Marshal(c)
		return string(b)
	}
}
