package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
)

func newConfigCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Show, check and change config.yaml",
		Long: `config.yaml holds preferences (model, approvals, terminal, ...) and may be
shared; secrets belong in .env next to it. Every command that reads the config
stops on a syntax error or a bad value with the file, line and column.`,
	}
	c.AddCommand(
		newConfigShowCmd(app), newConfigPathCmd(app), newConfigGetCmd(app),
		newConfigSetCmd(app), newConfigEditCmd(app), newConfigCheckCmd(app),
		newConfigSchemaCmd(app),
	)
	return c
}

func newConfigShowCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration, defaults included",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			out, err := config.Render(cfg.Config)
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "# effective configuration of profile %s (%s), defaults included\n%s\n", app.home.Profile, displayPath(cfg.Path), out)
			return nil
		},
	}
}

func newConfigPathCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "path",
		Short: "Print where config.yaml is",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			h, err := app.Home()
			if err != nil {
				return err
			}
			fmt.Fprintln(app.Stdout, h.Path(home.ConfigFile))
			return nil
		},
	}
}

func newConfigGetCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "get KEY",
		Short: "Print the effective value of one key (e.g. agent.max_turns)",
		Args:  exactArgs(1, "one KEY"),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			out, err := config.Get(cfg.Config, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(app.Stdout, out)
			return nil
		},
	}
}

func newConfigSetCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Change one key, keeping comments and order",
		Long: `Change one key of config.yaml. VALUE is plain text for string keys and YAML
for the others: numbers, true/false, durations (30s, 5m), lists ([a, b]) and
mappings ({k: v}). Missing parent sections are created. The whole file is
validated before it is written, and written atomically; on any error it is
left as it was. A file that is already broken can be repaired this way: a
change that fixes some of its problems and brings in none is written.

Examples:
  hermes config set agent.max_turns 120
  hermes config set approvals.mode smart
  hermes config set command_allowlist '[git status, go test ./...]'
  hermes config set mcp_servers.fs.command npx

Changing model.provider removes model.base_url, model.key_env and
model.api_mode, as 'hermes model set PROVIDER MODEL' does, so the new
provider's key never goes to the old provider's endpoint.`,
		Args: exactArgs(2, "KEY and VALUE"),
		RunE: func(_ *cobra.Command, args []string) error {
			h, err := app.Home()
			if err != nil {
				return err
			}
			path := h.Path(home.ConfigFile)
			kvs := []config.KeyValue{{Key: args[0], Value: args[1]}}
			reset := providerReset(path, args[0], args[1])
			for _, k := range reset {
				kvs = append(kvs, config.KeyValue{Key: k, Unset: true})
			}
			if err := config.SetMany(path, kvs); err != nil {
				var uk *config.UnknownKeyError
				if errors.As(err, &uk) && isSecretKey(args[0]) {
					return secretKeyError(h, args[0])
				}
				if len(reset) > 0 {
					return fmt.Errorf("%w\nto change the provider with its endpoint in one step: hermes model set %s MODEL --base-url URL", err, args[1])
				}
				return err
			}
			fmt.Fprintf(app.Stderr, "set %s in %s\n", args[0], displayPath(path))
			if len(reset) > 0 {
				fmt.Fprintf(app.Stderr, "removed %s, which belonged to the old provider (set them again with hermes model set %s MODEL --base-url URL)\n", strings.Join(reset, ", "), args[1])
			}
			return nil
		},
	}
}

