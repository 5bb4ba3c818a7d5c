package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/ops/update"
	"github.com/hermes-go/hermes/internal/redact"
)

type updateFlags struct {
	check, yes, rollback, noBackup, jsonOut bool
	binary                                  string
}

func newUpdateCmd(app *App) *cobra.Command {
	var f updateFlags
	c := &cobra.Command{
		Use:   "update [--check] [--yes] [--rollback]",
		Short: "Update hermes: back up, build or download, test, swap, restart the gateway; roll back on failure",
		Long: `'hermes update' replaces this binary with the newest version:

  - from the git checkout it was built from (or update.source): git fetch,
    fast-forward (a dirty tree or diverged history is refused), go build;
  - else from the release directory update.url: download and verify the
    SHA-256 from SHA256SUMS.

It backs the home up first (hermes backup --keep 5), tests the new binary
(hermes version, hermes doctor --json: failures the current binary did not
have stop the update), keeps the current binary as <binary>.prev, and
restarts a running gateway on the new binary. When the new binary does not
start or the gateway does not come back healthy on the new version, it
restores <binary>.prev, restarts the gateway on it, and exits 1.

--check only reports. --rollback exchanges the binary and <binary>.prev.
See docs/update.md.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error { return app.update(f) },
	}
	c.Flags().BoolVar(&f.check, "check", false, "only report the current and available versions and what an update would do")
	c.Flags().BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	c.Flags().BoolVar(&f.rollback, "rollback", false, "restore the previous binary (<binary>.prev) and restart a running gateway on it")
	c.Flags().BoolVar(&f.noBackup, "no-backup", false, "skip the pre-update backup")
	c.Flags().BoolVar(&f.jsonOut, "json", false, "with --check: print the plan as JSON")
	c.Flags().StringVar(&f.binary, "binary", "", "the hermes binary to replace (default: this one)")
	return c
}

// updateOptions gathers the update's options from the flags, the home
// and config.yaml's update section.
func (a *App) updateOptions(f updateFlags, logf func(string, ...any)) (update.Options, error) {
	h, err := a.Home()
	if err != nil {
		return update.Options{}, err
	}
	loaded, err := a.Config()
	if err != nil {
		return update.Options{}, err
	}
	bin := f.binary
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return update.Options{}, fmt.Errorf("cannot find this binary (%v): name it with --binary", err)
		}
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return update.Options{}, err
	}
	if bin, err = filepath.EvalSymlinks(bin); err != nil {
		return update.Options{}, fmt.Errorf("--binary: %w", err)
	}
	u := loaded.Config.Update
	source := u.Source
	if source == "~" || strings.HasPrefix(source, "~/") {
		dir, err := os.UserHomeDir()
		if err != nil {
			return update.Options{}, fmt.Errorf("update.source %s: %w", source, err)
		}
		source = filepath.Join(dir, strings.TrimPrefix(source, "~"))
	}
	// Children (backup, doctor, the gateway) work on this same home.
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERMES_HOME=") && !strings.HasPrefix(kv, "HERMES_PROFILE=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HERMES_HOME="+h.Root)
	return update.Options{Binary: bin, Home: h.Dir, Method: u.Method, Source: source, URL: u.URL,
		Steps:    update.Binary{Env: env, Args: []string{"--profile", h.Profile}},
		NoBackup: f.noBackup, Log: logf}, nil
}

func (a *App) update(f updateFlags) error {
	if f.jsonOut && !f.check {
		return usageError{errors.New("--json goes with --check")}
	}
	if f.rollback && f.check {
		return usageError{errors.New("--rollback and --check do not go together")}
	}
	logf, closeLog := a.updateLog()
	defer closeLog()
	o, err := a.updateOptions(f, logf)
	if err != nil {
		return err
	}
	ctx, stop := a.commandContext()
	defer stop()
	if f.rollback {
		if !f.yes && !a.confirmUpdate(fmt.Sprintf("Restore %s over %s?", update.Prev(o.Binary), o.Binary)) {
			return exitError{1}
		}
		info, err := update.Rollback(ctx, o)
		if err != nil {
			return err
		}
		logf("rolled back to hermes %s", info.Version)
		return nil
	}
	plan, err := update.Check(ctx, o)
	if err != nil {
		return err
	}
	if f.jsonOut {
		return writeJSON(a, plan)
	}
	a.printPlan(plan)
	if plan.UpToDate || f.check {
		return nil
	}
	if !f.yes && !a.confirmUpdate(fmt.Sprintf("Update hermes %s to %s?", plan.Current.Version, plan.Available)) {
		return exitError{1}
	}
	res, err := update.Run(ctx, o, plan)
	var rb *update.RolledBack
	if errors.As(err, &rb) && rb.Rollback == nil {
		logf("rolled back: %s is hermes %s again; the update failed: %v", o.Binary, plan.Current.Version, rb.Cause)
		return exitError{1}
	}
	if err != nil {
		logf("FAILED: %v", err)
		return exitError{1}
	}
	logf("updated hermes %s -> %s", res.From.Version, res.To.Version)
	if res.GatewayPID != 0 {
		logf("the gateway runs the new version (pid %d)", res.GatewayPID)
	}
	logf("hermes update --rollback restores %s", res.From.Version)
	a.noteOtherGateways(logf)
	return nil
}

// noteOtherGateways names the other profiles whose gateway still runs
// the previous binary.
func (a *App) noteOtherGateways(logf func(string, ...any)) {
	h, err := a.Home()
	if err != nil {
		return
	}
	profiles, err := home.List(h.Root)
	if err != nil {
		return
	}
	for _, p := range profiles {
		if p.Dir != h.Dir && update.GatewayRunning(p.Dir) {
			logf("note: the gateway of profile %s still runs the previous binary: hermes -p %s gateway restart", p.Name, p.Name)
		}
	}
}

// confirmUpdate asks on a terminal; without one it refuses and says how
// to proceed.
func (a *App) confirmUpdate(question string) bool {
	if !a.interactive() {
		fmt.Fprintln(a.Stderr, "hermes: not a terminal: run again with --yes to proceed without confirmation")
		return false
	}
	if a.confirm(question) {
		return true
	}
	fmt.Fprintln(a.Stderr, "cancelled: nothing changed")
	return false
}

func (a *App) printPlan(p *update.Plan) {
	w := a.Stdout
	fmt.Fprintf(w, "installed: hermes %s (%s)\n", p.Current.Version, p.Binary)
	switch p.Method {
	case update.MethodGit:
		fmt.Fprintf(w, "source:    git checkout %s", p.Source)
		if p.Target.Upstream != "" {
			fmt.Fprintf(w, " (tracking %s)", p.Target.Upstream)
		}
		fmt.Fprintln(w)
		if p.Target.Ahead > 0 {
			fmt.Fprintf(w, "           %d local commit(s) not upstream: built as they are\n", p.Target.Ahead)
		}
	default:
		fmt.Fprintf(w, "source:    releases at %s\n", p.URL)
	}
	if p.Note != "" {
		fmt.Fprintln(w, "note:      "+p.Note)
	}
	fmt.Fprintf(w, "available: hermes %s\n", p.Available)
	if p.UpToDate {
		fmt.Fprintln(w, "hermes is up to date")
		return
	}
	fmt.Fprintln(w, "an update would:")
	for i, s := range p.Steps {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s)
	}
}

// updateLog prints each step on stdout and appends it, redacted, to
// <home>/logs/update.log.
func (a *App) updateLog() (func(string, ...any), func()) {
	var file *os.File
	if h, err := a.Home(); err == nil {
		file, _ = os.OpenFile(h.Path(home.LogsDir, "update.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	}
	logf := func(format string, args ...any) {
		line := redact.Default().String(fmt.Sprintf(format, args...))
		fmt.Fprintln(a.Stdout, "update: "+line)
		if file != nil {
			fmt.Fprintf(file, "%s %s\n", time.Now().UTC().Format(time.RFC3339), line)
		}
	}
	return logf, func() {
		if file != nil {
			file.Close()
		}
	}
}
