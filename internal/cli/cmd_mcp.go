package cli

import (
	"context"
	"encoding/json"
	"fmt"
	neturl "net/url"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/mcp"
	"github.com/hermes-go/hermes/internal/redact"
)

func newMCPCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "mcp",
		Short: "Add, list, remove and test the MCP servers whose tools the agent uses",
	}
	c.AddCommand(newMCPAddCmd(app), newMCPListCmd(app), newMCPRemoveCmd(app), newMCPTestCmd(app), newMCPServeCmd(app))
	return c
}

// mcpNameRE is a server name: it becomes a config key, a toolset and part
// of tool names.
var mcpNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

func checkMCPName(name string) error {
	if !mcpNameRE.MatchString(name) {
		return usageError{fmt.Errorf("server name %q: use letters, digits, _ and - (at most 64, starting with a letter or digit)", name)}
	}
	return nil
}

func newMCPAddCmd(app *App) *cobra.Command {
	var url, transport string
	var envs, headers []string
	c := &cobra.Command{
		Use:   "add NAME (-- COMMAND [ARGS...] | --url URL)",
		Short: "Add an MCP server to config.yaml",
		Long: `Add a server to mcp_servers in config.yaml. A stdio server is a command,
given after --; it gets only PATH HOME USER LANG LC_ALL TERM SHELL TMPDIR XDG_*
of hermes's environment, plus the variables given with --env. An HTTP server is
a --url (streamable HTTP, or SSE with --transport sse), with --header.

Secrets never go into config.yaml: put them in the home's .env and refer to
them as ${VAR}; a value that looks like a secret is refused.

  hermes mcp add fs -- npx -y @modelcontextprotocol/server-filesystem /srv
  hermes mcp add gh --env 'GITHUB_TOKEN=${GITHUB_TOKEN}' -- github-mcp-server stdio
  hermes mcp add docs --url https://mcp.example.com/mcp --header 'Authorization=Bearer ${DOCS_TOKEN}'`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("%s takes NAME and a command after -- or --url", c.CommandPath())}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			name, command := args[0], args[1:]
			if dash := c.ArgsLenAtDash(); dash != 1 && len(command) > 0 {
				return usageError{fmt.Errorf("put the server's command after --: hermes mcp add %s -- COMMAND [ARGS...]", name)}
			}
			kvs, err := mcpAddKeys(name, command, url, transport, envs, headers)
			if err != nil {
				return err
			}
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			if _, ok := cfg.Config.MCPServers[name]; ok {
				return fmt.Errorf("mcp server %s already exists: remove it first with 'hermes mcp remove %s'", name, name)
			}
			h, err := app.Home()
			if err != nil {
				return err
			}
			path := h.Path(home.ConfigFile)
			if err := config.SetMany(path, kvs); err != nil {
				return err
			}
			fmt.Fprintf(app.Stderr, "added mcp server %s to %s; check it with 'hermes mcp test %s'\n", name, displayPath(path), name)
			return nil
		},
	}
	c.Flags().StringVar(&url, "url", "", "the `URL` of a streamable HTTP or SSE server")
	c.Flags().StringVar(&transport, "transport", "", "stdio, http or sse (default: stdio for a command, http for --url)")
	c.Flags().StringArrayVar(&envs, "env", nil, "`K=V` for a stdio server's environment (repeatable; V may use ${VAR} from .env)")
	c.Flags().StringArrayVar(&headers, "header", nil, "`K=V` HTTP header (repeatable; V may use ${VAR} from .env)")
	return c
}

// mcpAddKeys turns `mcp add` into the config keys to set, refusing
// secrets written out in full.
func mcpAddKeys(name string, command []string, url, transport string, envs, headers []string) ([]config.KeyValue, error) {
	if err := checkMCPName(name); err != nil {
		return nil, err
	}
	switch {
	case len(command) == 0 && url == "":
		return nil, usageError{fmt.Errorf("give the server's command after -- or its --url")}
	case len(command) > 0 && url != "":
		return nil, usageError{fmt.Errorf("a server has a command or a --url, not both")}
	case url != "" && len(envs) > 0:
		return nil, usageError{fmt.Errorf("--env is for stdio servers; an HTTP server takes --header")}
	case len(command) > 0 && len(headers) > 0:
		return nil, usageError{fmt.Errorf("--header is for HTTP servers; a stdio server takes --env")}
	}
	if err := secretFreeServer(command, url); err != nil {
		return nil, err
	}
	at := "mcp_servers." + name + "."
	var kvs []config.KeyValue
	if url != "" {
		kvs = append(kvs, config.KeyValue{Key: at + "url", Value: url})
	} else {
		kvs = append(kvs, config.KeyValue{Key: at + "command", Value: command[0]})
		if len(command) > 1 {
			kvs = append(kvs, config.KeyValue{Key: at + "args", Value: jsonValue(command[1:])})
		}
	}
	if transport != "" {
		kvs = append(kvs, config.KeyValue{Key: at + "transport", Value: transport})
	}
	for _, set := range []struct {
		flag, key string
		pairs     []string
	}{{"--env", "env", envs}, {"--header", "headers", headers}} {
		m, err := secretFreePairs(set.flag, set.pairs)
		if err != nil {
			return nil, err
		}
		if len(m) > 0 {
			kvs = append(kvs, config.KeyValue{Key: at + set.key, Value: jsonValue(m)})
		}
	}
	return kvs, nil
}

