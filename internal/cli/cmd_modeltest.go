package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/llm"
)

func newModelTestCmd(app *App) *cobra.Command {
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "test",
		Short: "Send one short request to the primary and to each fallback",
		Long: `Send one short request to the primary model and to each fallback provider,
each on its own (no fallback between them), with its keys rotated as usual, and
report how long it took or what went wrong. Exits 1 when any endpoint fails.
This spends a few tokens of each provider.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			lookup, err := app.envLookup()
			if err != nil {
				return err
			}
			pools, err := app.pools()
			if err != nil {
				return err
			}
			all := *cfg.Config
			all.Model.AutoFallback = true
			chain, err := llm.Chain(&all)
			if err != nil {
				return err
			}
			ctx, stop := app.commandContext()
			defer stop()
			failed := 0
			for i, ep := range chain {
				if ctx.Err() != nil {
					fmt.Fprintln(app.Stdout, "interrupted: the remaining endpoints were not tested")
					return exitError{1}
				}
				role := "primary"
				if i > 0 {
					role = fmt.Sprintf("fallback %d", i)
				}
				if timeout > 0 {
					ep.Timeout = timeout
				}
				r := llm.NewRouter([]llm.Endpoint{ep}, llm.Options{Pools: pools, Env: lookup, Retries: 0})
				start := time.Now()
				resp, err := r.Chat(ctx, llm.Request{MaxTokens: 16,
					Messages: []llm.Message{{Role: llm.RoleUser, Content: "Reply with the single word OK."}}}, nil)
				if err != nil {
					failed++
					var ce *llm.ChainError
					if errors.As(err, &ce) && len(ce.Errors) == 1 {
						err = ce.Errors[0]
					}
					fmt.Fprintf(app.Stdout, "✗ %-11s %s\n", role, err)
					continue
				}
				fmt.Fprintf(app.Stdout, "✓ %-11s %s answered in %s (%d tokens in, %d out)\n", role, ep.Label(),
					time.Since(start).Round(time.Millisecond), resp.Usage.InputTokens, resp.Usage.OutputTokens)
			}
			if failed > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "time allowed for each request")
	return c
}
