package sandbox

import (
	"sort"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
)

// blockedNames are variables no child process may see: provider keys and
// endpoints, tokens of code hosts and sandbox vendors, passwords.
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

// Blocked reports whether a child process must never see the variable
// name: a provider key or base URL, a messaging token or allowlist, a code
// host or sandbox-vendor token, or a password. The check is
// case-insensitive, so `openai_api_key` is blocked as well.
func Blocked(name string) bool {
	up := strings.ToUpper(name)
	if blockedNames[up] || config.IsMessagingVar(up) {
		return true
	}
	for _, p := range blockedPrefixes {
		if strings.HasPrefix(up, p) {
			return true
		}
	}
	// Any other *_API_KEY, *_ALLOWED_USERS or *_ALLOWLIST belongs to a
	// provider, a tool vendor or an authorization list.
	for _, s := range []string{"_API_KEY", "_ALLOWED_USERS", "_ALLOWLIST", "_ALLOWED_CHATS"} {
		if strings.HasSuffix(up, s) {
			return true
		}
	}
	return false
}

// FilterEnv returns the environment a child process gets: parent (KEY=VALUE
// entries, as os.Environ) without every Blocked name. extra adds variables
// (terminal.env_passthrough values looked up by the caller, or a command's
// own Env), but never a blocked one: passthrough cannot re-allow a
// credential. Later entries win, as in os/exec; the result is sorted.
func FilterEnv(parent []string, extra map[string]string) []string {
	kept := make(map[string]string, len(parent)+len(extra))
	for _, kv := range parent {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || Blocked(k) {
			continue
		}
		kept[k] = v
	}
	for k, v := range extra {
		if k == "" || Blocked(k) {
			continue
		}
		kept[k] = v
	}
	out := make([]string, 0, len(kept))
	for k, v := range kept {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Passthrough looks up each name of terminal.env_passthrough in lookup (the
// home's .env, then the process environment) and returns those that are set
// and not Blocked, for FilterEnv's extra.
func Passthrough(names []string, lookup func(string) (string, bool)) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		if Blocked(n) {
			continue
		}
		if v, ok := lookup(n); ok {
			out[n] = v
		}
	}
	return out
}
