#!/usr/bin/env bash
# demo.sh BIN: runs hermes end to end in a throwaway home and shows what a
# new user sees. No model is called: the agent itself is not built yet, so
# this demo covers the home, profiles and config, and says so.
set -euo pipefail
bin=$(realpath "${1:-bin/hermes}")
home=$(mktemp -d)/hermes-home
trap 'rm -rf "$(dirname "$home")"' EXIT
export HERMES_HOME=$home HERMES_PROFILE=
unset VISUAL EDITOR

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "$*"; "$@" || echo "(exit $?)"; }

echo "hermes demo: a throwaway home at $home"
echo "No model is called here: the conversation agent is not built yet."

hermes() { "$bin" "$@"; }

run hermes version
run hermes config check
step "ls -la \$HERMES_HOME"; ls -la "$home"

run hermes config set model.provider openai
run hermes config set model.default gpt-4o
run hermes config set fallback_providers '[{provider: anthropic, model: claude-sonnet-4}]'
run hermes config set approvals.mode smart
step "cat \$HERMES_HOME/config.yaml"; cat "$home/config.yaml"

run hermes config set agent.max_turns lots
run hermes config set approvals.mdoe smart

step "echo 'OPENAI_API_KEY=sk-demo' > \$HERMES_HOME/.env; echo 'TELEGRAM_BOT_TOKEN=123:demo' >> .env"
printf 'OPENAI_API_KEY=sk-demo\nTELEGRAM_BOT_TOKEN=123:demo\n' > "$home/.env"; chmod 600 "$home/.env"
run hermes profile create work --clone
run hermes -p work config set agent.max_turns 40
run hermes profile list
run hermes profile use work
run hermes profile show

step "a broken edit: an unclosed quote and a typo"
printf 'model:\n  default: "gpt-4o\napprovals:\n  mdoe: smart\n' > "$home/profiles/work/config.yaml"
run hermes config check
run hermes config get agent.max_turns
printf 'model:\n  default: gpt-4o\napprovals:\n  mdoe: smart\n' > "$home/profiles/work/config.yaml"
run hermes config check

step "summary"
ok() { printf '  \033[32m✓\033[0m %s\n' "$*"; }
warn() { printf '  \033[33m⚠\033[0m %s\n' "$*"; }
ok "binary: $("$bin" version)"
ok "home: $home ($(stat -c %a "$home"))"
if "$bin" -p default config check >/dev/null 2>&1; then ok "default profile: config valid"; else warn "default profile: config has problems"; fi
if "$bin" -p work config check >/dev/null 2>&1; then ok "work profile: config valid"; else warn "work profile: config has problems (hermes -p work config check)"; fi
ok ".env mode $(stat -c %a "$home/.env")"
echo
echo "Next: the agent (hermes chat) arrives with the agent issue; until then no model is called."
