package cli

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/ops/doctor"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/tools"
)

func newDoctorCmd(app *App) *cobra.Command {
	var jsonOut, fix, live, lint bool
	c := &cobra.Command{
		Use:   "doctor [--json] [--fix] [--live] [--lint]",
		Short: "Check the home, its config, jobs, gateway and sandbox, and say what to fix",
		Long: `Check everything a long-running hermes depends on, in parallel, each check
under its own deadline: the home's layout and permissions; config.yaml and
.env (file:line:col of every problem, unknown keys with "did you mean", a key
that is only in a comment of .env is not configured); a fallback provider;
approvals and redaction; memory and skills (size and injection scan); the last
backup; state.db (PRAGMA quick_check, read-only); cron jobs that fail, that
failed without the failure being delivered, or that deliver nowhere; the
scheduler's heartbeat; the gateway and each platform's connection; the terminal
backend; MCP servers; every profile. Offline it writes nothing and starts
nothing. Exit 1 when any check fails (✗).

  --live   also send one short request to each provider (10 s; 401/403 is
           "invalid key") and start each MCP server to list its tools
  --fix    make the safe repairs first (permissions, missing folders, pid and
           lock files of dead processes), say what was done, then check
  --lint   exit 1 on warnings (⚠) too, for CI
  --json   print {"ok", "checks": [{"name","status","message","fix"}],
           "failures", "warnings"}

Each check is described in docs/doctor.md.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			return app.doctor(jsonOut, fix, live, lint)
		},
	}
	c.Flags().BoolVar(&jsonOut, "json", false, "print the report as JSON")
	c.Flags().BoolVar(&fix, "fix", false, "make the safe repairs first")
	c.Flags().BoolVar(&live, "live", false, "send one request to each provider and start MCP servers")
	c.Flags().BoolVar(&lint, "lint", false, "exit 1 on warnings too")
	return c
}

func (a *App) doctor(jsonOut, fix, live, lint bool) error {
	// The home is resolved without creating anything: the doctor reports
	// what is missing, and only --fix makes it.
	h, err := home.Resolve(home.Options{Profile: a.profileFlag, Getenv: a.Getenv})
	if err != nil {
		return err
	}
	if fix {
		done, err := doctor.Fix(h)
		out := a.Stdout
		if jsonOut {
			out = a.Stderr
		}
		for _, d := range done {
			fmt.Fprintln(out, "fixed: "+d)
		}
		if len(done) == 0 {
			fmt.Fprintln(out, "fixed: nothing needed a safe repair")
		}
		if err != nil {
			return err
		}
		if !jsonOut {
			fmt.Fprintln(out)
		}
	}
	if a.ownsProcess {
		// The packages the checks call log what they find (a skill the
		// scan blocks) as warnings; the rows already say it.
		slog.SetDefault(slog.New(redact.NewHandler(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: slog.LevelError, ReplaceAttr: dropTime}), redact.Default())))
	}
	ctx, stop := a.commandContext()
	defer stop()
	known := append(tools.Default.Toolsets(), tools.Provided...)
	opts := doctor.Options{Live: live, Getenv: a.Getenv, Gateway: doctorGateway, Toolsets: known}
	rep := doctor.Run(ctx, doctor.Checks(h, opts))
	if jsonOut {
		if err := writeJSON(a, rep); err != nil {
			return err
		}
	} else {
		doctor.Render(a.Stdout, rep)
	}
	if rep.Failures > 0 || (lint && rep.Warnings > 0) {
		return exitError{1}
	}
	return nil
}

// doctorGateway is `gateway status --json` for the doctor.
func doctorGateway(h *home.Home) (doctor.GatewayState, error) {
	st, err := readGatewayStatus(h)
	if err != nil {
		return doctor.GatewayState{}, err
	}
	out := doctor.GatewayState{Running: st.Running, PID: st.PID, StalePID: st.StalePID, Platforms: map[string]doctor.Adapter{}}
	for n, p := range st.Platforms {
		out.Platforms[n] = doctor.Adapter{Connected: p.Connected, Error: p.Error}
	}
	return out, nil
}
