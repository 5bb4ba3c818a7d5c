// Package cli holds the hermes commands: one file per command group
// (cmd_<group>.go). A command parses its flags, calls the package that does
// the work, and prints; it has no logic of its own.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm/pool"
	"github.com/hermes-go/hermes/internal/logging"
	"github.com/hermes-go/hermes/internal/redact"
)

// App is what every command shares: the streams, the environment, and the
// home and config, each resolved once on first use.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string

	profileFlag string
	home        *home.Home
	cfg         *config.Loaded
	env         *config.Env
	poolStore   *pool.Store
	ownsProcess bool // Main, not a test: may set process-wide state (the slog default)
	// logs is the log file of a long-running command (openLogs); nil for
	// the others, whose records go to stderr only.
	logs    *logging.Writer
	fileLog *slog.Logger // records to the log file only
	bothLog *slog.Logger // records to the file, warnings also to stderr
	// ctx is the context commands start from; nil is context.Background()
	// (tests set a cancelled one).
	ctx context.Context
}

// commandContext is the context of a command that does not handle Ctrl-C
// itself (sessions, model test): in the real process the first SIGINT
// cancels it, so a slow query or request stops. stop releases the signal.
func (a *App) commandContext() (ctx context.Context, stop func()) {
	ctx = a.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if !a.ownsProcess {
		return ctx, func() {}
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// Home resolves the active profile's home and creates what is missing.
func (a *App) Home() (*home.Home, error) {
	if a.home != nil {
		return a.home, nil
	}
	h, err := home.Resolve(home.Options{Profile: a.profileFlag, Getenv: a.Getenv})
	if err != nil {
		return nil, err
	}
	if err := h.Ensure(); err != nil {
		return nil, err
	}
	if w := h.ModeWarning(); w != "" {
		fmt.Fprintln(a.Stderr, "warning: "+w)
	}
	a.home = h
	return h, nil
}

// Root returns the base home without choosing a profile, for the profile
// commands, which must work even when the sticky profile is gone.
func (a *App) Root() (string, error) {
	return home.RootDir(home.Options{Getenv: a.Getenv})
}

// Config loads config.yaml of the active profile. An invalid file is an
// error listing every problem; unknown keys are printed once as warnings.
func (a *App) Config() (*config.Loaded, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(h.Path(home.ConfigFile))
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(a.Stderr, "warning: "+w.String())
	}
	// .env is part of the configuration: a broken one stops here too, and
	// a loose mode is warned about once.
	if _, err := a.Env(); err != nil {
		return nil, err
	}
	a.freezeRedaction(cfg.Config)
	a.cfg = cfg
	return cfg, nil
}

// freezeRedaction sets the process-wide redactor from config, once: after
// this nothing in the process can switch it off or change it.
func (a *App) freezeRedaction(c *config.Config) {
	err := redact.Init(redact.Options{Disabled: !c.Security.RedactSecrets, Extra: c.Security.RedactPatterns})
	switch {
	case errors.Is(err, redact.ErrFrozen):
	case err != nil:
		fmt.Fprintln(a.Stderr, "warning: security.redact_patterns: "+err.Error()+"; redacting with the built-in patterns")
		_ = redact.Init(redact.Options{Disabled: !c.Security.RedactSecrets})
	case !c.Security.RedactSecrets:
		fmt.Fprintln(a.Stderr, "warning: secret redaction is off (security.redact_secrets: false): keys may reach logs, the session store and chats")
	}
	if !a.ownsProcess {
		return
	}
	// Warnings logged anywhere in the process go to stderr through the
	// frozen redactor, like every other way out of the process. Only the
	// real process sets this: tests run many Apps at once in one process.
	h := a.stderrHandler()
	if h == nil {
		h = slog.DiscardHandler
	}
	slog.SetDefault(slog.New(h))
}

// stderrHandler shows warnings on stderr, redacted; nil when
// HERMES_LOG_STDERR=off (a background gateway, whose stderr is a file).
func (a *App) stderrHandler() slog.Handler {
	if !a.stderrLogs() {
		return nil
	}
	text := slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn, ReplaceAttr: dropTime})
	return redact.NewHandler(text, redact.Default())
}

// stderrLogs reports whether log lines are shown on stderr.
func (a *App) stderrLogs() bool { return a.Getenv("HERMES_LOG_STDERR") != "off" }

// openLogs sends this process's records to <home>/logs/hermes.log (at
// logging.level, rotated at logging.max_size_mb, keeping logging.keep),
// tagged component=component; warnings still show on stderr. For the
// long-running commands: gateway run, cron daemon, chat. A log file that
// cannot be opened is a warning, not a failure.
func (a *App) openLogs(h *home.Home, c *config.Config, component string) {
	if a.logs != nil {
		return
	}
	level, err := logging.ParseLevel(c.Logging.Level)
	if err != nil {
		level = slog.LevelInfo
	}
	w, err := logging.OpenWriter(h.Path(home.LogsDir, logging.MainFile),
		logging.Options{MaxSize: int64(c.Logging.MaxSizeMB) << 20, Keep: c.Logging.Keep})
	if err != nil {
		fmt.Fprintln(a.Stderr, "warning: "+err.Error()+"; logging to stderr only")
		return
	}
	file := logging.NewFileHandler(w, level, redact.Default())
	a.logs = w
	a.fileLog = slog.New(file)
	a.bothLog = slog.New(logging.Fanout(file, a.stderrHandler()))
	if a.ownsProcess {
		logging.SetDefault(a.bothLog, component)
	}
}

// fileLogger returns the log-file-only logger of a component: for lines a
// command also prints to stderr itself. Without openLogs it discards.
func (a *App) fileLogger(component string) *slog.Logger {
	if a.fileLog == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.fileLog.With(logging.ComponentKey, component)
}

// logWriter is an io.Writer for a package that logs lines (the cron
// scheduler's Log): each line goes to stderr as before and, as a record
// of component at level, to the log file.
func (a *App) logWriter(component string, level slog.Level, prefix string) io.Writer {
	lw := &logging.LineWriter{L: a.fileLogger(component), Level: level, Prefix: prefix}
	if !a.stderrLogs() {
		return lw
	}
	return io.MultiWriter(a.Stderr, lw)
}

// closeLogs closes the log file at the end of the command.
func (a *App) closeLogs() {
	if a.logs != nil {
		a.logs.Close()
	}
}

// dropTime leaves the timestamp out of log lines printed to a terminal.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// Env loads the active profile's .env, printing its warnings once.
func (a *App) Env() (*config.Env, error) {
	if a.env != nil {
		return a.env, nil
	}
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	env, warns, err := config.LoadEnv(h.Path(home.EnvFile))
	if err != nil {
		return nil, err
	}
	for _, w := range warns {
		fmt.Fprintln(a.Stderr, "warning: "+w.String())
	}
	a.env = env
	return env, nil
}

// interactive reports whether stdin is a terminal someone can answer.
func (a *App) interactive() bool {
	f, ok := a.Stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// exitError ends a command with a code and no further message: the
// command has already printed what went wrong.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a command line that cannot be run as written (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode maps an error from a command to the process exit code.
func exitCode(err error) int {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// displayPath shortens a path under the user's home to ~/...
func displayPath(p string) string {
	u, err := os.UserHomeDir()
	if err != nil || u == "" || u == "/" {
		return p
	}
	rel, err := filepath.Rel(u, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return p
	}
	return filepath.Join("~", rel)
}
