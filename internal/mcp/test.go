package mcp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hermes-go/hermes/internal/config"
)

// TestReport is what `hermes mcp test` prints.
type TestReport struct {
	Name      string        `json:"name"`
	Transport string        `json:"transport"`
	Tools     []ToolInfo    `json:"tools"`
	Resources []string      `json:"resources,omitempty"`
	Prompts   []string      `json:"prompts,omitempty"`
	Start     time.Duration `json:"start_ns"` // to start (or connect), initialize and list
	Close     time.Duration `json:"close_ns"` // to shut it down again
}

// ToolInfo is one tool a server lists.
type ToolInfo struct {
	Name        string `json:"name"`    // the server's name for it
	Exposed     string `json:"exposed"` // what the model sees; empty when include/exclude drop it
	Description string `json:"description,omitempty"`
}

// Test starts server name as Start would (even when it is disabled),
// lists its tools, resources and prompts, and stops it, timing both.
func Test(ctx context.Context, name string, s config.MCPServer, o Options) (TestReport, error) {
	s.Enabled = true
	m := newManager(o)
	defer m.stderr.Close()
	defer m.cancel()
	rep := TestReport{Name: name, Transport: transportOf(s)}
	if m.setupErr != nil {
		return rep, m.setupErr
	}
	srv := newServer(m, name, s)
	timeout := srv.connectTimeout()
	if o.StartTimeout > 0 {
		timeout = min(timeout, o.StartTimeout)
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t0 := time.Now()
	c, err := srv.connect(cctx)
	rep.Start = time.Since(t0)
	if err != nil {
		return rep, fmt.Errorf("mcp server %s: %w", name, err)
	}
	srv.install(c, true)
	exposed := map[string]string{}
	for _, t := range srv.toolValues(map[string]bool{}) {
		mt := t.(*Tool)
		exposed[mt.remote] = mt.name
	}
	for _, t := range c.tools {
		rep.Tools = append(rep.Tools, ToolInfo{Name: t.Name, Exposed: exposed[t.Name], Description: t.Description})
	}
	rep.Resources, rep.Prompts = c.resources, c.prompts
	t1 := time.Now()
	err = srv.close()
	rep.Close = time.Since(t1)
	if err != nil && !errors.Is(err, context.Canceled) {
		return rep, fmt.Errorf("mcp server %s: close: %w", name, err)
	}
	return rep, nil
}
