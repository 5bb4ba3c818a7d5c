package cli

import (
	"encoding/json"
	"errors"
	"fmt"

	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
)

func newProfileCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "profile",
		Short: "List, create, switch and delete profiles",
		Long: `A profile is a separate home (config, .env, memories, sessions, cron jobs)
under ~/.hermes/profiles/<name>/; "default" is ~/.hermes itself. The active
profile comes from -p NAME, then $HERMES_PROFILE, then 'hermes profile use'.`,
	}
	c.AddCommand(newProfileListCmd(app), newProfileCreateCmd(app), newProfileUseCmd(app),
		newProfileDeleteCmd(app), newProfileShowCmd(app))
	return c
}

// profileInfo is one profile as list and show print it.
type profileInfo struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	Active   bool   `json:"active"`
	Provider string `json:"provider,omitempty"`
	Model    string `json:"model,omitempty"`
	Config   string `json:"config"` // "ok", "missing (defaults)" or the number of problems
	EnvVars  int    `json:"env_vars"`
	Gateway  string `json:"gateway"`
}

func describeProfile(p home.Profile) profileInfo {
	info := profileInfo{Name: p.Name, Path: p.Dir, Active: p.Active, Config: "ok", Gateway: "not running"}
	cfg, err := config.Load(filepath.Join(p.Dir, home.ConfigFile))
	var le *config.LoadError
	switch {
	case errors.As(err, &le):
		info.Config = fmt.Sprintf("%d problem%s", len(le.Problems), plural(len(le.Problems)))
	case err != nil:
		info.Config = err.Error()
	default:
		if !cfg.Exists {
			info.Config = "no config.yaml (defaults)"
		}
		info.Provider, info.Model = cfg.Model.Provider, cfg.Model.Default
	}
	if env, _, err := config.LoadEnv(filepath.Join(p.Dir, home.EnvFile)); err == nil {
		info.EnvVars = len(env.Names())
	}
	if pid, err := fileutil.ReadPID(filepath.Join(p.Dir, home.GatewayPID)); err == nil && pid > 0 && fileutil.PIDAlive(pid) {
		info.Gateway = fmt.Sprintf("running (pid %d)", pid)
	}
	return info
}

func newProfileListCmd(app *App) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List profiles; * marks the sticky one",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			root, err := app.Root()
			if err != nil {
				return err
			}
			profiles, err := home.List(root)
			if err != nil {
				return err
			}
			infos := make([]profileInfo, len(profiles))
			for i, p := range profiles {
				infos[i] = describeProfile(p)
			}
			if asJSON {
				return writeJSON(app, infos)
			}
			tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  NAME\tMODEL\tCONFIG\tPATH")
			for _, i := range infos {
				mark := " "
				if i.Active {
					mark = "*"
				}
				model := "-"
				if i.Provider != "" {
					model = i.Provider + "/" + i.Model
				}
				fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\n", mark, i.Name, model, i.Config, displayPath(i.Path))
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}

func newProfileCreateCmd(app *App) *cobra.Command {
	var clone, cloneSecrets, use bool
	var from string
	c := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a profile, empty or cloned from the current one",
		Long: `Create a profile. With --clone it starts as a copy of the current profile
(or of --clone-from NAME): config.yaml, SOUL.md, auth.json, skills/ and .env.
Messaging credentials (TELEGRAM_*, DISCORD_*, SLACK_*, MATRIX_*, EMAIL_*,
GATEWAY_* ... lines of .env) and the pairing store are left out, so two
profiles never answer the same bot or trust the same users by accident;
--clone-secrets copies them too. Memories and sessions are never copied.`,
		Args: exactArgs(1, "one NAME"),
		RunE: func(_ *cobra.Command, args []string) error {
			root, err := app.Root()
			if err != nil {
				return err
			}
			opts := home.CreateOptions{CloneSecrets: cloneSecrets}
			if cloneSecrets && !clone && from == "" {
				return usageError{errors.New("--clone-secrets goes with --clone or --clone-from")}
			}
			if from != "" {
				if opts.CloneFrom, err = home.Existing(root, from); err != nil {
					return err
				}
			} else if clone {
				h, err := app.Home()
				if err != nil {
					return err
				}
				opts.CloneFrom, from = h.Dir, h.Profile
			}
			report, err := home.Create(root, args[0], opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "created profile %s at %s\n", args[0], displayPath(home.Dir(root, args[0])))
			if opts.CloneFrom != "" {
				printClone(app, from, report)
			}
			if use {
				if err := home.SetActive(root, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(app.Stdout, "active profile: %s\n", args[0])
			}
			return nil
		},
	}
	c.Flags().BoolVar(&clone, "clone", false, "copy the current profile's config, SOUL.md, auth.json, skills and .env")
	c.Flags().StringVar(&from, "clone-from", "", "clone profile `NAME` instead of the current one")
	c.Flags().BoolVar(&cloneSecrets, "clone-secrets", false, "also copy messaging credentials and the pairing store")
	c.Flags().BoolVar(&use, "use", false, "make the new profile the sticky one")
	return c
}

