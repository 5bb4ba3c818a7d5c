package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
)

func newModelCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "model",
		Short: "Show the primary model and its fallbacks, or set the primary",
		Args:  exactArgs(0, "no arguments (use 'hermes model set')"),
		RunE:  func(*cobra.Command, []string) error { return app.showModel() },
	}
	c.AddCommand(newModelSetCmd(app), newModelTestCmd(app))
	return c
}

func (a *App) showModel() error {
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	lookup, err := a.envLookup()
	if err != nil {
		return err
	}
	pools, err := a.pools()
	if err != nil {
		return err
	}
	all := *cfg.Config
	all.Model.AutoFallback = true // list the fallbacks even when switching is off
	chain, err := llm.Chain(&all)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	p := chain[0]
	fmt.Fprintf(tw, "primary\t%s\t%s (%s)\n", p.Label(), p.BaseURL, p.APIMode)
	fmt.Fprintf(tw, "key\t%s\t\n", keyStatus(p, lookup, pools))
	for i, f := range chain[1:] {
		fmt.Fprintf(tw, "fallback %d\t%s\t%s; key: %s\n", i+1, f.Label(), f.BaseURL, keyStatus(f, lookup, pools))
	}
	switch {
	case len(chain) == 1:
		fmt.Fprintln(tw, "fallback\tnone\tone outage or rate limit stops the agent; add one: hermes fallback add PROVIDER MODEL")
	case !cfg.Model.AutoFallback:
		fmt.Fprintln(tw, "auto\toff\tfallbacks are not used (hermes fallback auto on)")
	}
	return tw.Flush()
}

func newModelSetCmd(app *App) *cobra.Command {
	var baseURL, keyEnv, apiMode string
	c := &cobra.Command{
		Use:   "set [PROVIDER] MODEL",
		Short: "Set the primary model (and provider)",
		Long: `Set the primary model. With one argument only the model changes; with two
the provider changes too, and base_url, key_env and api_mode are reset unless
given, so traffic never goes to the old provider's URL.

Examples:
  hermes model set gpt-4.1
  hermes model set anthropic claude-sonnet-4
  hermes model set custom qwen2.5 --base-url http://127.0.0.1:8000/v1 --key-env VLLM_API_KEY`,
		Args: rangeArgs(1, 2, "[PROVIDER] MODEL"),
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			kvs := []config.KeyValue{{Key: "model.default", Value: args[len(args)-1]}}
			if len(args) == 2 {
				if err := checkProvider(cfg.Config, args[0]); err != nil {
					return err
				}
				kvs = append(kvs, config.KeyValue{Key: "model.provider", Value: args[0]})
				for i, v := range []string{baseURL, keyEnv, apiMode} {
					kvs = append(kvs, optional(providerEndpointKeys[i], v))
				}
			} else {
				for i, flag := range providerEndpointFlags {
					if c.Flags().Changed(flag) {
						v, _ := c.Flags().GetString(flag)
						kvs = append(kvs, config.KeyValue{Key: providerEndpointKeys[i], Value: v})
					}
				}
			}
			if err := config.SetMany(app.home.Path(home.ConfigFile), kvs); err != nil {
				return err
			}
			fmt.Fprintf(app.Stderr, "primary model: %s/%s\n", first(args[0], cfg.Model.Provider, len(args) == 2), args[len(args)-1])
			return nil
		},
	}
	c.Flags().StringVar(&baseURL, "base-url", "", "endpoint `URL` (required for custom)")
	c.Flags().StringVar(&keyEnv, "key-env", "", "`VAR` in .env holding the key")
	c.Flags().StringVar(&apiMode, "api-mode", "", "chat_completions or anthropic_messages (custom endpoints)")
	return c
}

// providerEndpointKeys belong to the primary provider: they are reset when
// it changes (by `model set PROVIDER MODEL` or `config set model.provider`),
// so the new provider's key never goes to the old endpoint.
// providerEndpointFlags are the flags of `model set` that set them, in order.
var (
	providerEndpointKeys  = []string{"model.base_url", "model.key_env", "model.api_mode"}
	providerEndpointFlags = []string{"base-url", "key-env", "api-mode"}
)

// optional sets key to v, or removes it when v is empty.
func optional(key, v string) config.KeyValue {
	return config.KeyValue{Key: key, Value: v, Unset: v == ""}
}

func first(a, b string, useA bool) string {
	if useA {
		return a
	}
	return b
}
