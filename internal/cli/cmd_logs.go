package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/logging"
)

// logComponents are the components hermes logs under; --component
// accepts these (and raw, for lines that are not records).
var logComponents = []string{"gateway", "cron", "chat", "agent", "mcp", "sandbox", "update", logging.RawComponent}

type logsFlags struct {
	follow     bool
	components []string
	since      string
	level      string
	jsonOut    bool
}

func newLogsCmd(app *App) *cobra.Command {
	var f logsFlags
	c := &cobra.Command{
		Use:   "logs [-f] [--component X] [--since D] [--level L] [--json]",
		Short: "Show the log records of the gateway, the scheduler and chats, oldest first",
		Long: `Prints the records of logs/hermes.log and its rotated files (hermes.log.1 ...)
merged with logs/gateway.log (the background gateway's own output), oldest
first. Lines that are not records (a panic) show with component raw.

  --component gateway,cron   only these components (repeatable)
  --level warn               this level and above: debug, info, warn, error
  --since 2h                 a duration back from now (10m, 2h, 3d, 1w) or an RFC 3339 time
  -f                         keep printing new records until Ctrl-C`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error { return app.showLogs(f) },
	}
	fl := c.Flags()
	fl.BoolVarP(&f.follow, "follow", "f", false, "keep printing new records until Ctrl-C")
	fl.StringSliceVar(&f.components, "component", nil, "only records of `NAME` (repeatable, or a comma list): "+strings.Join(logComponents, ", "))
	fl.StringVar(&f.since, "since", "", "only records newer than `D`: a duration (10m, 2h, 3d) or an RFC 3339 time")
	fl.StringVar(&f.level, "level", "", "only records at `LEVEL` and above: debug, info, warn, error")
	fl.BoolVar(&f.jsonOut, "json", false, "print the records as the JSON lines they are stored as")
	return c
}

// logsFilter turns the flags into a filter, or a usage error.
func logsFilter(f logsFlags, now time.Time) (logging.Filter, error) {
	var flt logging.Filter
	for _, c := range f.components {
		c = strings.TrimSpace(c)
		if !contains(logComponents, c) {
			return flt, usageError{fmt.Errorf("--component %q: want one of %s", c, strings.Join(logComponents, ", "))}
		}
		if flt.Components == nil {
			flt.Components = map[string]bool{}
		}
		flt.Components[c] = true
	}
	if f.level != "" {
		l, err := logging.ParseLevel(f.level)
		if err != nil {
			return flt, usageError{fmt.Errorf("--%w", err)}
		}
		flt.MinLevel, flt.ByLevel = l, true
	}
	if f.since != "" {
		t, err := logging.ParseSince(f.since, now)
		if err != nil {
			return flt, usageError{err}
		}
		flt.Since = t
	}
	return flt, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (a *App) showLogs(f logsFlags) error {
	flt, err := logsFilter(f, time.Now())
	if err != nil {
		return err
	}
	h, err := a.Home()
	if err != nil {
		return err
	}
	dir := h.Path(home.LogsDir)
	entries, err := logging.Read(dir, flt)
	if err != nil {
		return err
	}
	print := func(e logging.Entry) {
		if f.jsonOut {
			fmt.Fprintln(a.Stdout, e.Line)
			return
		}
		fmt.Fprintln(a.Stdout, e.Format())
	}
	for _, e := range entries {
		print(e)
	}
	if !f.follow {
		if len(entries) == 0 && !f.jsonOut {
			fmt.Fprintf(a.Stderr, "no log records in %s%s\n", displayPath(dir), filterNote(flt))
		}
		return nil
	}
	ctx, stop := a.commandContext()
	defer stop()
	return logging.Follow(ctx, dir, flt, 250*time.Millisecond, print)
}

// filterNote says that filters were applied, when they were.
func filterNote(f logging.Filter) string {
	if len(f.Components) == 0 && !f.ByLevel && f.Since.IsZero() {
		return " (the gateway, cron daemon and chat write them)"
	}
	return " matching the filters"
}
