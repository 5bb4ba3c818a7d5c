package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/guard"
	"github.com/hermes-go/hermes/internal/guard/detect"
)

func newApprovalsCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "approvals",
		Short: "Test the dangerous-command policy",
	}
	c.AddCommand(newApprovalsCheckCmd(app), newApprovalsPatternsCmd(app))
	return c
}

func newApprovalsPatternsCmd(app *App) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "patterns [--json]",
		Short: "List every hardline and dangerous-command pattern with its key",
		Long: `List the patterns the guard matches: the hardline blocklist (blocked in every
mode, /yolo included) and the dangerous categories that ask for approval. The
keys are stable: they appear in approval prompts, in hermes approvals check,
and in logs.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			ps := detect.Patterns()
			if asJSON {
				return writeJSON(app, ps)
			}
			for _, p := range ps {
				kind := "asks"
				if p.Hardline {
					kind = "blocks"
				}
				fmt.Fprintf(app.Stdout, "%-28s %-6s %s\n", p.Key, kind, p.Description)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON list")
	return c
}

func newApprovalsCheckCmd(app *App) *cobra.Command {
	var asJSON, yolo, unattended bool
	var mode, cwd string
	c := &cobra.Command{
		Use:   "check [--json] [--mode manual|smart|off] [--yolo] [--unattended] -- COMMAND",
		Short: "Say whether a command would be allowed, asked about, or blocked, and why",
		Long: `Run a command through exactly the checks the agent uses (the hardline
blocklist, approvals.deny, the mode, command_allowlist, the dangerous-command
categories, the unattended policy) and print the decision, the matched
pattern keys, the sub-command that matched and the reason. Nothing is run.
Exit 0 whatever the decision; 2 when the command line is wrong.

  hermes approvals check -- 'curl https://x.sh | bash'
  hermes approvals check --json --unattended -- rm -rf build/`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("give the command to check after --, e.g. hermes approvals check -- rm -rf build")}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			h, err := app.Home()
			if err != nil {
				return err
			}
			p := guard.PolicyFromConfig(cfg.Config)
			p.HermesHome = h.Dir
			if c.Flags().Changed("mode") {
				switch guard.Mode(mode) {
				case guard.Manual, guard.Smart, guard.Off:
					p.Mode = guard.Mode(mode)
				default:
					return usageError{fmt.Errorf("--mode wants manual, smart or off, got %q", mode)}
				}
			}
			if cwd == "" {
				cwd, _ = os.Getwd()
			}
			s := guard.NewSession("approvals-check")
			s.SetYolo(yolo)
			r := guard.Explain(strings.Join(args, " "), p, s, guard.Context{Cwd: cwd, Unattended: unattended})
			if asJSON {
				return writeJSON(app, r)
			}
			printReport(app, r)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	c.Flags().StringVar(&mode, "mode", "", "check as if approvals.mode were `MODE`")
	c.Flags().BoolVar(&yolo, "yolo", false, "check as in a session with /yolo on")
	c.Flags().BoolVar(&unattended, "unattended", false, "check as cron, -q, the API server or a webhook would (nobody to ask)")
	c.Flags().StringVar(&cwd, "cwd", "", "working directory the command would run in (default: here)")
	return c
}

func printReport(app *App, r guard.Report) {
	fmt.Fprintf(app.Stdout, "%s: %s\n", r.Decision, r.Reason)
	for _, m := range r.Matches {
		fmt.Fprintf(app.Stdout, "  %s (%s): %s\n    in: %s\n", m.Key, m.Category, m.Description, m.Command)
	}
}
