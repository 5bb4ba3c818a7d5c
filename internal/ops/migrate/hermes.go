package migrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/home"
)

// maxSourceFile bounds a source file read whole (config, jobs, pools).
const maxSourceFile = 16 << 20

func readSmall(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (a link?): copy what you need by hand", path)
	}
	if fi.Size() > maxSourceFile {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, maxSourceFile>>20)
	}
	return os.ReadFile(path)
}

// hermesRules map the Python Hermes Agent's config.yaml onto ours
// (docs/migrate.md has the table).
var hermesRules = compile(append(auxRules(), []rule{
	{Src: "model", Dst: "model.default"}, // the old form: model: "vendor/name"
	{Src: "model.default", Dst: "model.default"},
	{Src: "model.model", Dst: "model.default"},
	{Src: "model.provider", Dst: "model.provider", Conv: oneOf(hermesProviders)},
	{Src: "model.base_url", Dst: "model.base_url"},
	{Src: "model.api_mode", Dst: "model.api_mode", Conv: oneOf(apiModes)},
	{Src: "model.context_length", Dst: "model.context_length"},
	{Src: "model.streaming", Dst: "model.streaming"},
	{Src: "model.api_key", Dst: "env:OPENAI_API_KEY", Conv: secret},
	{Src: "providers.*.base_url", Dst: "providers.*.base_url"},
	{Src: "providers.*.api_mode", Dst: "providers.*.api_mode", Conv: oneOf(apiModes)},
	{Src: "providers.*.key_env", Dst: "providers.*.key_env"},
	{Src: "providers.*.model", Dst: "providers.*.model"},
	{Src: "providers.*.api_key", Dst: "providers.*.key_env", Conv: envRef},
	{Src: "terminal.backend", Dst: "terminal.backend", Conv: oneOf(map[string]string{"local": "local", "docker": "docker", "ssh": "ssh", "singularity": "singularity", "apptainer": "singularity", "modal": "modal", "daytona": ""})},
	{Src: "terminal.cwd", Dst: "terminal.cwd", Conv: notDot},
	{Src: "terminal.timeout", Dst: "terminal.timeout"},
	{Src: "terminal.docker_image", Dst: "terminal.docker.image"},
	{Src: "terminal.docker_run_as_host_user", Dst: "terminal.docker.run_as_host_user"},
	{Src: "terminal.container_cpu", Dst: "terminal.docker.cpus"},
	{Src: "terminal.container_memory", Dst: "terminal.docker.memory_mb"},
	{Src: "terminal.container_persistent", Dst: "terminal.docker.persistent"},
	{Src: "terminal.singularity_image", Dst: "terminal.singularity.image"},
	{Src: "terminal.modal_image", Dst: "terminal.modal.image"},
	{Src: "terminal.ssh_host", Dst: "terminal.ssh.host"},
	{Src: "terminal.ssh_user", Dst: "terminal.ssh.user"},
	{Src: "terminal.ssh_port", Dst: "terminal.ssh.port"},
	{Src: "terminal.ssh_key", Dst: "terminal.ssh.key_file"},
	{Src: "terminal.sudo_password", Dst: "env:SUDO_PASSWORD", Conv: secret},
	{Src: "approvals.mode", Dst: "approvals.mode", Conv: oneOf(map[string]string{"manual": "manual", "smart": "smart", "off": "off"})},
	{Src: "approvals.timeout", Dst: "approvals.timeout"},
	{Src: "command_allowlist", Dst: "command_allowlist"},
	{Src: "security.redact_secrets", Dst: "security.redact_secrets"},
	{Src: "compression.enabled", Dst: "compression.enabled"},
	{Src: "compression.threshold", Dst: "compression.threshold"},
	{Src: "compression.protect_last_n", Dst: "compression.keep_last"},
	{Src: "compression.protect_first_n", Dst: "compression.keep_first"},
	{Src: "memory.memory_enabled", Dst: "memory.enabled"},
	{Src: "memory.memory_char_limit", Dst: "memory.memory_char_limit"},
	{Src: "memory.user_char_limit", Dst: "memory.user_char_limit"},
	{Src: "skills.external_dirs", Dst: "skills.external_dirs"},
	{Src: "agent.max_turns", Dst: "agent.max_turns"},
	{Src: "delegation.max_iterations", Dst: "delegation.max_turns"},
	{Src: "display.show_reasoning", Dst: "display.show_reasoning"},
	{Src: "timezone", Dst: "cron.timezone"},
	{Src: "mcp_servers.*.command", Dst: "mcp_servers.*.command"},
	{Src: "mcp_servers.*.args", Dst: "mcp_servers.*.args"},
	{Src: "mcp_servers.*.url", Dst: "mcp_servers.*.url"},
	{Src: "mcp_servers.*.timeout", Dst: "mcp_servers.*.timeout"},
	{Src: "mcp_servers.*.enabled", Dst: "mcp_servers.*.enabled"},
	{Src: "_config_version", Why: "the source's own bookkeeping"},
	{Src: "fallback_model.*", Why: "add the fallback with hermes fallback add PROVIDER MODEL"},
	{Src: "fallback_providers", Why: "add each fallback with hermes fallback add PROVIDER MODEL"},
	{Src: "mcp_servers.*.env", Why: "MCP server env may hold secrets: copy it by hand, secrets into .env"},
	{Src: "mcp_servers.*.headers", Why: "MCP server headers may hold secrets: copy them by hand, secrets into .env"},
}...))

