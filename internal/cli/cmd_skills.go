package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/skills"
)

func newSkillsCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "skills",
		Short: "List, show, create and remove skills",
	}
	c.AddCommand(newSkillsListCmd(app), newSkillsShowCmd(app), newSkillsCreateCmd(app), newSkillsRemoveCmd(app))
	return c
}

// skillSet loads the active profile's skills and prints the problems.
func (a *App) skillSet() (*skills.Set, []skills.Problem, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, nil, err
	}
	h, err := a.Home()
	if err != nil {
		return nil, nil, err
	}
	set, probs := skills.Load(h.Dir, cfg.Skills)
	for _, p := range probs {
		fmt.Fprintln(a.Stderr, "warning: "+p.String())
	}
	return set, probs, nil
}

func newSkillsListCmd(app *App) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--json]",
		Short: "List every skill with its category, source and whether it is offered",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			set, probs, err := app.skillSet()
			if err != nil {
				return err
			}
			all := set.All()
			if asJSON {
				type item struct {
					*skills.Skill
					Status string `json:"status,omitempty"`
				}
				out := struct {
					Skills   []item           `json:"skills"`
					Problems []skills.Problem `json:"problems"`
				}{Skills: []item{}, Problems: probs}
				for _, s := range all {
					out.Skills = append(out.Skills, item{s, s.Status()})
				}
				if out.Problems == nil {
					out.Problems = []skills.Problem{}
				}
				return writeJSON(app, out)
			}
			if len(all) == 0 {
				fmt.Fprintf(app.Stdout, "no skills in %s; create one with hermes skills create NAME --description TEXT\n", displayPath(set.Root()))
				return nil
			}
			for _, s := range all {
				cat := s.Category
				if cat == "" {
					cat = skills.DefaultCategory
				}
				line := fmt.Sprintf("%-24s %-14s %s", s.Name, cat, s.Description)
				if st := s.Status(); st != "" {
					line += "  [" + st + "]"
				}
				if s.External {
					line += "  (external)"
				}
				fmt.Fprintln(app.Stdout, line)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return c
}

func newSkillsShowCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Print a skill's SKILL.md and the list of its files",
		Args:  exactArgs(1, "the skill name"),
		RunE: func(_ *cobra.Command, args []string) error {
			set, _, err := app.skillSet()
			if err != nil {
				return err
			}
			text, err := set.View(args[0], "")
			if err != nil {
				return err
			}
			fmt.Fprint(app.Stdout, text)
			return nil
		},
	}
}

func newSkillsCreateCmd(app *App) *cobra.Command {
	var desc, category string
	c := &cobra.Command{
		Use:   "create NAME --description TEXT [--category C]",
		Short: "Scaffold a new skill: SKILL.md and empty references/, templates/ and scripts/",
		Args:  exactArgs(1, "the skill name"),
		RunE: func(c *cobra.Command, args []string) error {
			if desc == "" {
				return usageError{fmt.Errorf("--description is required: say in one sentence what the skill does and when to use it")}
			}
			set, _, err := app.skillSet()
			if err != nil {
				return err
			}
			ctx := c.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			s, err := set.Create(ctx, args[0], category, skills.Scaffold(args[0], desc))
			if err != nil {
				return err
			}
			for _, d := range []string{"references", "templates", "scripts"} {
				if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
					return err
				}
			}
			fmt.Fprintf(app.Stdout, "created %s\n", displayPath(filepath.Join(s.Dir, skills.SkillFile)))
			return nil
		},
	}
	c.Flags().StringVar(&desc, "description", "", "what the skill does and when to use it (required)")
	c.Flags().StringVar(&category, "category", "", "category directory (default general)")
	return c
}

func newSkillsRemoveCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Delete a skill of this profile (external skills are read-only)",
		Args:  exactArgs(1, "the skill name"),
		RunE: func(c *cobra.Command, args []string) error {
			set, _, err := app.skillSet()
			if err != nil {
				return err
			}
			ctx := c.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if err := set.Remove(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "removed %s\n", args[0])
			return nil
		},
	}
}
