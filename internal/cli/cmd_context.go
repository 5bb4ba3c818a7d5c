package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/contextfiles"
)

func newContextCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "context",
		Short: "Inspect the project context files hermes would load",
	}
	c.AddCommand(newContextScanCmd(app))
	return c
}

func newContextScanCmd(app *App) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "scan [--json] [PATH...]",
		Short: "Show which context files would be loaded or blocked, and why",
		Long: `Show the context files hermes would put in its system prompt when started in
PATH (default: here): .hermes.md or HERMES.md, else the AGENTS.md chain, else
CLAUDE.md, else .cursorrules and .cursor/rules, plus SOUL.md from the home. A
file that looks like prompt injection is blocked, not loaded; the pattern ids
say why. A PATH that is a file is scanned as it is.`,
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				wd, err := os.Getwd()
				if err != nil {
					return err
				}
				args = []string{wd}
			}
			rep, err := contextfiles.ScanPaths(args, contextfiles.Options{
				Home: app.home.Dir, MaxBytes: cfg.Security.ContextFileMaxKiB << 10, Scan: cfg.Security.ScanContextFiles,
			})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app, rep)
			}
			printContext(app, rep)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}

func printContext(app *App, rep contextfiles.Report) {
	if len(rep.Files) == 0 {
		fmt.Fprintln(app.Stdout, "no context files")
		return
	}
	wd, _ := os.Getwd()
	for _, f := range rep.Files {
		name := f.Path
		if rel, err := filepath.Rel(wd, f.Path); err == nil && !strings.HasPrefix(rel, "..") {
			name = rel
		}
		if !f.Blocked {
			note := ""
			if f.Truncated {
				note = ", only the first part loaded"
			}
			fmt.Fprintf(app.Stdout, "loaded   %s (%s, %d bytes%s)\n", name, f.Kind, f.Size, note)
			continue
		}
		ids := make([]string, 0, len(f.Findings))
		for _, x := range f.Findings {
			ids = append(ids, x.ID)
		}
		fmt.Fprintf(app.Stdout, "blocked  %s (%s): %s\n", name, f.Kind, strings.Join(ids, ", "))
		for _, x := range f.Findings {
			fmt.Fprintf(app.Stdout, "         line %d: %s: %s\n", x.Line, x.Description, x.Excerpt)
		}
	}
}
