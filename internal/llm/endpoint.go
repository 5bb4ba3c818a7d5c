package llm

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/config"
)

// Wire formats.
const (
	ChatCompletions   = "chat_completions"
	AnthropicMessages = "anthropic_messages"
)

// builtin describes a provider hermes knows without a providers entry.
type builtin struct {
	baseURL string
	apiMode string
	keyEnv  string
	keyless bool // a local server that needs no key
}

var builtins = map[string]builtin{
	"openrouter": {baseURL: "https://openrouter.ai/api/v1", apiMode: ChatCompletions, keyEnv: "OPENROUTER_API_KEY"},
	"openai":     {baseURL: "https://api.openai.com/v1", apiMode: ChatCompletions, keyEnv: "OPENAI_API_KEY"},
	"anthropic":  {baseURL: "https://api.anthropic.com", apiMode: AnthropicMessages, keyEnv: "ANTHROPIC_API_KEY"},
	"ollama":     {baseURL: "http://127.0.0.1:11434/v1", apiMode: ChatCompletions, keyEnv: "OLLAMA_API_KEY", keyless: true},
	"custom":     {apiMode: ChatCompletions},
}

// Endpoint is one provider and model, resolved: where to send requests,
// in which wire format, and where its keys come from.
type Endpoint struct {
	Provider string        // the name in config: a builtin or a providers entry
	Model    string        // the model name sent
	BaseURL  string        // where requests go; a key is only ever sent here
	APIMode  string        // ChatCompletions or AnthropicMessages
	KeyEnv   string        // the variable holding its key, if any
	Pool     string        // the credential pool in auth.json; "" for none
	Keyless  bool          // may be called without a key (ollama, or no key_env named)
	Timeout  time.Duration // one request's time limit
}

// Label names the endpoint for messages: "openai/gpt-4o".
func (e Endpoint) Label() string { return e.Provider + "/" + e.Model }

