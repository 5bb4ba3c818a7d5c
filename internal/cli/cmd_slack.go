package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/gateway/platforms/slack"
)

func newSlackCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "slack",
		Short: "Slack app set-up",
		Args:  exactArgs(0, "a subcommand: manifest"),
	}
	var o slack.ManifestOptions
	manifest := &cobra.Command{
		Use:   "manifest [--mode socket|events] [--name NAME] [--url https://HOST]",
		Short: "Print a Slack app manifest with the scopes and events hermes needs",
		Long: "Print a Slack app manifest (JSON). Paste it at api.slack.com/apps > Create New App > From a manifest,\n" +
			"install the app, then put SLACK_BOT_TOKEN (xoxb-) and, for Socket Mode, SLACK_APP_TOKEN (xapp-, scope\n" +
			"connections:write) or, for the Events API, SLACK_SIGNING_SECRET into the home's .env.",
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			b, err := slack.Manifest(o)
			if err != nil {
				return usageError{err}
			}
			fmt.Fprintln(app.Stdout, string(b))
			return nil
		},
	}
	manifest.Flags().StringVar(&o.Mode, "mode", slack.ModeSocket, "socket (no public URL) or events (Slack posts to --url)")
	manifest.Flags().StringVar(&o.Name, "name", "Hermes", "the app's display name")
	manifest.Flags().StringVar(&o.URL, "url", "", "events mode: the public https base that forwards to platforms.slack.events_listen")
	c.AddCommand(manifest)
	return c
}
