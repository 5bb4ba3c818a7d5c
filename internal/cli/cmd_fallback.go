package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
)

func newFallbackCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "fallback",
		Short: "List and manage the fallback providers (the default is list)",
		Long: `Fallback providers answer when the primary fails (rate limits, outages, bad
keys, timeouts): the same turn continues on the next entry, and the next turn
starts on the primary again. Always configure at least one.`,
		Args: exactArgs(0, "no arguments, or a subcommand"),
		RunE: func(*cobra.Command, []string) error { return app.listFallbacks() },
	}
	list := &cobra.Command{Use: "list", Aliases: []string{"ls"}, Short: "List the fallback chain", Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error { return app.listFallbacks() }}
	c.AddCommand(list, newFallbackAddCmd(app), newFallbackRemoveCmd(app), newFallbackClearCmd(app), newFallbackAutoCmd(app))
	return c
}

func (a *App) listFallbacks() error {
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	if len(cfg.FallbackProviders) == 0 {
		fmt.Fprintln(a.Stdout, "no fallback providers: one outage or rate limit stops the agent.\nadd one: hermes fallback add PROVIDER MODEL")
		return nil
	}
	for i, f := range cfg.FallbackProviders {
		extra := ""
		if f.BaseURL != "" {
			extra = " " + f.BaseURL
		}
		fmt.Fprintf(a.Stdout, "%d. %s/%s%s\n", i+1, f.Provider, f.Model, extra)
	}
	if !cfg.Model.AutoFallback {
		fmt.Fprintln(a.Stdout, "auto fallback is off: these are not used (hermes fallback auto on)")
	}
	return nil
}

func newFallbackAddCmd(app *App) *cobra.Command {
	var baseURL, keyEnv, apiMode string
	c := &cobra.Command{
		Use:   "add PROVIDER MODEL",
		Short: "Append a provider and model to the chain",
		Args:  exactArgs(2, "PROVIDER and MODEL"),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			provider, model := args[0], args[1]
			if err := checkProvider(cfg.Config, provider); err != nil {
				return err
			}
			m := cfg.Model
			if provider == m.Provider && model == m.Default && baseURL == m.BaseURL {
				return fmt.Errorf("%s/%s is the primary model; a fallback must be something else", provider, model)
			}
			for i, f := range cfg.FallbackProviders {
				if f.Provider == provider && f.Model == model && f.BaseURL == baseURL {
					return fmt.Errorf("%s/%s is already fallback %d", provider, model, i+1)
				}
			}
			entry := []string{"provider: " + yamlString(provider), "model: " + yamlString(model)}
			for _, kv := range [][2]string{{"base_url", baseURL}, {"key_env", keyEnv}, {"api_mode", apiMode}} {
				if kv[1] != "" {
					entry = append(entry, kv[0]+": "+yamlString(kv[1]))
				}
			}
			if err := config.Append(app.home.Path(home.ConfigFile), "fallback_providers", "{"+strings.Join(entry, ", ")+"}"); err != nil {
				return err
			}
			fmt.Fprintf(app.Stderr, "added fallback %d: %s/%s\n", len(cfg.FallbackProviders)+1, provider, model)
			return nil
		},
	}
	c.Flags().StringVar(&baseURL, "base-url", "", "endpoint `URL` (custom providers)")
	c.Flags().StringVar(&keyEnv, "key-env", "", "`VAR` in .env holding its key")
	c.Flags().StringVar(&apiMode, "api-mode", "", "chat_completions or anthropic_messages")
	return c
}

// yamlString quotes s for a flow mapping, only where YAML needs it.
func yamlString(s string) string { return config.QuoteScalar(s) }

func newFallbackRemoveCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:     "remove N|PROVIDER/MODEL",
		Aliases: []string{"rm"},
		Short:   "Remove an entry (by its number in the list, or by provider/model)",
		Args:    exactArgs(1, "one entry"),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			idx := -1
			if n, err := strconv.Atoi(args[0]); err == nil {
				idx = n - 1
			} else {
				for i, f := range cfg.FallbackProviders {
					if f.Provider+"/"+f.Model == args[0] {
						idx = i
						break
					}
				}
			}
			if idx < 0 || idx >= len(cfg.FallbackProviders) {
				return fmt.Errorf("no fallback %q (hermes fallback list shows them)", args[0])
			}
			f := cfg.FallbackProviders[idx]
			if err := config.RemoveAt(app.home.Path(home.ConfigFile), "fallback_providers", idx); err != nil {
				return err
			}
			fmt.Fprintf(app.Stderr, "removed fallback %d: %s/%s\n", idx+1, f.Provider, f.Model)
			return nil
		},
	}
}

func newFallbackClearCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use: "clear", Short: "Remove every fallback", Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			if _, err := app.Config(); err != nil {
				return err
			}
			if err := config.Set(app.home.Path(home.ConfigFile), "fallback_providers", "[]"); err != nil {
				return err
			}
			fmt.Fprintln(app.Stderr, "no fallback providers now: one outage or rate limit stops the agent")
			return nil
		},
	}
}

func newFallbackAutoCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "auto on|off",
		Short: "Turn automatic fallback on or off (model.auto_fallback)",
		Args:  exactArgs(1, "on or off"),
		RunE: func(_ *cobra.Command, args []string) error {
			v := map[string]string{"on": "true", "off": "false"}[args[0]]
			if v == "" {
				return usageError{fmt.Errorf("want on or off, got %q", args[0])}
			}
			if _, err := app.Config(); err != nil {
				return err
			}
			if err := config.Set(app.home.Path(home.ConfigFile), "model.auto_fallback", v); err != nil {
				return err
			}
			fmt.Fprintf(app.Stderr, "automatic fallback %s\n", args[0])
			return nil
		},
	}
}
