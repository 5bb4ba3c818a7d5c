package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/tools"
)

// Limits of web_search.
const (
	DefaultResults = 5
	MaxResults     = 20
	searchTimeout  = 20 * time.Second
	maxSearchBody  = 2 << 20
	maxSnippet     = 500
)

// The variables that choose a backend, in the order they are tried.
const (
	EnvBrave   = "BRAVE_API_KEY"
	EnvTavily  = "TAVILY_API_KEY"
	EnvSearXNG = "SEARXNG_URL"
)

// Search is the web_search tool. The zero value is what the agent uses:
// keys come from the process environment, then the home's .env.
type Search struct {
	// getenv overrides the process environment (tests).
	getenv func(string) string
	// braveURL and tavilyURL override the APIs' base URLs (tests).
	braveURL, tavilyURL string
}

var _ tools.Tool = Search{}

func (Search) Name() string    { return "web_search" }
func (Search) Toolset() string { return Toolset }
func (Search) Description() string {
	return "Search the web and return titles, URLs and snippets. Follow up with web_extract to read a result."
}
func (Search) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` +
		`"query":{"type":"string","description":"what to search for"},` +
		`"limit":{"type":"integer","minimum":1,"maximum":20,"description":"how many results (default 5)"}},` +
		`"required":["query"],"additionalProperties":false}`)
}

type searchArgs struct {
	Query string `json:"query"`
	Limit int    `json:"limit"`
}

// result is one search hit.
type result struct {
	Title, URL, Snippet string
}

// backend is one search API.
type backend interface {
	name() string
	search(ctx context.Context, c *http.Client, query string, limit int) ([]result, error)
}

func (t Search) Run(ctx context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a searchArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return tools.Errorf("web_search: bad arguments (%v); pass {\"query\": \"...\"}", err), nil
	}
	a.Query = strings.TrimSpace(a.Query)
	switch {
	case a.Query == "":
		return tools.Errorf("web_search: query is missing; pass what to search for"), nil
	case a.Limit < 0 || a.Limit > MaxResults:
		return tools.Errorf("web_search: limit %d is out of range; use 1 to %d", a.Limit, MaxResults), nil
	case a.Limit == 0:
		a.Limit = DefaultResults
	}
	b, err := t.backend(env)
	if err != nil {
		return tools.Errorf("web_search: %v", err), nil
	}
	ctx, cancel := context.WithTimeout(ctx, searchTimeout)
	defer cancel()
	res, err := b.search(ctx, &http.Client{}, a.Query, a.Limit)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("timed out after %s; try again", searchTimeout)
		}
		return tools.Errorf("web_search: %s: %v", b.name(), err), nil
	}
	return tools.Result{Content: format(a.Query, b.name(), res, a.Limit)}, nil
}

// backend picks the first configured backend: Brave, Tavily, SearXNG.
func (t Search) backend(env *tools.Env) (backend, error) {
	lookup := t.lookup(env)
	if k := lookup(EnvBrave); k != "" {
		return brave{base: or(t.braveURL, "https://api.search.brave.com"), key: k}, nil
	}
	if k := lookup(EnvTavily); k != "" {
		return tavily{base: or(t.tavilyURL, "https://api.tavily.com"), key: k}, nil
	}
	if u := lookup(EnvSearXNG); u != "" {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("%s=%q is not an http(s) URL; set it to the instance's address, e.g. http://localhost:8888", EnvSearXNG, u)
		}
		return searxng{base: strings.TrimRight(u, "/")}, nil
	}
	return nil, fmt.Errorf("no search backend is configured; set %s, %s or %s in the environment or the hermes home's .env", EnvBrave, EnvTavily, EnvSearXNG)
}

// lookup reads a variable from the process environment, else the home's
// .env (read once per call).
func (t Search) lookup(env *tools.Env) func(string) string {
	getenv := t.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var dotenv *config.Env
	if env != nil && env.Home != "" {
		dotenv, _, _ = config.LoadEnv(filepath.Join(env.Home, config.EnvFileName))
	}
	return func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		v, _ := dotenv.Lookup(name)
		return strings.TrimSpace(v)
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func format(query, backend string, res []result, limit int) string {
	if len(res) == 0 {
		return fmt.Sprintf("no results for %q (%s); try other words", query, backend)
	}
	var b strings.Builder
	for i, r := range res[:min(len(res), limit)] {
		fmt.Fprintf(&b, "%d. %s\n   %s\n", i+1, oneLine(r.Title, 200), r.URL)
		if s := oneLine(r.Snippet, maxSnippet); s != "" {
			fmt.Fprintf(&b, "   %s\n", s)
		}
	}
	return b.String()
}

// oneLine folds whitespace, drops the <strong> marks some APIs put in
// snippets, and cuts s at n bytes.
func oneLine(s string, n int) string {
	s = strings.NewReplacer("<strong>", "", "</strong>", "", "<b>", "", "</b>", "").Replace(s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
