package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
)

func newConfigEditCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "edit",
		Short: "Open config.yaml in $VISUAL or $EDITOR and validate it before saving",
		Long: `Open a copy of config.yaml in $VISUAL, else $EDITOR, else vi. When the editor
exits the copy is validated: if it is valid it replaces config.yaml
atomically; if not, the problems are shown and you may edit again. Your
config.yaml is never left half-written or invalid. A missing config.yaml
starts from a commented template.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			h, err := app.Home()
			if err != nil {
				return err
			}
			return app.editConfig(h)
		},
	}
}

func (a *App) editor() string {
	for _, v := range []string{"VISUAL", "EDITOR"} {
		if e := a.Getenv(v); e != "" {
			return e
		}
	}
	return "vi"
}

// editConfig runs the edit-validate loop on a private copy of config.yaml.
func (a *App) editConfig(h *home.Home) error {
	path := h.Path(home.ConfigFile)
	orig, err := os.ReadFile(path)
	mode := fileutil.PrivateFile
	switch {
	case errors.Is(err, fs.ErrNotExist):
		orig = nil
	case err != nil:
		return fmt.Errorf("read config: %w", err)
	default:
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	}
	start := orig
	if start == nil {
		start = config.Starter()
	}
	tmp := filepath.Join(h.Path(home.CacheDir), "config.edit.yaml")
	if err := fileutil.WriteFile(tmp, start, fileutil.PrivateFile); err != nil {
		return err
	}
	for {
		if err := a.runEditor(tmp); err != nil {
			return fmt.Errorf("%w; config.yaml is unchanged, your edit is in %s", err, tmp)
		}
		edited, err := os.ReadFile(tmp)
		if err != nil {
			return fmt.Errorf("read edited copy: %w", err)
		}
		if orig != nil && bytes.Equal(edited, orig) {
			os.Remove(tmp)
			if _, problems := config.Parse(home.ConfigFile, orig); config.HasErrors(problems) {
				return &config.LoadError{Path: path, Problems: problems}
			}
			fmt.Fprintln(a.Stderr, "no changes")
			return nil
		}
		_, problems := config.Parse(home.ConfigFile, edited)
		if !config.HasErrors(problems) {
			for _, p := range problems {
				fmt.Fprintln(a.Stderr, "warning: "+p.String())
			}
			if err := fileutil.WriteFile(path, edited, mode); err != nil {
				return err
			}
			os.Remove(tmp)
			fmt.Fprintf(a.Stderr, "saved %s\n", displayPath(path))
			return nil
		}
		for _, p := range problems {
			fmt.Fprintln(a.Stderr, p.Detail())
		}
		if !a.interactive() || !a.confirm(fmt.Sprintf("%d problem%s. Edit again?", len(problems), plural(len(problems)))) {
			fmt.Fprintf(a.Stderr, "config.yaml is unchanged; your edit is kept in %s\n", tmp)
			return exitError{1}
		}
	}
}

// runEditor runs the editor through the shell, as git does, so $EDITOR
// may carry arguments ("code --wait").
func (a *App) runEditor(file string) error {
	cmd := exec.Command("/bin/sh", "-c", a.editor()+` "$1"`, "editor", file)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.Stdin, a.Stdout, a.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("editor %q failed: %w", a.editor(), err)
	}
	return nil
}
