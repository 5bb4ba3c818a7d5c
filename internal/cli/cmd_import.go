package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/ops/backup"
)

func newImportCmd(app *App) *cobra.Command {
	var force, dryRun bool
	c := &cobra.Command{
		Use:   "import ZIP [--force] [--dry-run]",
		Short: "Restore a hermes backup onto this hermes home (files in the zip win, others are kept)",
		Long: `Overlays a zip made by 'hermes backup' onto the hermes root (every profile):
files in the archive overwrite the home's, files not in it are kept. The whole
archive is checked before anything is written: path traversal, absolute paths,
links and other special entries, duplicates, zip bombs and links in the home
are refused. pid and lock files are never written. Databases are restored with
SQLite's backup API, and refused while a gateway runs. Overwriting config.yaml
or .env with different content asks first (--force skips the question).
See docs/backup.md.`,
		Args: exactArgs(1, "the ZIP to import"),
		RunE: func(_ *cobra.Command, args []string) error { return app.importZip(args[0], force, dryRun) },
	}
	c.Flags().BoolVar(&force, "force", false, "overwrite config.yaml and .env without asking")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "list what would change (new / overwrite / unchanged); write nothing")
	return c
}

func (a *App) importZip(zipPath string, force, dryRun bool) error {
	root, err := a.Root()
	if err != nil {
		return err
	}
	im, err := backup.OpenImport(zipPath, root, backup.Limits{})
	if err != nil {
		return err
	}
	defer im.Close()
	if dryRun {
		a.printChanges(im, true)
		if err := im.GatewayRunning(); err != nil {
			fmt.Fprintln(a.Stdout, "note: "+strings.TrimSuffix(err.Error(), "; nothing was written"))
		}
		return nil
	}
	if ask := im.NeedConfirm(); len(ask) > 0 && !force {
		if !a.interactive() {
			verb := "differs"
			if len(ask) > 1 {
				verb = "differ"
			}
			return fmt.Errorf("%s %s from the archive's: run with --force to overwrite, or in a terminal to be asked (hermes import --dry-run %s lists every change); nothing was written",
				strings.Join(ask, " and "), verb, zipPath)
		}
		for _, name := range ask {
			if !a.confirm(fmt.Sprintf("overwrite %s with the archive's version?", name)) {
				im.Keep(name)
			}
		}
	}
	ctx, stop := a.commandContext()
	defer stop()
	res, err := im.Apply(ctx)
	var gw *backup.GatewayRunningError
	if errors.As(err, &gw) {
		return err
	}
	if res != nil {
		a.printChanges(im, false)
		for _, w := range res.Warnings {
			fmt.Fprintln(a.Stderr, "warning: "+w)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "imported %s into %s: %d written, %d unchanged, %d skipped\n", displayPath(zipPath), displayPath(root), res.Written, res.Unchanged, res.Skipped)
	return nil
}

// printChanges lists an import's changes; after the fact, unchanged files
// are left out.
func (a *App) printChanges(im *backup.Import, dryRun bool) {
	counts := map[backup.Action]int{}
	for _, c := range im.Changes {
		counts[c.Action]++
		if !dryRun && c.Action == backup.ActUnchanged {
			continue
		}
		note := ""
		switch {
		case c.Why != "":
			note = " (" + c.Why + ")"
		case c.DB && c.Action != backup.ActUnchanged:
			note = " (SQLite: restored with the backup API)"
		}
		fmt.Fprintf(a.Stdout, "  %-9s %10s  %s%s\n", c.Action, humanize.IBytes(c.Size), c.Name, note)
	}
	if dryRun {
		fmt.Fprintf(a.Stdout, "would write %d new and %d changed file(s); %d unchanged, %d skipped (dry run: nothing written)\n",
			counts[backup.ActNew], counts[backup.ActOverwrite], counts[backup.ActUnchanged], counts[backup.ActSkip])
	}
}
