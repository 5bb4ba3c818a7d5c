package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/version"
)

func versionString() string { return "hermes " + version.String() }

func newVersionCmd(app *App) *cobra.Command {
	var verbose bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Long:  "Print 'hermes <version>'. With -v, also the Go version and platform.",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintln(app.Stdout, versionString())
			if verbose {
				fmt.Fprintf(app.Stdout, "go %s %s/%s\n", runtime.Version()[2:], runtime.GOOS, runtime.GOARCH)
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "also print the Go version and platform")
	return c
}