func newConfigCheckCmd(app *App) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "check",
		Short: "Validate config.yaml and .env; exit 1 on any problem",
		Long: `Validate config.yaml and .env. Each problem is printed on its own line as
config.yaml:LINE:COL: KEY: what is wrong (or .env:LINE: ...), followed by the
offending line. Unknown keys count as problems here (elsewhere they are only
warned about). Exits 0 when both files are valid, 1 otherwise.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			h, err := app.Home()
			if err != nil {
				return err
			}
			res, err := checkFiles(h)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(app.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				res.print(app)
			}
			if !res.OK {
				return exitError{1}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

// checkResult is what `config check` found.
type checkResult struct {
	OK       bool          `json:"ok"`
	Config   string        `json:"config"`
	Env      string        `json:"env"`
	Problems []jsonProblem `json:"problems"`
	Notes    []jsonProblem `json:"notes"` // reported, but not failing the check
}

type jsonProblem struct {
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Col      int    `json:"column,omitempty"`
	Key      string `json:"key,omitempty"`
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
	Severity string `json:"severity"`
	Text     string `json:"text"`

	detail string
}

func toJSON(p config.Problem) jsonProblem {
	sev := "error"
	switch p.Severity {
	case config.Warning:
		sev = "warning"
	case config.Notice:
		sev = "notice"
	}
	return jsonProblem{File: p.File, Line: p.Line, Col: p.Col, Key: p.Path, Message: p.Msg, Hint: p.Hint,
		Severity: sev, Text: p.String(), detail: p.Detail()}
}

// checkFiles validates config.yaml and .env of home h. Every problem in
// either file fails the check; a loose .env mode is noted, since it is
// the doctor's to fix, not a config error.
func checkFiles(h *home.Home) (*checkResult, error) {
	res := &checkResult{Config: h.Path(home.ConfigFile), Env: h.Path(home.EnvFile), Problems: []jsonProblem{}, Notes: []jsonProblem{}}
	data, err := os.ReadFile(res.Config)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if err == nil {
		_, problems := config.Check(home.ConfigFile, data)
		for _, p := range problems {
			if p.Severity == config.Notice {
				res.Notes = append(res.Notes, toJSON(p))
			} else {
				res.Problems = append(res.Problems, toJSON(p))
			}
		}
	}
	_, warns, err := config.LoadEnv(res.Env)
	var le *config.LoadError
	switch {
	case errors.As(err, &le):
		for _, p := range le.Problems {
			res.Problems = append(res.Problems, toJSON(p))
		}
		if p := config.EnvModeProblem(res.Env); p != nil {
			warns = append(warns, *p)
		}
	case err != nil:
		return nil, err
	}
	for _, p := range warns {
		if p.Line == 0 {
			res.Notes = append(res.Notes, toJSON(p))
		} else {
			res.Problems = append(res.Problems, toJSON(p))
		}
	}
	res.OK = len(res.Problems) == 0
	return res, nil
}

func (r *checkResult) print(app *App) {
	for _, p := range r.Problems {
		fmt.Fprintln(app.Stdout, p.detail)
	}
	for _, p := range r.Notes {
		if p.Severity == "notice" {
			fmt.Fprintln(app.Stdout, "warning: "+p.Text)
		} else {
			fmt.Fprintln(app.Stdout, "note: "+p.Text)
		}
	}
	if r.OK {
		fmt.Fprintf(app.Stdout, "ok: %s and %s are valid\n", displayPath(r.Config), home.EnvFile)
		return
	}
	fmt.Fprintf(app.Stdout, "%d problem%s in %s and %s\n", len(r.Problems), plural(len(r.Problems)), displayPath(r.Config), home.EnvFile)
}

func newConfigSchemaCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print a JSON Schema of config.yaml for editors",
		Long: `Print a JSON Schema (draft 2020-12) of config.yaml with every key's
description and default. Save it and point your editor at it, e.g. with the
YAML language server:

  hermes config schema > ~/.hermes/config.schema.json
  # first line of config.yaml:
  # yaml-language-server: $schema=./config.schema.json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			out, err := config.JSONSchema()
			if err != nil {
				return err
			}
			_, err = app.Stdout.Write(out)
			return err
		},
	}
}

// providerReset returns the keys `config set key value` must remove with
// it: those of providerEndpointKeys that are set, when key changes
// model.provider to another value. A file that cannot be parsed resets
// nothing (the set will report it).
func providerReset(path, key, value string) []string {
	if key != "model.provider" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	cfg, _ := config.Parse(home.ConfigFile, data)
	if cfg == nil || cfg.Model.Provider == value {
		return nil
	}
	var reset []string
	for _, k := range providerEndpointKeys {
		if v, err := config.Get(cfg, k); err == nil && v != "" && v != `""` {
			reset = append(reset, k)
		}
	}
	return reset
}

// isSecretKey reports whether an unknown key names a secret (model.api_key,
// providers.x.token, ...), which belongs in .env, not config.yaml.
func isSecretKey(key string) bool {
	last := strings.ToLower(key[strings.LastIndexByte(key, '.')+1:])
	last = strings.NewReplacer("-", "_").Replace(last)
	for _, w := range []string{"key", "token", "secret", "password", "passwd"} {
		if last == w || strings.HasSuffix(last, "_"+w) || strings.HasSuffix(last, w) && strings.HasPrefix(last, "api") {
			return true
		}
	}
	return false
}

// secretKeyError explains where keys go instead of config.yaml: in .env,
// under the variable the primary provider reads.
func secretKeyError(h *home.Home, key string) error {
	name, provider := "OPENAI_API_KEY", "openai"
	if data, err := os.ReadFile(h.Path(home.ConfigFile)); err == nil || errors.Is(err, fs.ErrNotExist) {
		if cfg, problems := config.Parse(home.ConfigFile, data); cfg != nil && !config.HasErrors(problems) {
			if chain, err := llm.Chain(cfg); err == nil && chain[0].KeyEnv != "" {
				name, provider = chain[0].KeyEnv, chain[0].Provider
			}
		}
	}
	env := h.Path(home.EnvFile)
	return fmt.Errorf("%s: keys are not kept in config.yaml, which may be shared; put the key in %s as a line %s=... "+
		"(e.g. echo '%s=...' >> %s && chmod 600 %s), or add it to the pool with `hermes auth add %s`; "+
		"a custom endpoint names its variable with model.key_env",
		key, env, name, name, env, env, provider)
}
