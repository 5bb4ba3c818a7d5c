package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/store"
)

func newSessionsCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "sessions",
		Short: "List, show, search, export and prune stored sessions",
		Long: `Every conversation is kept in state.db in the profile's home, with its
messages (secrets redacted before they are written) and a full-text index.
A session is named by its id, a unique prefix of it, or "latest".`,
	}
	c.AddCommand(newSessionsListCmd(app), newSessionsShowCmd(app), newSessionsExportCmd(app),
		newSessionsSearchCmd(app), newSessionsDeleteCmd(app), newSessionsPruneCmd(app), newSessionsStatsCmd(app))
	return c
}

// openStore opens the active profile's state.db with the process-wide
// redactor, frozen from config first.
func openStore(app *App) (*store.Store, error) {
	if _, err := app.Config(); err != nil {
		return nil, err
	}
	h, err := app.Home()
	if err != nil {
		return nil, err
	}
	return store.Open(h.Path(home.StateDB), redact.Default())
}

// withStore runs fn with the store open and closes it afterwards.
func withStore(app *App, fn func(context.Context, *store.Store) error) error {
	s, err := openStore(app)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx, stop := app.commandContext()
	defer stop()
	return fn(ctx, s)
}

func newSessionsListCmd(app *App) *cobra.Command {
	var asJSON bool
	var o store.ListOptions
	c := &cobra.Command{
		Use:   "list [--limit N] [--source S] [--json]",
		Short: "List sessions, most recent first",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			return withStore(app, func(ctx context.Context, s *store.Store) error {
				list, err := s.List(ctx, o)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(app, nonNil(list))
				}
				printSessions(app.Stdout, list)
				return nil
			})
		},
	}
	c.Flags().IntVarP(&o.Limit, "limit", "n", 20, "show at most `N` sessions (0: all)")
	c.Flags().StringVar(&o.Source, "source", "", "only sessions from `SOURCE` (cli, cron, telegram, ...)")
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON list")
	return c
}

func printSessions(w io.Writer, list []store.Session) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no sessions")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSOURCE\tSTARTED\tMESSAGES\tTITLE")
	for _, s := range list {
		title := s.Title
		if !s.Ended() {
			title = strings.TrimSpace("(open) " + title)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", s.ID, s.Source, s.StartedAt.Local().Format("2006-01-02 15:04"), s.MessageCount, oneLine(title, 60))
	}
	tw.Flush()
}

// resolveSession finds the session an argument names (an id, a unique
// prefix, or latest).
func resolveSession(ctx context.Context, s *store.Store, arg string) (store.Session, error) {
	id, err := s.ResolveID(ctx, arg)
	if err != nil {
		return store.Session{}, err
	}
	return s.Session(ctx, id)
}

func newSessionsShowCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID|latest",
		Short: "Print a session's details and its messages",
		Args:  exactArgs(1, "one session id, prefix, or latest"),
		RunE: func(_ *cobra.Command, args []string) error {
			return withStore(app, func(ctx context.Context, s *store.Store) error {
				sess, err := resolveSession(ctx, s, args[0])
				if err != nil {
					return err
				}
				id := sess.ID
				recs, err := s.Records(ctx, id)
				if err != nil {
					return err
				}
				printSession(app.Stdout, sess, recs)
				return nil
			})
		},
	}
}