// auxRules map the auxiliary tasks we have (title_generation is our
// title); the Python agent's other tasks have no equivalent.
func auxRules() []rule {
	var out []rule
	tasks := map[string]string{"compression": "compression", "vision": "vision", "web_extract": "web_extract",
		"title_generation": "title", "session_search": "session_search", "approval": "approval"}
	names := make([]string, 0, len(tasks))
	for n := range tasks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, from := range names {
		to := "auxiliary." + tasks[from] + "."
		src := "auxiliary." + from + "."
		out = append(out,
			rule{Src: src + "provider", Dst: to + "provider", Conv: oneOf(hermesProviders)},
			rule{Src: src + "model", Dst: to + "model", Conv: nonEmpty},
			rule{Src: src + "base_url", Dst: to + "base_url", Conv: nonEmpty},
			rule{Src: src + "timeout", Dst: to + "timeout"})
	}
	return out
}

// hermesProviders maps the Python agent's provider names onto ours.
var hermesProviders = map[string]string{
	"openrouter": "openrouter", "anthropic": "anthropic", "openai": "openai", "custom": "custom",
	"ollama": "ollama", "vllm": "custom", "llamacpp": "custom", "lmstudio": "custom",
	"auto": "", "nous": "", "nous-api": "", "openai-codex": "", "copilot": "", "gemini": "", "zai": "",
}

var apiModes = map[string]string{"chat_completions": "chat_completions", "anthropic_messages": "anthropic_messages"}

var reEnvRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// envRef keeps a key given as ${VAR}: our key_env names the variable.
func envRef(v any) (string, string) {
	s, _ := v.(string)
	if m := reEnvRef.FindStringSubmatch(strings.TrimSpace(s)); m != nil {
		return m[1], ""
	}
	return "", "a key written into config.yaml: put it in .env and set key_env (the value is not shown)"
}

func notDot(v any) (string, string) {
	if s := render(v); s != "." && s != "" {
		return s, ""
	}
	return "", "the current directory is our default too"
}

func nonEmpty(v any) (string, string) {
	if s := render(v); s != "" {
		return s, ""
	}
	return "", "empty"
}

