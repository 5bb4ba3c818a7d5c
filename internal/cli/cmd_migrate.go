package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/gateway/pairing"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/ops/migrate"
)

func newMigrateCmd(app *App) *cobra.Command {
	var from string
	var dry, force, jsonOut bool
	c := &cobra.Command{
		Use:   "migrate [--from hermes|openclaw] [--dry-run] [--force] [--json] [SOURCE]",
		Short: "Bring your setup over from the Python Hermes Agent or OpenClaw",
		Long: `Reads another agent's home without changing it and brings over, into the
active home: config (each key mapped to ours; keys with no equivalent are
listed with their file:line), .env, credential pools, SOUL.md, memories,
skills, cron jobs, sessions with their messages, and pairing approvals.

SOURCE defaults to ~/.hermes for --from hermes (usable when this hermes'
home is elsewhere, e.g. HERMES_HOME=~/.hermes-go) and to ~/.openclaw for
--from openclaw. Without --from the kind is told from the layout.

Nothing of ours is overwritten without --force; what is replaced is first
copied to <home>/migrate-backup-<time>/. A second run changes nothing.
--dry-run prints the whole report and writes nothing. See docs/migrate.md.`,
		Args: rangeArgs(0, 1, "an optional SOURCE"),
		RunE: func(_ *cobra.Command, args []string) error {
			src := ""
			if len(args) == 1 {
				src = args[0]
			}
			return app.migrate(from, src, dry, force, jsonOut)
		},
	}
	fl := c.Flags()
	fl.StringVar(&from, "from", "", "the source: hermes (the Python Hermes Agent) or openclaw (default: told from SOURCE's layout)")
	fl.BoolVar(&dry, "dry-run", false, "print what would be brought over; write nothing")
	fl.BoolVar(&force, "force", false, "replace our content where it differs (after backing it up)")
	fl.BoolVar(&jsonOut, "json", false, "print the report as JSON")
	return c
}

func (a *App) migrate(from, src string, dry, force, jsonOut bool) error {
	switch from {
	case "", migrate.FromHermes, migrate.FromOpenClaw:
	default:
		return usageError{fmt.Errorf("--from %q: want hermes or openclaw", from)}
	}
	h, err := a.Home()
	if err != nil {
		return err
	}
	userHome := a.Getenv("HOME")
	if userHome == "" {
		if userHome, err = os.UserHomeDir(); err != nil {
			return fmt.Errorf("cannot find your home directory (%v): give SOURCE", err)
		}
	}
	src, err = migrate.ResolveSource(from, src, userHome, h)
	if err != nil {
		return err
	}
	ctx, stop := a.commandContext()
	defer stop()
	rep, err := migrate.Run(ctx, migrate.Options{From: from, Source: src, Home: h, DryRun: dry, Force: force,
		Pairing: pairing.Open(h.Path(home.PairingDir))})
	if err != nil {
		return err
	}
	if jsonOut {
		if err := writeJSON(a, rep); err != nil {
			return err
		}
	} else {
		rep.WriteText(a.Stdout)
	}
	if rep.Counts.Failed > 0 {
		return fmt.Errorf("%d item(s) failed: see the report", rep.Counts.Failed)
	}
	return nil
}