// Host is the host requests go to, for messages.
func (e Endpoint) Host() string {
	if u, err := url.Parse(e.BaseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return e.BaseURL
}

// spec is what config says about one endpoint before resolution.
type spec struct {
	provider, model, baseURL, apiMode, keyEnv string
	timeout                                   time.Duration
}

// resolve turns a spec into an Endpoint. primaryCustom is the base URL of
// the primary custom endpoint: the "custom" pool belongs to it alone, so
// its keys never reach another custom URL.
func resolve(cfg *config.Config, s spec, primaryCustom string) (Endpoint, error) {
	e := Endpoint{Provider: s.provider, Model: s.model, BaseURL: s.baseURL, APIMode: s.apiMode, KeyEnv: s.keyEnv, Timeout: s.timeout}
	if e.Timeout == 0 {
		e.Timeout = cfg.Model.Timeout.D()
	}
	if named, ok := cfg.Providers[s.provider]; ok {
		e.BaseURL = first(s.baseURL, named.BaseURL)
		e.APIMode = first(s.apiMode, named.APIMode, ChatCompletions)
		e.KeyEnv = first(s.keyEnv, named.KeyEnv)
		e.Model = first(s.model, named.Model)
		e.Pool = s.provider
	} else if b, ok := builtins[s.provider]; ok {
		e.BaseURL = first(s.baseURL, b.baseURL)
		e.APIMode = first(s.apiMode, b.apiMode)
		e.KeyEnv = first(s.keyEnv, b.keyEnv)
		e.Keyless = b.keyless
		e.Pool = s.provider
		if s.provider == "custom" && strings.TrimRight(e.BaseURL, "/") != strings.TrimRight(primaryCustom, "/") {
			e.Pool = ""
		}
	} else {
		return e, fmt.Errorf("unknown provider %q; want one of openrouter, openai, anthropic, ollama, custom, or a providers entry", s.provider)
	}
	// An endpoint that names no key variable (a local server) is called
	// without a key unless keys are added to its pool.
	if e.KeyEnv == "" {
		e.Keyless = true
	}
	switch {
	case e.BaseURL == "":
		return e, fmt.Errorf("%s: no base_url", e.Label())
	case e.Model == "":
		return e, fmt.Errorf("provider %s: no model", e.Provider)
	case e.APIMode != ChatCompletions && e.APIMode != AnthropicMessages:
		return e, fmt.Errorf("%s: unknown api_mode %q", e.Label(), e.APIMode)
	}
	return e, nil
}

func first(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func primarySpec(cfg *config.Config) spec {
	m := cfg.Model
	return spec{provider: m.Provider, model: m.Default, baseURL: m.BaseURL, apiMode: m.APIMode, keyEnv: m.KeyEnv, timeout: m.Timeout.D()}
}

func endpointSpec(e config.Endpoint) spec {
	return spec{provider: e.Provider, model: e.Model, baseURL: e.BaseURL, apiMode: e.APIMode, keyEnv: e.KeyEnv, timeout: e.Timeout.D()}
}

// Chain resolves the primary model and, when model.auto_fallback is on,
// the fallback_providers after it.
func Chain(cfg *config.Config) ([]Endpoint, error) {
	p := primarySpec(cfg)
	primary, err := resolve(cfg, p, p.baseURL)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	chain := []Endpoint{primary}
	if !cfg.Model.AutoFallback {
		return chain, nil
	}
	for i, f := range cfg.FallbackProviders {
		e, err := resolve(cfg, endpointSpec(f), primaryCustomURL(cfg))
		if err != nil {
			return nil, fmt.Errorf("fallback_providers.%d: %w", i, err)
		}
		chain = append(chain, e)
	}
	return chain, nil
}

func primaryCustomURL(cfg *config.Config) string {
	if cfg.Model.Provider == "custom" {
		return cfg.Model.BaseURL
	}
	return ""
}

// Tasks are the auxiliary side tasks that resolve their own chain.
var Tasks = []string{"compression", "vision", "web_extract", "title", "session_search", "approval"}

// DelegationTask is the side "task" of delegated children: its endpoint is
// delegation.model, resolved like an auxiliary task's.
const DelegationTask = "delegation"

// AuxChain resolves the chain of a side task: auxiliary.<task> (or
// delegation.model for DelegationTask) when it
// names a provider or model (a model alone uses the main provider), then
// the main chain, without repeats.
func AuxChain(cfg *config.Config, task string) ([]Endpoint, error) {
	main, err := Chain(cfg)
	if err != nil {
		return nil, err
	}
	a, ok := auxEndpoint(cfg, task)
	if !ok {
		return nil, fmt.Errorf("unknown auxiliary task %q (want one of %s)", task, strings.Join(Tasks, ", "))
	}
	if a.Provider == "" && a.Model == "" {
		return main, nil
	}
	s := endpointSpec(a)
	if s.provider == "" {
		s.provider, s.baseURL, s.apiMode, s.keyEnv = cfg.Model.Provider, first(s.baseURL, cfg.Model.BaseURL), first(s.apiMode, cfg.Model.APIMode), first(s.keyEnv, cfg.Model.KeyEnv)
	}
	if s.model == "" {
		s.model = cfg.Model.Default
	}
	e, err := resolve(cfg, s, primaryCustomURL(cfg))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", auxKey(task), err)
	}
	chain := []Endpoint{e}
	for _, m := range main {
		if m.Label() != e.Label() || m.BaseURL != e.BaseURL {
			chain = append(chain, m)
		}
	}
	return chain, nil
}

func auxEndpoint(cfg *config.Config, task string) (config.Endpoint, bool) {
	a := cfg.Auxiliary
	m := map[string]config.Endpoint{
		"compression": a.Compression, "vision": a.Vision, "web_extract": a.WebExtract,
		"title": a.Title, "session_search": a.SessionSearch, "approval": a.Approval,
	}
	if task == DelegationTask {
		return cfg.Delegation.Model, true
	}
	e, ok := m[task]
	return e, ok
}

// auxKey is the config key of a side task's endpoint.
func auxKey(task string) string {
	if task == DelegationTask {
		return "delegation.model"
	}
	return "auxiliary." + task
}
