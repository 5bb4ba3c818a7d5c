package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hermes-go/hermes/internal/ops/backup"
)

type backupFlags struct {
	output        string
	keep          int
	quick, dryRun bool
	json          bool
}

func newBackupCmd(app *App) *cobra.Command {
	var f backupFlags
	c := &cobra.Command{
		Use:   "backup [--output PATH] [--keep N] [--quick] [--dry-run] [--json]",
		Short: "Zip the hermes home (every profile) into hermes-backup-<time>.zip",
		Long: `Writes hermes-backup-YYYY-MM-DD-HHMMSS.zip of the whole hermes root (every
profile): config, .env, auth.json, SOUL.md, memories, skills, cron jobs and
output, state.db and every other SQLite database (copied with SQLite's online
backup, consistent while the gateway runs), pairing and platform state.
Logs, caches, sandboxes, pid/lock files, database journals and code
checkouts are left out. --quick also leaves out cron/output/ and the API
server's response store. The zip goes to the root unless --output names a
directory or a file. See docs/backup.md.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error { return app.backup(f) },
	}
	c.Flags().StringVarP(&f.output, "output", "o", "", "write the zip to `PATH` (a file, or a directory for the default name)")
	c.Flags().IntVar(&f.keep, "keep", 0, "after the backup keep only the `N` newest hermes-backup-*.zip in that directory")
	c.Flags().BoolVar(&f.quick, "quick", false, "leave out cron/output/ and platforms/api_server/")
	c.Flags().BoolVar(&f.dryRun, "dry-run", false, "list what would be included, with sizes; write nothing")
	c.Flags().BoolVar(&f.json, "json", false, `print {"path","size","files","sha256"}`)
	return c
}

// backupRoot returns the hermes root, which must exist.
func (a *App) backupRoot() (string, error) {
	root, err := a.Root()
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.IsDir()) {
		return "", fmt.Errorf("no hermes home at %s (set HERMES_HOME to the right one)", root)
	}
	return root, nil
}

func (a *App) backup(f backupFlags) error {
	if f.keep < 0 {
		return usageError{fmt.Errorf("--keep %d: give a number of backups to keep (1 or more)", f.keep)}
	}
	root, err := a.backupRoot()
	if err != nil {
		return err
	}
	opts := backup.Options{Root: root, Output: f.output, Keep: f.keep, Quick: f.quick}
	if f.dryRun {
		return a.backupDryRun(opts, f.json)
	}
	ctx, stop := a.commandContext()
	defer stop()
	bar := a.newLateBar()
	opts.Progress = bar.update
	res, err := backup.Create(ctx, opts)
	bar.finish()
	if err != nil {
		return err
	}
	if f.json {
		return writeJSON(a, struct {
			Path   string `json:"path"`
			Size   int64  `json:"size"`
			Files  int    `json:"files"`
			SHA256 string `json:"sha256"`
		}{res.Path, res.Size, res.Files, res.SHA256})
	}
	for _, g := range res.Groups {
		note := ""
		if g.DBs > 0 {
			note = " (online copy)"
		}
		fmt.Fprintf(a.Stdout, "  %-28s %5d file%-1s %10s%s\n", g.Name, g.Files, plural(g.Files), humanize.IBytes(uint64(g.Bytes)), note)
	}
	for _, p := range res.Pruned {
		fmt.Fprintf(a.Stdout, "pruned %s\n", displayPath(p))
	}
	fmt.Fprintf(a.Stdout, "backup: %s\n%d files, %s, sha256 %s\n", displayPath(res.Path), res.Files, humanize.IBytes(uint64(res.Size)), res.SHA256)
	return nil
}

func (a *App) backupDryRun(opts backup.Options, jsonOut bool) error {
	plan, err := backup.DryRun(opts)
	if err != nil {
		return err
	}
	if jsonOut {
		type item struct {
			Path     string `json:"path"`
			Size     int64  `json:"size"`
			Database bool   `json:"database,omitempty"`
		}
		out := struct {
			Include []item        `json:"include"`
			Skip    []backup.Skip `json:"skip"`
			Total   int64         `json:"total"`
		}{Include: []item{}, Skip: plan.Skipped, Total: plan.Total}
		for _, it := range plan.Items {
			out.Include = append(out.Include, item{it.Rel, it.Size, it.DB})
		}
		if out.Skip == nil {
			out.Skip = []backup.Skip{}
		}
		return writeJSON(a, out)
	}
	for _, it := range plan.Items {
		note := ""
		if it.DB {
			note = " (SQLite: online copy)"
		}
		fmt.Fprintf(a.Stdout, "  %10s  %s%s\n", humanize.IBytes(uint64(it.Size)), it.Rel, note)
	}
	for _, s := range plan.Skipped {
		fmt.Fprintf(a.Stdout, "  %10s  %s (%s)\n", "skip", s.Rel, s.Why)
	}
	fmt.Fprintf(a.Stdout, "would include %d files, %s before compression (dry run: nothing written)\n", len(plan.Items), humanize.IBytes(uint64(plan.Total)))
	return nil
}

// lateBar is a progress bar on stderr that appears only once an operation
// has taken longer than a second, and only when stderr is a terminal.
type lateBar struct {
	start time.Time
	tty   bool
	out   *os.File
	bar   *progressbar.ProgressBar
}

func (a *App) newLateBar() *lateBar {
	b := &lateBar{start: time.Now()}
	if f, ok := a.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b.tty, b.out = true, f
	}
	return b
}

func (b *lateBar) update(done, total int64) {
	if !b.tty || total <= 0 {
		return
	}
	if b.bar == nil {
		if time.Since(b.start) < time.Second {
			return
		}
		b.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(b.out), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("backup"), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(), progressbar.OptionUseIECUnits(true))
	}
	_ = b.bar.Set64(min(done, total))
}

func (b *lateBar) finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
	}
}
