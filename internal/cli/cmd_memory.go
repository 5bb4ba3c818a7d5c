package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/memory"
)

func newMemoryCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "memory",
		Short: "Show, edit and review MEMORY.md and USER.md",
	}
	c.AddCommand(newMemoryShowCmd(app), newMemoryEditCmd(app), newMemoryReviewCmd(app))
	return c
}

// memoryStore opens the active profile's memory with config's limits.
func (a *App) memoryStore() (*memory.Store, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	h, err := a.Home()
	if err != nil {
		return nil, err
	}
	return memory.Open(h.Dir, cfg.Memory), nil
}

func target(user bool) memory.Target {
	if user {
		return memory.User
	}
	return memory.Memory
}

func newMemoryShowCmd(app *App) *cobra.Command {
	var user bool
	c := &cobra.Command{
		Use:   "show [--user]",
		Short: "Print MEMORY.md (or USER.md) with its usage",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			s, err := app.memoryStore()
			if err != nil {
				return err
			}
			st, err := s.Read(target(user))
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "%s (%s)\n%s", st.Target.File(), st.Usage(), memory.Format(st.Entries))
			return nil
		},
	}
	c.Flags().BoolVar(&user, "user", false, "USER.md instead of MEMORY.md")
	return c
}

func newMemoryEditCmd(app *App) *cobra.Command {
	var user bool
	c := &cobra.Command{
		Use:   "edit [--user]",
		Short: "Edit MEMORY.md (or USER.md) in $EDITOR; scanned and limited before it is saved",
		Long: `Open a copy of MEMORY.md (or USER.md with --user) in $VISUAL, else $EDITOR,
else vi. Separate entries with a line holding only §. When the editor exits,
the copy is scanned for prompt injection and exfiltration; a clean copy
replaces the file atomically, with the oldest entries moved to
memories/ARCHIVE.jsonl if it is over its limit. A refused copy is kept.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := app.memoryStore()
			if err != nil {
				return err
			}
			h, err := app.Home()
			if err != nil {
				return err
			}
			return app.editMemory(c.Context(), h, s, target(user))
		},
	}
	c.Flags().BoolVar(&user, "user", false, "USER.md instead of MEMORY.md")
	return c
}

// editMemory runs the edit-scan loop on a private copy of a memory file.
func (a *App) editMemory(ctx context.Context, h *home.Home, s *memory.Store, t memory.Target) error {
	if ctx == nil {
		ctx = context.Background()
	}
	orig, err := os.ReadFile(s.Path(t))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", t.File(), err)
	}
	tmp := filepath.Join(h.Path(home.CacheDir), "memory.edit."+t.File())
	if err := fileutil.WriteFile(tmp, orig, fileutil.PrivateFile); err != nil {
		return err
	}
	for {
		if err := a.runEditor(tmp); err != nil {
			return fmt.Errorf("%w; %s is unchanged, your edit is in %s", err, t.File(), tmp)
		}
		edited, err := os.ReadFile(tmp)
		if err != nil {
			return fmt.Errorf("read edited copy: %w", err)
		}
		if string(edited) == string(orig) {
			os.Remove(tmp)
			fmt.Fprintln(a.Stderr, "no changes")
			return nil
		}
		st, err := s.Write(ctx, t, string(edited))
		if err == nil {
			os.Remove(tmp)
			for _, e := range st.Archived {
				fmt.Fprintf(a.Stderr, "archived (over the limit): %s\n", clipLine(e))
			}
			fmt.Fprintf(a.Stderr, "saved %s (%s)\n", t.File(), st.Usage())
			return nil
		}
		fmt.Fprintln(a.Stderr, err)
		if !a.interactive() || !a.confirm("Edit again?") {
			fmt.Fprintf(a.Stderr, "%s is unchanged; your edit is kept in %s\n", t.File(), tmp)
			return exitError{1}
		}
	}
}

func clipLine(s string) string {
	if utf8.RuneCountInString(s) <= 70 {
		return s
	}
	return string([]rune(s)[:69]) + "…"
}

func newMemoryReviewCmd(app *App) *cobra.Command {
	var last int
	c := &cobra.Command{
		Use:   "review [--last N]",
		Short: "List the entries of both files with their sizes, and the archive's last entries",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			s, err := app.memoryStore()
			if err != nil {
				return err
			}
			for _, t := range []memory.Target{memory.Memory, memory.User} {
				st, err := s.Read(t)
				if err != nil {
					return err
				}
				fmt.Fprintf(app.Stdout, "%s (%s), %d entries\n", t.File(), st.Usage(), len(st.Entries))
				for i, e := range st.Entries {
					fmt.Fprintf(app.Stdout, "  %2d. %5d chars  %s\n", i+1, utf8.RuneCountInString(e), clipLine(e))
				}
			}
			tail, err := s.ArchiveTail(last)
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "%s, last %d\n", memory.ArchiveFile, len(tail))
			for _, r := range tail {
				fmt.Fprintf(app.Stdout, "  %s  %-9s %s\n", r.ArchivedAt.Format("2006-01-02 15:04"), r.File, clipLine(r.Entry))
			}
			return nil
		},
	}
	c.Flags().IntVar(&last, "last", 5, "archived entries to show")
	return c
}