// readHermes reads a Python Hermes Agent home.
func readHermes(src string, now time.Time) (*bundle, error) {
	b := &bundle{}
	if data, err := readSmall(filepath.Join(src, home.ConfigFile)); err == nil {
		ls, err := leaves(data)
		if err != nil {
			b.note("config", home.ConfigFile, Failed, "cannot parse: "+err.Error(), filepath.Join(src, home.ConfigFile))
		} else {
			mapLeaves(b, filepath.Join(src, home.ConfigFile), ls, hermesRules)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		b.note("config", home.ConfigFile, Failed, err.Error(), filepath.Join(src, home.ConfigFile))
	}
	readEnvFile(b, filepath.Join(src, home.EnvFile), nil) // the Python agent's variables have our names
	readHermesAuth(b, filepath.Join(src, home.AuthFile))
	for _, f := range []fileCopy{
		{Kind: "soul", Name: "SOUL.md", Src: filepath.Join(src, "SOUL.md"), Dst: home.SoulFile},
		{Kind: "memory", Name: "MEMORY.md", Src: filepath.Join(src, "memories", "MEMORY.md"), Dst: filepath.Join(home.MemoriesDir, "MEMORY.md")},
		{Kind: "memory", Name: "USER.md", Src: filepath.Join(src, "memories", "USER.md"), Dst: filepath.Join(home.MemoriesDir, "USER.md")},
	} {
		if fi, err := os.Lstat(f.Src); err == nil && fi.Mode().IsRegular() {
			b.files = append(b.files, f)
		} else if err == nil {
			b.note(f.Kind, f.Name, Skipped, "not a regular file (a link?): copy it by hand", f.Src)
		}
	}
	findSkills(b, filepath.Join(src, "skills"), home.SkillsDir)
	readHermesCron(b, filepath.Join(src, "cron", "jobs.json"), now)
	readHermesPairing(b, src)
	return b, readHermesState(b, filepath.Join(src, home.StateDB))
}

// knownEnv are the variables hermes reads by default (providers, tools,
// platforms); key_env may name others, which then come over by hand.
var knownEnv = []string{
	"OPENROUTER_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OLLAMA_API_KEY",
	"GEMINI_API_KEY", "GOOGLE_API_KEY", "GROQ_API_KEY", "DEEPSEEK_API_KEY", "MISTRAL_API_KEY", "XAI_API_KEY", "TOGETHER_API_KEY",
	"FIREWORKS_API_KEY", "NOUS_API_KEY", "HUGGINGFACE_API_KEY", "PERPLEXITY_API_KEY",
	"BRAVE_API_KEY", "EXA_API_KEY", "TAVILY_API_KEY", "FIRECRAWL_API_KEY", "SERPER_API_KEY", "SEARXNG_URL", "GITHUB_TOKEN",
	"MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET", "SUDO_PASSWORD",
	"TELEGRAM_BOT_TOKEN", "TELEGRAM_ALLOWED_USERS", "TELEGRAM_ALLOW_ALL_USERS", "TELEGRAM_HOME_CHANNEL",
	"DISCORD_BOT_TOKEN", "DISCORD_ALLOWED_USERS", "DISCORD_ALLOW_ALL_USERS", "DISCORD_HOME_CHANNEL",
	"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_ALLOWED_USERS", "SLACK_HOME_CHANNEL",
	"MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN", "MATRIX_ALLOWED_USERS",
	"EMAIL_PASSWORD", "EMAIL_ALLOWED_USERS", "GATEWAY_ALLOWED_USERS", "GATEWAY_ALLOW_ALL_USERS",
	"API_SERVER_KEY", "GITHUB_WEBHOOK_SECRET",
}

// readEnvFile maps a source .env: known names come over (renamed per
// renames), others are reported with their line. Values are never shown.
func readEnvFile(b *bundle, path string, renames map[string]string) {
	data, err := readSmall(path)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		b.note("env", home.EnvFile, Failed, err.Error(), path)
		return
	}
	env, probs := config.ParseEnv(path, data)
	for _, p := range probs {
		b.note("env", home.EnvFile, Failed, "cannot parse: "+p.String(), path)
	}
	known := map[string]bool{}
	for _, n := range knownEnv {
		known[n] = true
	}
	for _, e := range env.Entries() {
		where := fmt.Sprintf("%s:%d", path, e.Line)
		name := e.Name
		if to, ok := renames[name]; ok {
			name = to
		}
		switch {
		case name == "":
			b.note("env", e.Name, NoEquivalent, "no hermes setting reads it", where)
		case strings.TrimSpace(e.Value) == "":
			b.note("env", e.Name, Skipped, "empty", where)
		case !known[name]:
			b.note("env", e.Name, NoEquivalent, "no hermes setting reads it by default (a providers entry's key_env may: copy it by hand)", where)
		default:
			b.env = append(b.env, envValue{Name: name, Src: e.Name, Where: where, Value: e.Value})
		}
	}
}

