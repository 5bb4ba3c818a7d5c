package cli

import (
	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/ops/audit"
)

func newSecurityCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "security",
		Short: "Review the security posture of the home",
	}
	var jsonOut bool
	a := &cobra.Command{
		Use:   "audit [--json]",
		Short: "List weaknesses of this profile's setup, with stable ids and severities",
		Long: `Read config.yaml, .env and the home's file modes, and list each weakness with
a stable id, a severity (high, medium, low, info) and the fix: an API server or
gateway listener beyond loopback, webhook routes without a secret, secrets
readable by others, platforms open to everyone or groups sharing one session,
allowlists keyed on usernames, commands from messaging running without a
sandbox, approvals or redaction off, secrets written in config.yaml (MCP
servers included), remote MCP servers trusted without approval. Nothing is
changed. Exit 1 when any finding is high.

Every finding id is described in docs/doctor.md.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			h, err := home.Resolve(home.Options{Profile: app.profileFlag, Getenv: app.Getenv})
			if err != nil {
				return err
			}
			rep, err := audit.Run(h, audit.Options{Getenv: app.Getenv})
			if err != nil {
				return err
			}
			if jsonOut {
				if err := writeJSON(app, rep); err != nil {
					return err
				}
			} else {
				audit.Render(app.Stdout, rep)
			}
			if rep.High > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	a.Flags().BoolVar(&jsonOut, "json", false, "print the findings as JSON")
	c.AddCommand(a)
	return c
}