// jsonValue is v as JSON, which config.Set reads as YAML.
func jsonValue(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// secretNameRE is a variable or header name that says it holds a secret.
var secretNameRE = regexp.MustCompile(`(?i)(key|token|secret|passw|credential|auth|cookie|session)`)

var (
	varRefRE   = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\}`)
	nonAlnumRE = regexp.MustCompile(`[^A-Za-z0-9]+`)
)

// secretFreePairs parses K=V pairs and refuses a value that holds a secret
// instead of a ${VAR} reference to one.
func secretFreePairs(flag string, pairs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("%s wants K=V, got %q", flag, p)}
		}
		if looksSecret(k, v) {
			return nil, fmt.Errorf("%s %s: the value looks like a secret, and config.yaml is no place for one: "+
				"put it in the home's .env (e.g. MCP_%s=...) and write %s '%s=${MCP_%s}'",
				flag, k, envName(k), flag, k, envName(k))
		}
		m[k] = v
	}
	return m, nil
}

// looksSecret: the redactor finds a secret in the value, or the name says
// it is one and the value is not only ${VAR} references and a scheme word
// (Bearer, Basic, token).
func looksSecret(name, value string) bool {
	if _, secret := redact.Secret(name, value); secret {
		return true
	}
	if !secretNameRE.MatchString(name) {
		return false
	}
	rest := varRefRE.ReplaceAllString(value, "")
	rest = strings.TrimSpace(rest)
	for _, scheme := range []string{"Bearer", "Basic", "Token", "token", "bearer"} {
		rest = strings.TrimSpace(strings.TrimPrefix(rest, scheme))
	}
	return rest != ""
}

// secretFreeServer refuses a secret written out in the server's URL (its
// userinfo or a query value) or in one of its command's arguments.
func secretFreeServer(command []string, rawURL string) error {
	const fix = "config.yaml is no place for one: put it in the home's .env and write ${VAR} in its place"
	for i, arg := range command {
		name, value, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if _, secret := redact.Secret("", arg); secret || (value != "" && looksSecret(name, value)) {
			return fmt.Errorf("argument %d of the command looks like a secret, and %s", i, fix)
		}
	}
	if rawURL == "" {
		return nil
	}
	// ${VAR} references are what belongs here; judge the rest.
	bare := varRefRE.ReplaceAllString(rawURL, "")
	if _, secret := redact.Secret("", bare); secret {
		return fmt.Errorf("--url holds what looks like a secret, and %s", fix)
	}
	u, err := neturl.Parse(bare)
	if err != nil {
		return usageError{fmt.Errorf("--url %q: %v", rawURL, err)}
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		for _, part := range []string{u.User.Username(), pw} {
			if strings.TrimSpace(part) != "" {
				return fmt.Errorf("--url has credentials in it (user:password@ or token@): that looks like a secret, and %s", fix)
			}
		}
	}
	for k, vs := range u.Query() {
		for _, v := range vs {
			if looksSecret(k, v) {
				return fmt.Errorf("--url query parameter %s looks like a secret, and %s (e.g. ?%s=${MCP_%s})", k, fix, k, envName(k))
			}
		}
	}
	return nil
}

func envName(k string) string {
	return strings.ToUpper(nonAlnumRE.ReplaceAllString(k, "_"))
}

func newMCPListCmd(app *App) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the configured MCP servers",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			entries := mcpEntries(cfg.Config.MCPServers)
			if asJSON {
				if entries == nil {
					entries = []mcpEntry{}
				}
				return writeJSON(app, entries)
			}
			if len(entries) == 0 {
				fmt.Fprintln(app.Stderr, "no MCP servers configured; add one with 'hermes mcp add NAME -- COMMAND' or 'hermes mcp add NAME --url URL'")
				return nil
			}
			tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tTRANSPORT\tENABLED\tTRUST\tTARGET")
			for _, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", e.Name, e.Transport, e.Enabled, e.Trust, e.Target)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return c
}

// mcpEntry is one line of `hermes mcp list`.
type mcpEntry struct {
	Name      string   `json:"name"`
	Transport string   `json:"transport"`
	Enabled   bool     `json:"enabled"`
	Trust     string   `json:"trust"`
	Target    string   `json:"target"` // the command line or the url
	Env       []string `json:"env,omitempty"`
	Headers   []string `json:"headers,omitempty"`
	Include   []string `json:"include,omitempty"`
	Exclude   []string `json:"exclude,omitempty"`
}

// mcpEntries lists the servers, sorted, with env and header names only:
// their values may be secrets written out despite the advice.
func mcpEntries(servers map[string]config.MCPServer) []mcpEntry {
	var out []mcpEntry
	for name, s := range servers {
		e := mcpEntry{Name: name, Transport: s.Transport, Enabled: s.Enabled, Trust: s.Trust,
			Env: sortedNames(s.Env), Headers: sortedNames(s.Headers), Include: s.Include, Exclude: s.Exclude}
		if e.Transport == "" {
			e.Transport = "stdio"
			if s.Command == "" {
				e.Transport = "http"
			}
		}
		if s.Command != "" {
			e.Target = strings.Join(append([]string{s.Command}, s.Args...), " ")
		} else {
			e.Target = s.URL
		}
		e.Target = redact.Default().String(e.Target)
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sortedNames(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func newMCPRemoveCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an MCP server from config.yaml",
		Args:  exactArgs(1, "NAME"),
		RunE: func(_ *cobra.Command, args []string) error {
			name := args[0]
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			if _, ok := cfg.Config.MCPServers[name]; !ok {
				return fmt.Errorf("no mcp server %s in config.yaml (see 'hermes mcp list')", name)
			}
			h, err := app.Home()
			if err != nil {
				return err
			}
			path := h.Path(home.ConfigFile)
			if err := config.SetMany(path, []config.KeyValue{{Key: "mcp_servers." + name, Unset: true}}); err != nil {
				return err
			}
			fmt.Fprintf(app.Stderr, "removed mcp server %s from %s\n", name, displayPath(path))
			return nil
		},
	}
}

func newMCPTestCmd(app *App) *cobra.Command {
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "test NAME",
		Short: "Start an MCP server, list its tools and time it",
		Long: `Start the server as the agent would (also when it is disabled), list its
tools, resources and prompts, and stop it. The server's tool names go to
stdout, one per line; what the model calls each one, and the timing, to
stderr. Exit 1 when the server does not start or list its tools.`,
		Args: exactArgs(1, "NAME"),
		RunE: func(c *cobra.Command, args []string) error {
			name := args[0]
			cfg, err := app.Config()
			if err != nil {
				return err
			}
			s, ok := cfg.Config.MCPServers[name]
			if !ok {
				return fmt.Errorf("no mcp server %s in config.yaml (see 'hermes mcp list')", name)
			}
			h, err := app.Home()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(c.Context(), timeout)
			defer cancel()
			rep, err := mcp.Test(ctx, name, s, mcp.Options{HomeDir: h.Dir, StartTimeout: timeout})
			if err != nil {
				return fmt.Errorf("%w (its stderr is in %s)", err, displayPath(h.Path(home.LogsDir, mcp.StderrLog)))
			}
			printMCPTest(app, rep)
			return nil
		},
	}
	c.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "give up after `D`")
	return c
}

func printMCPTest(app *App, rep mcp.TestReport) {
	for _, t := range rep.Tools {
		fmt.Fprintln(app.Stdout, t.Name)
	}
	fmt.Fprintf(app.Stderr, "mcp server %s (%s): %d tool%s, %d resource%s, %d prompt%s; started in %s, stopped in %s\n",
		rep.Name, rep.Transport, len(rep.Tools), plural(len(rep.Tools)), len(rep.Resources), plural(len(rep.Resources)),
		len(rep.Prompts), plural(len(rep.Prompts)), rep.Start.Round(time.Millisecond), rep.Close.Round(time.Millisecond))
	for _, t := range rep.Tools {
		if t.Exposed == "" {
			fmt.Fprintf(app.Stderr, "  %s: left out by include/exclude\n", t.Name)
		} else {
			fmt.Fprintf(app.Stderr, "  %s: the model calls it %s\n", t.Name, t.Exposed)
		}
	}
}
