package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/mcpserve"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/runtime"
)

func newMCPServeCmd(app *App) *cobra.Command {
	var toolsets string
	c := &cobra.Command{
		Use:   "serve [--toolsets a,b]",
		Short: "Serve Hermes's tools to an MCP client over stdio",
		Long: `Run Hermes as an MCP server on stdin/stdout: the tools of
agent.toolsets.mcp_serve (or --toolsets) become MCP tools, and each call runs
as the agent's would, in one session per connection: the command guard, the
terminal sandbox and secret redaction apply. Nobody can approve a dangerous
command over MCP, so approvals.unattended decides (deny by default).
Progress and warnings go to stderr; stdout carries only the protocol.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.runMCPServe(cmd.Context(), toolsets)
		},
	}
	c.Flags().StringVar(&toolsets, "toolsets", "", "comma-separated toolsets instead of agent.toolsets.mcp_serve")
	return c
}

func (a *App) runMCPServe(ctx context.Context, toolsets string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	h, err := a.Home()
	if err != nil {
		return err
	}
	loaded, err := a.Config()
	if err != nil {
		return err
	}
	cfg := *loaded.Config
	ts := cfg.Agent.Toolsets.MCPServe
	if toolsets != "" {
		ts = []string{}
		for _, t := range strings.Split(toolsets, ",") {
			if t = strings.TrimSpace(t); t != "" {
				ts = append(ts, t)
			}
		}
	}
	main, aux, err := a.chatRouters(&cfg)
	if err != nil {
		return err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	var notifyMu sync.Mutex
	rt, err := runtime.Open(ctx, runtime.Options{
		Home: h, Config: &cfg, Router: main, Aux: aux, Frontend: "mcp", Toolsets: ts,
		Cwd: cwd, Env: os.Environ(), Unattended: true,
		Notify: func(line string) {
			// Calls may run at once, and clients often log stderr: mask it.
			notifyMu.Lock()
			defer notifyMu.Unlock()
			fmt.Fprintln(a.Stderr, redact.Default().String(line))
		},
	})
	if err != nil {
		return err
	}
	defer rt.Close()
	if a.ownsProcess {
		var cancel context.CancelFunc
		ctx, cancel = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer cancel()
	}
	err = mcpserve.Run(ctx, mcpserve.Options{Runtime: rt}, mcpserve.Stdio(a.Stdin, a.Stdout))
	if errors.Is(err, context.Canceled) {
		return nil // Ctrl-C or SIGTERM: a normal way to stop a server
	}
	return err
}
