package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/sandbox"
	_ "github.com/hermes-go/hermes/internal/sandbox/backends" // every backend registers itself
)

func newSandboxCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "sandbox",
		Short: "Check the terminal backend commands run in",
	}
	c.AddCommand(newSandboxCheckCmd(app))
	return c
}

func newSandboxCheckCmd(app *App) *cobra.Command {
	var asJSON bool
	var backend, dir string
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "check [--backend NAME] [--json]",
		Short: "Start the terminal backend and try what its sandbox must stop",
		Long: `Start the configured terminal backend (terminal.backend, or --backend) the way
the agent does, run a command in it, and try what a sandbox must stop: seeing a
provider key from hermes's environment, reading the hermes home, writing to the
host outside the workspace, reaching a listener on the host's loopback, and
seeing host processes. Each line says whether the backend held and whether it
promises to: local promises only the environment filter; bubblewrap, docker,
singularity and modal promise all of it (the network only when their network
setting is off). With terminal.backend auto (the default) the first line says
which backend auto chose on this machine and why: bubblewrap when bwrap is
installed and can make a sandbox here, else local with a warning on stderr.
Nothing is left behind. Exit 1 when a promise is broken.

  hermes sandbox check
  hermes sandbox check --backend bubblewrap --json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			h, err := app.Home()
			if err != nil {
				return err
			}
			term := cfg.Terminal
			if c.Flags().Changed("backend") {
				if !slices.Contains(sandbox.Names(), backend) {
					return usageError{fmt.Errorf("--backend wants one of %s, got %q", strings.Join(sandbox.Names(), ", "), backend)}
				}
				term.Backend = backend
			}
			ws, err := workspace(dir, term.Cwd)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(c.Context(), timeout)
			defer cancel()
			rep, err := sandbox.Check(ctx, sandbox.Options{Terminal: term, Workspace: ws, HomeDir: h.Dir, Env: os.Environ()})
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(app, rep); err != nil {
					return err
				}
			} else {
				printSandboxCheck(app, rep)
			}
			if rep.Failed() {
				return exitError{1}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	c.Flags().StringVar(&backend, "backend", "", "check `NAME` instead of terminal.backend")
	c.Flags().StringVar(&dir, "dir", "", "workspace `DIR` (default: terminal.cwd, else here)")
	c.Flags().DurationVar(&timeout, "timeout", 3*time.Minute, "give up after `D` (starting a container can be slow)")
	return c
}

// workspace is the folder commands start in: the flag, else terminal.cwd,
// else the current directory, checked as every working directory is.
func workspace(flag, configured string) (string, error) {
	dir := flag
	if dir == "" {
		dir = configured
	}
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		dir = wd
	}
	userHome, _ := os.UserHomeDir()
	return sandbox.ValidateDir(dir, userHome)
}

func printSandboxCheck(app *App, rep sandbox.CheckReport) {
	if rep.Auto != nil {
		fmt.Fprintf(app.Stdout, "backend: auto -> %s (%s)\n", rep.Backend, rep.Auto.Reason)
	} else {
		fmt.Fprintf(app.Stdout, "backend: %s\n", rep.Backend)
	}
	for _, p := range rep.Probes {
		mark := "ok  "
		switch {
		case p.Failed():
			mark = "FAIL"
		case !p.Isolated:
			mark = "open"
		}
		fmt.Fprintf(app.Stdout, "  %s %-10s %s: %s\n", mark, p.ID, p.What, p.Detail)
	}
	switch {
	case rep.Backend == "local" && rep.Auto != nil:
		fmt.Fprintln(app.Stdout, "auto fell back to local: commands run as you, on this machine; install bubblewrap (apt install bubblewrap, or dnf install bubblewrap) for the sandbox")
	case rep.Backend == "local":
		fmt.Fprintln(app.Stdout, "local runs commands as you, on this machine; for a sandbox set terminal.backend to auto, bubblewrap or docker")
	}
}