func printClone(app *App, from string, r *home.CloneReport) {
	copied := "nothing (the profile had no files to copy)"
	if len(r.Copied) > 0 {
		copied = strings.Join(r.Copied, ", ")
	}
	fmt.Fprintf(app.Stdout, "copied from %s: %s\n", from, copied)
	if len(r.LeftOut) > 0 {
		fmt.Fprintf(app.Stdout, "left out %d messaging credential%s: %s (--clone-secrets copies them)\n",
			len(r.LeftOut), plural(len(r.LeftOut)), strings.Join(r.LeftOut, ", "))
	}
}

func newProfileUseCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "use NAME",
		Short: "Make NAME the sticky profile (default resets)",
		Args:  exactArgs(1, "one NAME"),
		RunE: func(_ *cobra.Command, args []string) error {
			root, err := app.Root()
			if err != nil {
				return err
			}
			if err := home.SetActive(root, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "active profile: %s\n", args[0])
			if env := app.Getenv("HERMES_PROFILE"); env != "" && env != args[0] {
				fmt.Fprintf(app.Stderr, "note: HERMES_PROFILE=%s is set in this shell and takes precedence\n", env)
			}
			return nil
		},
	}
}

func newProfileDeleteCmd(app *App) *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a profile and everything in it",
		Args:  exactArgs(1, "one NAME"),
		RunE: func(_ *cobra.Command, args []string) error {
			root, err := app.Root()
			if err != nil {
				return err
			}
			name := args[0]
			if name == home.DefaultProfile {
				return fmt.Errorf("the default profile is the home itself and cannot be deleted")
			}
			if _, err := home.Existing(root, name); err != nil {
				return err
			}
			if !yes {
				if !app.interactive() {
					return usageError{fmt.Errorf("deleting profile %q removes its memories, sessions and keys; pass --yes to confirm", name)}
				}
				if !app.confirm(fmt.Sprintf("Delete profile %s and everything in %s?", name, displayPath(home.Dir(root, name)))) {
					fmt.Fprintln(app.Stderr, "nothing deleted")
					return exitError{1}
				}
			}
			if err := home.Delete(root, name); err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "deleted profile %s\n", name)
			return nil
		},
	}
	c.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return c
}

func newProfileShowCmd(app *App) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show [NAME]",
		Short: "Show a profile (default: the active one)",
		Args:  rangeArgs(0, 1, "at most one NAME"),
		RunE: func(_ *cobra.Command, args []string) error {
			root, err := app.Root()
			if err != nil {
				return err
			}
			var name, source string
			if len(args) == 1 {
				name, source = args[0], "the command line"
				if _, err := home.Existing(root, name); err != nil {
					return err
				}
			} else {
				h, err := app.Home()
				if err != nil {
					return err
				}
				name, source = h.Profile, h.Source
			}
			profiles, err := home.List(root)
			if err != nil {
				return err
			}
			p := home.Profile{Name: name, Dir: home.Dir(root, name)}
			for _, q := range profiles {
				if q.Name == name {
					p = q
				}
			}
			info := describeProfile(p)
			if asJSON {
				return writeJSON(app, info)
			}
			printProfile(app, info, source)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}

func printProfile(app *App, i profileInfo, source string) {
	tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "profile\t%s (chosen by %s)\n", i.Name, source)
	fmt.Fprintf(tw, "path\t%s\n", i.Path)
	fmt.Fprintf(tw, "sticky\t%v\n", i.Active)
	fmt.Fprintf(tw, "config\t%s\n", i.Config)
	if i.Provider != "" {
		fmt.Fprintf(tw, "model\t%s / %s\n", i.Provider, i.Model)
	}
	fmt.Fprintf(tw, ".env\t%d variable%s\n", i.EnvVars, plural(i.EnvVars))
	fmt.Fprintf(tw, "gateway\t%s\n", i.Gateway)
	tw.Flush()
}

func writeJSON(app *App, v any) error {
	enc := json.NewEncoder(app.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
