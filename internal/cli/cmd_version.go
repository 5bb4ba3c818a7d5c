package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/version"
)

func versionString() string { return "hermes " + version.String() }

// versionJSON is `hermes version --json`; hermes update reads it from the
// installed and the new binary.
type versionJSON struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Source   string `json:"source,omitempty"` // the git checkout it was built from
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

func newVersionCmd(app *App) *cobra.Command {
	var verbose, jsonOut bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Long: `Print 'hermes <version>'. With -v, also the commit, the checkout it was built
from, the Go version and platform; --json prints all of them as one object.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			v := versionJSON{Version: version.String(), Commit: version.CommitHash(), Source: version.Source,
				Go: runtime.Version()[2:], Platform: runtime.GOOS + "/" + runtime.GOARCH}
			if jsonOut {
				return writeJSON(app, v)
			}
			fmt.Fprintln(app.Stdout, versionString())
			if !verbose {
				return nil
			}
			if v.Commit != "" {
				fmt.Fprintln(app.Stdout, "commit "+v.Commit)
			}
			if v.Source != "" {
				fmt.Fprintln(app.Stdout, "built from "+v.Source)
			}
			fmt.Fprintf(app.Stdout, "go %s %s\n", v.Go, v.Platform)
			return nil
		},
	}
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "also print the commit, the source checkout, the Go version and platform")
	c.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return c
}
