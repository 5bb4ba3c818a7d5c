package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/llm/pool"
)

func newAuthCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "auth",
		Short: "Manage credential pools: several API keys per provider",
		Long: `A credential pool holds several keys for one provider in auth.json (0600).
When a key is rate limited or refused, the same request goes to the next key at
once; the key rests for a cooldown (a provider's reset time when it gives one).
The key named by the provider's key_env (e.g. OPENAI_API_KEY in .env) is part
of its pool too. Keys are always shown masked.`,
	}
	c.AddCommand(newAuthAddCmd(app), newAuthListCmd(app), newAuthRemoveCmd(app), newAuthResetCmd(app),
		newAuthPriorityCmd(app), newAuthStrategyCmd(app))
	return c
}

func newAuthAddCmd(app *App) *cobra.Command {
	var key, label string
	c := &cobra.Command{
		Use:   "add PROVIDER [--key KEY|-] [--label L]",
		Short: "Add a key to a provider's pool",
		Long: `Add a key to PROVIDER's pool (openrouter, openai, anthropic, ollama, a
providers entry, or custom for the primary custom endpoint). The key comes from
--key, from standard input with --key -, or from a prompt that does not echo.
A key on the command line may stay in your shell history; prefer the prompt.`,
		Args: exactArgs(1, "one PROVIDER"),
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			if err := checkProvider(cfg.Config, args[0]); err != nil {
				return err
			}
			secret, err := app.readKey(key, c.Flags().Changed("key"))
			if err != nil {
				return err
			}
			pools, err := app.pools()
			if err != nil {
				return err
			}
			e, err := pools.Add(args[0], secret, label)
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "added %s to %s (id %s)\n", pool.Mask(secret), args[0], e.ID)
			return nil
		},
	}
	c.Flags().StringVar(&key, "key", "", "the key, or - to read it from standard input")
	c.Flags().StringVar(&label, "label", "", "a name for the key")
	return c
}

// readKey gets the secret from the flag, stdin, or a silent prompt.
func (a *App) readKey(flag string, given bool) (string, error) {
	switch {
	case given && flag != "-":
		return strings.TrimSpace(flag), nil
	case given:
		line, err := bufio.NewReader(a.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("read the key from standard input: %w", err)
		}
		return strings.TrimSpace(line), nil
	case a.interactive():
		fmt.Fprint(a.Stderr, "key (not shown): ")
		b, err := term.ReadPassword(int(a.Stdin.(*os.File).Fd()))
		fmt.Fprintln(a.Stderr)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", usageError{errors.New("give the key with --key KEY, or --key - to read it from standard input")}
}

func newAuthListCmd(app *App) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [PROVIDER]",
		Short: "List the pools with masked keys, status and cooldowns",
		Args:  rangeArgs(0, 1, "at most one PROVIDER"),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			pools, err := app.pools()
			if err != nil {
				return err
			}
			lookup, err := app.envLookup()
			if err != nil {
				return err
			}
			if chain, err := llm.Chain(cfg.Config); err == nil {
				if err := llm.SyncPools(chain, pools, lookup); err != nil {
					return err
				}
			}
			all, err := pools.Pools()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				all = map[string]pool.Pool{args[0]: all[args[0]]}
			}
			if asJSON {
				return writeJSON(app, maskPools(all))
			}
			printPools(app, all)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON (keys masked)")
	return c
}

// maskPools replaces every key with its masked form for output.
func maskPools(all map[string]pool.Pool) map[string]pool.Pool {
	out := make(map[string]pool.Pool, len(all))
	for name, p := range all {
		entries := make([]pool.Entry, len(p.Entries))
		for i, e := range p.Entries {
			if e.Key != "" {
				e.Key = pool.Mask(e.Key)
			}
			entries[i] = e
		}
		p.Entries = entries
		out[name] = p
	}
	return out
}