func printSession(w io.Writer, s store.Session, recs []store.Record) {
	fmt.Fprintf(w, "session  %s\nsource   %s", s.ID, s.Source)
	if s.Key != "" {
		fmt.Fprintf(w, " (%s)", s.Key)
	}
	fmt.Fprintf(w, "\ntitle    %s\n", s.Title)
	if s.Model != "" {
		fmt.Fprintf(w, "model    %s (%s)\n", s.Model, s.Provider)
	}
	if s.ParentID != "" {
		fmt.Fprintf(w, "parent   %s\n", s.ParentID)
	}
	ended := "open"
	if s.Ended() {
		ended = s.EndedAt.Local().Format(time.DateTime)
	}
	fmt.Fprintf(w, "started  %s, ended %s\n", s.StartedAt.Local().Format(time.DateTime), ended)
	fmt.Fprintf(w, "usage    %d tokens in, %d out, $%.4f, %d messages\n", s.InputTokens, s.OutputTokens, s.CostUSD, s.MessageCount)
	for _, r := range recs {
		label := string(r.Role)
		if r.ToolCallID != "" {
			label += " [" + r.ToolCallID + "]"
		}
		if r.IsError {
			label += " (error)"
		}
		fmt.Fprintf(w, "\n#%d %s %s\n", r.Seq, label, r.CreatedAt.Local().Format(time.TimeOnly))
		if r.Content != "" {
			fmt.Fprintln(w, r.Content)
		}
		for _, c := range r.ToolCalls {
			fmt.Fprintf(w, "→ %s [%s] %s\n", c.Name, c.ID, c.Arguments)
		}
	}
}

func newSessionsExportCmd(app *App) *cobra.Command {
	var format, out string
	c := &cobra.Command{
		Use:   "export ID|latest [--format json|markdown] [-o FILE]",
		Short: "Write a session with every message as JSON or Markdown",
		Args:  exactArgs(1, "one session id, prefix, or latest"),
		RunE: func(_ *cobra.Command, args []string) error {
			if format != store.FormatJSON && format != store.FormatMarkdown {
				return usageError{fmt.Errorf("--format wants json or markdown, got %q", format)}
			}
			return withStore(app, func(ctx context.Context, s *store.Store) error {
				id, err := s.ResolveID(ctx, args[0])
				if err != nil {
					return err
				}
				if out == "" || out == "-" {
					return s.Export(ctx, id, app.Stdout, format)
				}
				err = fileutil.WriteFileFrom(out, 0o600, func(w io.Writer) error { return s.Export(ctx, id, w, format) })
				if err != nil {
					return err
				}
				fmt.Fprintf(app.Stderr, "exported session %s to %s\n", id, out)
				return nil
			})
		},
	}
	c.Flags().StringVar(&format, "format", store.FormatJSON, "json or markdown")
	c.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` (atomically) instead of stdout")
	return c
}

func newSessionsSearchCmd(app *App) *cobra.Command {
	var asJSON bool
	var o store.SearchOptions
	c := &cobra.Command{
		Use:   "search [--json] [--limit N] QUERY...",
		Short: "Find messages by their words, best match first",
		Long: `Search every stored message. All words must appear (stemmed: "running"
finds "run"); "quoted phrases" must appear as written. Operators and
punctuation are plain text.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("give the words to search for, e.g. hermes sessions search docker volume")}
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			return withStore(app, func(ctx context.Context, s *store.Store) error {
				hits, err := s.Search(ctx, strings.Join(args, " "), o)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(app, nonNil(hits))
				}
				printHits(app.Stdout, hits)
				return nil
			})
		},
	}
	c.Flags().IntVarP(&o.Limit, "limit", "n", store.DefaultSearchLimit, "show at most `N` messages")
	c.Flags().StringVar(&o.SessionID, "session", "", "only in the session with this exact `ID`")
	c.Flags().StringVar(&o.Role, "role", "", "only messages from `ROLE` (user, assistant, tool)")
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON list")
	return c
}

func printHits(w io.Writer, hits []store.Hit) {
	if len(hits) == 0 {
		fmt.Fprintln(w, "no matches")
		return
	}
	for _, h := range hits {
		fmt.Fprintf(w, "%s #%d %s %s\n  %s\n", h.SessionID, h.Seq, h.Role, h.CreatedAt.Local().Format("2006-01-02 15:04"), oneLine(h.Snippet, 200))
	}
}

