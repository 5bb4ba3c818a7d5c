package sandbox

import (
	"sort"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/redact"
)

// blockedNames are variables no child process may see, not even through
// terminal.env_passthrough: provider keys and endpoints, tokens of code
// hosts and sandbox vendors, passwords.
var blockedNames = map[string]bool{
	"OPENAI_API_KEY": true, "OPENAI_BASE_URL": true, "OPENAI_API_BASE": true, "OPENAI_ORG_ID": true,
	"OPENAI_ORGANIZATION": true, "OPENAI_PROJECT_ID": true,
	"ANTHROPIC_API_KEY": true, "ANTHROPIC_AUTH_TOKEN": true, "ANTHROPIC_BASE_URL": true,
	"OPENROUTER_API_KEY": true, "OPENROUTER_BASE_URL": true,
	"OLLAMA_HOST": true, "OLLAMA_API_KEY": true,
	"GOOGLE_API_KEY": true, "GEMINI_API_KEY": true, "GOOGLE_APPLICATION_CREDENTIALS": true,
	"GROQ_API_KEY": true, "XAI_API_KEY": true, "MISTRAL_API_KEY": true, "DEEPSEEK_API_KEY": true,
	"TOGETHER_API_KEY": true, "FIREWORKS_API_KEY": true, "PERPLEXITY_API_KEY": true, "COHERE_API_KEY": true,
	"NOUS_API_KEY": true, "HF_TOKEN": true, "HUGGINGFACE_API_KEY": true, "HUGGING_FACE_HUB_TOKEN": true,
	"REPLICATE_API_TOKEN": true, "FAL_KEY": true, "TAVILY_API_KEY": true, "EXA_API_KEY": true,
	"FIRECRAWL_API_KEY": true, "BRAVE_API_KEY": true, "SERPER_API_KEY": true, "ELEVENLABS_API_KEY": true,
	"AZURE_OPENAI_API_KEY": true, "AZURE_OPENAI_ENDPOINT": true, "VOYAGE_API_KEY": true,
	"GH_TOKEN": true, "GITHUB_TOKEN": true, "GH_ENTERPRISE_TOKEN": true, "GITHUB_ENTERPRISE_TOKEN": true,
	"GITLAB_TOKEN": true, "CI_JOB_TOKEN": true,
	"MODAL_TOKEN_ID": true, "MODAL_TOKEN_SECRET": true, "DAYTONA_API_KEY": true, "E2B_API_KEY": true,
	"SUDO_PASSWORD": true, "EMAIL_PASSWORD": true, "HERMES_PASSWORD": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
}

// blockedPrefixes start the names of messaging tokens, allowlists and the
// gateway's own settings (the same families a profile clone leaves out).
var blockedPrefixes = []string{"HERMES_GATEWAY_", "HERMES_API_", "HERMES_AUTH_"}

// reservedSuffixes end the names of authorization lists.
var reservedSuffixes = []string{"_ALLOWED_USERS", "_ALLOWLIST", "_ALLOWED_CHATS"}

// secretPrefixes and secretSuffixes are the shapes of credential names:
// whatever the vendor, a variable called *_TOKEN, *_PAT, *_PASSWORD or
// AWS_* holds, or points at, something a command must not be handed.
var (
	secretPrefixes = []string{"AWS_", "VAULT_"}
	secretSuffixes = []string{
		"_TOKEN", "_PAT", "_SECRET", "_PASSWORD", "_PASSWD", "_PASS", "_PW", "_PWD",
		"_KEY", "_API_KEY", "_CREDENTIALS", "_CREDENTIAL",
	}
)

// kept are the variables every child keeps whatever their value looks
// like: what a shell and the usual tools need to work.
var kept = map[string]bool{
	"PATH": true, "HOME": true, "USER": true, "LOGNAME": true, "SHELL": true, "PWD": true, "OLDPWD": true,
	"LANG": true, "LANGUAGE": true, "TERM": true, "COLORTERM": true, "TZ": true, "TMPDIR": true,
	"HOSTNAME": true, "EDITOR": true, "VISUAL": true, "PAGER": true, "LS_COLORS": true, "SHLVL": true,
}

// Reserved reports whether a child process must never see the variable
// name, not even when terminal.env_passthrough names it: a provider key or
// base URL, a messaging token or allowlist, the gateway's settings, a code
// host or sandbox-vendor token, or a password from the list. The check is
// case-insensitive, so `openai_api_key` is reserved as well.
func Reserved(name string) bool {
	up := strings.ToUpper(name)
	if blockedNames[up] || config.IsMessagingVar(up) {
		return true
	}
	for _, p := range blockedPrefixes {
		if strings.HasPrefix(up, p) {
			return true
		}
	}
	for _, s := range reservedSuffixes {
		if strings.HasSuffix(up, s) {
			return true
		}
	}
	return false
}

// SecretShape reports whether name looks like a credential's by its shape
// (AWS_*, VAULT_*, *_TOKEN, *_PAT, *_SECRET, *_PASSWORD, *_PASS, *_PW,
// *_PWD, *_KEY, *_API_KEY, *_CREDENTIALS), case-insensitively. Such a
// variable reaches a child only when terminal.env_passthrough names it.
func SecretShape(name string) bool {
	up := strings.ToUpper(name)
	if kept[up] {
		return false
	}
	for _, p := range secretPrefixes {
		if strings.HasPrefix(up, p) {
			return true
		}
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(up, s) {
			return true
		}
	}
	return false
}

// Blocked reports whether a child process does not see the variable name
// by default: Reserved, or a credential by its shape (SecretShape).
func Blocked(name string) bool { return Reserved(name) || SecretShape(name) }

// SecretValue reports whether the redactor (internal/redact, the process'
// one with its extra patterns) would mask something in the variable as a
// child would print it, NAME=VALUE: a vendor token, a password in a URL, a
// private key. The variables in kept are never secret.
func SecretValue(name, value string) bool {
	if value == "" || kept[strings.ToUpper(name)] {
		return false
	}
	kv := name + "=" + value
	return redact.Default().String(kv) != kv
}

// FilterEnv returns the environment a child process gets: parent (KEY=VALUE
// entries, as os.Environ) without every Blocked name and every value the
// redactor would mask (SecretValue). extra adds variables
// (terminal.env_passthrough values looked up by the caller, or a command's
// own Env): these were named on purpose, so only Reserved names are
// dropped from them; passthrough cannot re-allow a provider key. Later
// entries win, as in os/exec; the result is sorted.
func FilterEnv(parent []string, extra map[string]string) []string {
	keep := make(map[string]string, len(parent)+len(extra))
	for _, kv := range parent {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || Blocked(k) || SecretValue(k, v) {
			continue
		}
		keep[k] = v
	}
	for k, v := range extra {
		if k == "" || Reserved(k) {
			continue
		}
		keep[k] = v
	}
	out := make([]string, 0, len(keep))
	for k, v := range keep {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Passthrough looks up each name of terminal.env_passthrough in lookup (the
// home's .env, then the process environment) and returns those that are set
// and not Reserved, for FilterEnv's extra. A name of a credential's shape
// (GITHUB_PAT, NPM_TOKEN) does pass: naming it is the user's decision.
func Passthrough(names []string, lookup func(string) (string, bool)) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		if Reserved(n) {
			continue
		}
		if v, ok := lookup(n); ok {
			out[n] = v
		}
	}
	return out
}