func printPools(app *App, all map[string]pool.Pool) {
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		fmt.Fprintln(app.Stdout, "no keys: set your provider's key in .env, or hermes auth add PROVIDER")
		return
	}
	now := time.Now()
	for _, name := range names {
		p := all[name]
		strategy := p.Strategy
		if strategy == "" {
			strategy = pool.FillFirst
		}
		fmt.Fprintf(app.Stdout, "%s (%s)\n", name, strategy)
		if len(p.Entries) == 0 {
			fmt.Fprintln(app.Stdout, "  no keys")
			continue
		}
		tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  #\tLABEL\tKEY\tSOURCE\tSTATUS\tREQUESTS")
		for i, e := range p.Entries {
			key := e.Key
			if key == "" {
				key = "(" + strings.TrimPrefix(e.Source, "env:") + ")"
			} else {
				key = pool.Mask(key)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%d\n", i+1, orDash(e.Label), key, e.Source, entryStatus(e, now), e.RequestCount)
		}
		tw.Flush()
	}
}

func entryStatus(e pool.Entry, now time.Time) string {
	s := string(e.LastStatus)
	if s == "" {
		s = string(pool.StatusOK)
	}
	if e.LastStatus == pool.StatusDead {
		if e.LastError != nil {
			return "dead: " + e.LastError.Message
		}
		return s
	}
	if e.CooldownUntil.After(now) {
		s += fmt.Sprintf(", resting until %s (%s)", e.CooldownUntil.Local().Format("15:04"), e.CooldownUntil.Sub(now).Round(time.Second))
	}
	if e.LastError != nil && e.LastStatus != pool.StatusOK {
		s += ": " + strconv.Itoa(e.LastError.Code) + " " + e.LastError.Message
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newAuthRemoveCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use: "remove PROVIDER REF", Aliases: []string{"rm"},
		Short: "Remove a key (REF: its number in auth list, its label or id)",
		Args:  exactArgs(2, "PROVIDER and REF"),
		RunE: func(_ *cobra.Command, args []string) error {
			pools, err := app.pools()
			if err != nil {
				return err
			}
			e, err := pools.Remove(args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "removed %s from %s\n", maskedRef(e), args[0])
			return nil
		},
	}
}

func maskedRef(e pool.Entry) string {
	if e.Key != "" {
		return pool.Mask(e.Key)
	}
	return e.Source
}

func newAuthResetCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use: "reset PROVIDER [REF]", Short: "Clear the status and cooldown of one key, or of all",
		Args: rangeArgs(1, 2, "PROVIDER and an optional REF"),
		RunE: func(_ *cobra.Command, args []string) error {
			pools, err := app.pools()
			if err != nil {
				return err
			}
			ref := ""
			if len(args) == 2 {
				ref = args[1]
			}
			n, err := pools.Reset(args[0], ref)
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "reset %d key%s of %s\n", n, plural(n), args[0])
			return nil
		},
	}
}

func newAuthPriorityCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use: "priority PROVIDER REF N", Short: "Set a key's priority (lower is tried first with fill_first)",
		Args: exactArgs(3, "PROVIDER, REF and N"),
		RunE: func(_ *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[2])
			if err != nil {
				return usageError{fmt.Errorf("priority must be a whole number, got %q", args[2])}
			}
			pools, err := app.pools()
			if err != nil {
				return err
			}
			if err := pools.SetPriority(args[0], args[1], n); err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "priority of %s in %s is %d\n", args[1], args[0], n)
			return nil
		},
	}
}

func newAuthStrategyCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "strategy PROVIDER fill_first|round_robin|random|least_used",
		Short: "Choose how a pool picks its key",
		Args:  exactArgs(2, "PROVIDER and a strategy"),
		RunE: func(_ *cobra.Command, args []string) error {
			st, err := pool.ParseStrategy(args[1])
			if err != nil {
				return usageError{err}
			}
			pools, err := app.pools()
			if err != nil {
				return err
			}
			if err := pools.SetStrategy(args[0], st); err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "%s picks keys by %s\n", args[0], st)
			return nil
		},
	}
}
