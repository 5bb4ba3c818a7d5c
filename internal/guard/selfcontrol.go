package guard

import (
	"strings"

	"github.com/hermes-go/hermes/internal/guard/detect"
)

// selfCategory is the detect category of the keys that protect the
// agent's own controls: its configuration, secrets and process.
const selfCategory = "hermes"

// selfControlActions says, per hermes.* key, what the user does instead of
// letting the agent do it.
var selfControlActions = map[string]string{
	"hermes.self_tamper": "the user changes the configuration themselves with `hermes config set KEY VALUE` " +
		"(or `hermes config edit`), and keys, memory, skills and cron jobs with `hermes auth`, `hermes memory`, `hermes skills` and `hermes cron`",
	"hermes.read_secrets": "the user reads or edits the hermes home's .env and auth.json themselves (`hermes auth` manages provider keys)",
}

// selfControlHint returns, when a match protects the agent's own controls,
// the end of a denial reason that tells what the user runs instead of
// suggesting an allowlist entry; "" when no match does.
func selfControlHint(ms []detect.Match) string {
	var keys, actions []string
	seen := map[string]bool{}
	for _, m := range ms {
		if m.Category != selfCategory || seen[m.Key] {
			continue
		}
		seen[m.Key] = true
		keys = append(keys, m.Key)
		a, ok := selfControlActions[m.Key]
		if !ok {
			a = "the user runs that hermes command themselves, outside the agent"
		}
		if !seen[a] {
			seen[a] = true
			actions = append(actions, a)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	return "it touches hermes's own controls (" + strings.Join(keys, ", ") + ") and an agent must not change its own approvals, " +
		"so no allowlist entry is suggested; " + strings.Join(actions, "; ")
}

// allowHint is the end of a denial reason: the self-control hint when one
// applies, else generic (how to allow the command).
func allowHint(ms []detect.Match, generic string) string {
	if h := selfControlHint(ms); h != "" {
		return h
	}
	return generic
}