// findSkills finds every directory holding a SKILL.md under root and
// maps it to the same place under ours (dst, relative to the home).
func findSkills(b *bundle, root, dst string) {
	if _, err := os.Lstat(root); err != nil {
		return
	}
	var dirs []string
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type()&os.ModeSymlink != 0 {
			if d.Name() == "SKILL.md" || isDir(path) {
				rel, _ := filepath.Rel(root, path)
				b.note("skill", rel, Skipped, "a link: copy it by hand", path)
			}
			return nil
		}
		if !d.IsDir() && d.Name() == "SKILL.md" {
			dirs = append(dirs, filepath.Dir(path))
			return nil
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir // hub caches, .git
		}
		return nil
	})
	sort.Strings(dirs)
	for i, d := range dirs {
		if i > 0 && strings.HasPrefix(d, dirs[i-1]+string(filepath.Separator)) {
			continue // a skill's own sub-folder
		}
		rel, _ := filepath.Rel(root, d)
		b.skills = append(b.skills, fileCopy{Kind: "skill", Name: rel, Src: d, Dst: filepath.Join(dst, rel)})
	}
}

// pyPool is the part of the Python agent's auth.json we read.
type pyPool struct {
	CredentialPool map[string][]struct {
		ID          string `json:"id"`
		Label       string `json:"label"`
		AuthType    string `json:"auth_type"`
		Source      string `json:"source"`
		AccessToken string `json:"access_token"`
	} `json:"credential_pool"`
}

func readHermesAuth(b *bundle, path string) {
	data, err := readSmall(path)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	var f pyPool
	if err == nil {
		err = json.Unmarshal(data, &f)
	}
	if err != nil {
		b.note("auth", home.AuthFile, Failed, "cannot read: "+err.Error(), path)
		return
	}
	providers := make([]string, 0, len(f.CredentialPool))
	for p := range f.CredentialPool {
		providers = append(providers, p)
	}
	sort.Strings(providers)
	for _, prov := range providers {
		ours := strings.TrimPrefix(prov, "custom:")
		for i, e := range f.CredentialPool[prov] {
			where := fmt.Sprintf("%s: credential_pool.%s[%d]", path, prov, i)
			name := prov + " " + orDash(e.Label)
			src := strings.ToLower(e.Source)
			switch {
			case strings.HasPrefix(src, "env:"):
				b.note("auth", name, Skipped, "its key comes from "+strings.TrimPrefix(e.Source, "env:")+", which comes over with .env", where)
			case e.AuthType != "" && e.AuthType != "api_key":
				b.note("auth", name, NoEquivalent, e.AuthType+" credentials cannot be moved: log in again or add an API key with hermes auth add", where)
			case strings.TrimSpace(e.AccessToken) == "":
				b.note("auth", name, Skipped, "no key", where)
			case !validProvider(ours):
				b.note("auth", name, NoEquivalent, "provider name "+prov+" is not one of ours", where)
			default:
				b.auth = append(b.auth, authKey{Provider: ours, Label: cleanLabel(e.Label), Key: strings.TrimSpace(e.AccessToken), Where: where})
			}
		}
	}
}

var reProvider = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func validProvider(p string) bool { return reProvider.MatchString(p) }

// cleanLabel keeps a label our pools accept: no spaces, not a number.
func cleanLabel(l string) string {
	l = strings.Join(strings.Fields(l), "-")
	if l == "" || strings.Trim(l, "0123456789") == "" || len(l) > 64 {
		return ""
	}
	return l
}