func newSessionsDeleteCmd(app *App) *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "delete ID [--yes]",
		Short: "Delete a session and its messages",
		Args:  exactArgs(1, "one session id or prefix"),
		RunE: func(_ *cobra.Command, args []string) error {
			return withStore(app, func(ctx context.Context, s *store.Store) error {
				sess, err := resolveSession(ctx, s, args[0])
				if err != nil {
					return err
				}
				id := sess.ID
				if !yes {
					q := fmt.Sprintf("Delete session %s (%q, %d messages)?", id, sess.Title, sess.MessageCount)
					if !app.interactive() {
						return usageError{fmt.Errorf("deleting session %s cannot be undone; pass --yes to confirm", id)}
					}
					if !app.confirm(q) {
						return exitError{1}
					}
				}
				if err := s.Delete(ctx, id); err != nil {
					return err
				}
				fmt.Fprintf(app.Stdout, "deleted session %s\n", id)
				return nil
			})
		},
	}
	c.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return c
}

func newSessionsPruneCmd(app *App) *cobra.Command {
	var older string
	c := &cobra.Command{
		Use:   "prune [AGE | --older-than AGE]",
		Short: "Delete ended sessions older than an age (30d, 12h)",
		Long: `Delete sessions that ended more than AGE ago, with their messages. Open
sessions are kept. AGE is days (30d) or a Go duration (12h, 90m), given as
the argument or with --older-than; without it, sessions.prune_after_days
from config.yaml is used.

Examples:
  hermes sessions prune 30d
  hermes sessions prune --older-than 12h`,
		Args: rangeArgs(0, 1, "at most one AGE (30d, 12h)"),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				if c.Flags().Changed("older-than") && older != args[0] {
					return usageError{fmt.Errorf("two ages given (%s and --older-than %s); give one", args[0], older)}
				}
				older = args[0]
			}
			age, err := pruneAge(app, older)
			if err != nil {
				return err
			}
			return withStore(app, func(ctx context.Context, s *store.Store) error {
				n, err := s.Prune(ctx, age)
				if err != nil {
					return err
				}
				fmt.Fprintf(app.Stdout, "pruned %d session%s that ended before %s\n", n, plural(n), time.Now().Add(-age).Local().Format("2006-01-02 15:04"))
				return nil
			})
		},
	}
	c.Flags().StringVar(&older, "older-than", "", "delete sessions that ended more than `AGE` ago (30d, 12h)")
	return c
}

// pruneAge reads --older-than, or sessions.prune_after_days when it is
// not given.
func pruneAge(app *App, flag string) (time.Duration, error) {
	if flag != "" {
		d, err := parseAge(flag)
		if err != nil {
			return 0, usageError{fmt.Errorf("age %q: %w", flag, err)}
		}
		return d, nil
	}
	cfg, err := app.Config()
	if err != nil {
		return 0, err
	}
	if days := cfg.Config.Sessions.PruneAfterDays; days > 0 {
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return 0, usageError{errors.New("say how old: --older-than 30d (or set sessions.prune_after_days)")}
}

// parseAge accepts whole days ("30d") or a Go duration ("12h").
func parseAge(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 36500 {
			return 0, errors.New("want whole days from 0 to 36500, like 30d")
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, errors.New("want days (30d) or a duration (12h, 90m)")
		}
	}
	if d < 0 {
		return 0, errors.New("the age is negative")
	}
	return d, nil
}

func newSessionsStatsCmd(app *App) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "stats [--json]",
		Short: "Count sessions, messages, tokens and cost; size the database",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			return withStore(app, func(ctx context.Context, s *store.Store) error {
				st, err := s.Stats(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(app, st)
				}
				printStats(app.Stdout, st, s.Path())
				return nil
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return c
}

func printStats(w io.Writer, st store.Stats, path string) {
	fmt.Fprintf(w, "sessions  %d (%d open)\nmessages  %d\ntokens    %d in, %d out\ncost      $%.4f\ndatabase  %s, %.1f MiB\n",
		st.Sessions, st.Open, st.Messages, st.InputTokens, st.OutputTokens, st.CostUSD, displayPath(path), float64(st.DBBytes)/(1<<20))
	sources := make([]string, 0, len(st.BySource))
	for src := range st.BySource {
		sources = append(sources, src)
	}
	sort.Strings(sources)
	for _, src := range sources {
		fmt.Fprintf(w, "  %-10s %d session%s\n", src, st.BySource[src], plural(st.BySource[src]))
	}
}

// oneLine folds text onto one line and cuts it to at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// nonNil makes an empty result print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
