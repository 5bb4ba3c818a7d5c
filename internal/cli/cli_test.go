package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/testenv"
)

type result struct {
	stdout, stderr string
	code           int
}

// hermes runs the real command tree with HERMES_HOME=home and extra
// environment.
func hermes(t *testing.T, home string, env map[string]string, args ...string) result {
	t.Helper()
	vars := map[string]string{"HERMES_HOME": home}
	for k, v := range env {
		vars[k] = v
	}
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb, func(k string) string { return vars[k] })
	return result{out.String(), errb.String(), code}
}

func writeFile(t testing.TB, path, data string, mode os.FileMode) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o700)
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := hermes(t, t.TempDir(), nil, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "hermes ") || strings.Count(r.stdout, "\n") != 1 {
			t.Errorf("%v: %+v", args, r)
		}
	}
	if r := hermes(t, t.TempDir(), nil, "version", "-v"); !strings.Contains(r.stdout, "linux/") {
		t.Errorf("version -v: %q", r.stdout)
	}
	var v versionJSON
	if r := hermes(t, t.TempDir(), nil, "version", "--json"); json.Unmarshal([]byte(r.stdout), &v) != nil || v.Version == "" || v.Platform == "" {
		t.Errorf("version --json: %+v", r)
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish"} {
		r := hermes(t, t.TempDir(), nil, "completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, "hermes") || len(r.stdout) < 500 {
			t.Errorf("%s: code %d, %d bytes, stderr %q", shell, r.code, len(r.stdout), r.stderr)
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"config", "get"}, {"config", "set", "a"}, {"version", "--nope"}, {"profile", "use"}} {
		r := hermes(t, t.TempDir(), nil, args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "hermes: ") {
			t.Errorf("%v: %+v", args, r)
		}
	}
	if r := hermes(t, t.TempDir(), nil, "frobnicate"); r.code == 0 || !strings.Contains(r.stderr, "unknown command") {
		t.Errorf("unknown command: %+v", r)
	}
}

func TestHomeIsCreated(t *testing.T) {
	t.Parallel()
	home := filepath.Join(t.TempDir(), "deep", "home")
	r := hermes(t, home, nil, "config", "path")
	if r.code != 0 || strings.TrimSpace(r.stdout) != filepath.Join(home, "config.yaml") {
		t.Fatalf("%+v", r)
	}
	for _, d := range []string{"memories", "skills", "cron/output", "logs", "platforms/pairing"} {
		if fi, err := os.Stat(filepath.Join(home, d)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v", d, err)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if r := hermes(t, home, nil, "config", "check"); r.code != 0 || !strings.HasPrefix(r.stdout, "ok: ") {
		t.Fatalf("fresh home: %+v", r)
	}
	writeFile(t, filepath.Join(home, "config.yaml"), "agent:\n  max_turns: lots\napprovals:\n  mdoe: smart\n", 0o600)
	writeFile(t, filepath.Join(home, ".env"), "OPENAI_API_KEY=sk-x\nnot an assignment\n", 0o644)
	r := hermes(t, home, nil, "config", "check")
	if r.code != 1 {
		t.Fatalf("code %d: %+v", r.code, r)
	}
	got := strings.ReplaceAll(r.stdout, home, "$HOME")
	testenv.Golden(t, "testdata/check_bad.golden", got)
	var problemLines int
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(l, "config.yaml:") || strings.HasPrefix(l, ".env:") {
			problemLines++
		}
	}
	if problemLines != 3 {
		t.Errorf("%d problem lines, want 3:\n%s", problemLines, r.stdout)
	}
	r = hermes(t, home, nil, "config", "check", "--json")
	var res checkResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 1 || res.OK || len(res.Problems) != 3 || len(res.Notes) != 1 {
		t.Fatalf("json: %v %+v", err, r)
	}
	if p := res.Problems[0]; p.Line != 2 || p.Col != 14 || p.Key != "agent.max_turns" || p.Severity != "error" {
		t.Errorf("first problem: %+v", p)
	}
}

// TestConfigCheckNotUsedYet: a key of a feature not built yet is a
// warning that does not fail the check, and other commands stay quiet.
func TestConfigCheckNotUsedYet(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config.yaml"), "cron:\n  enabled: true\n  timezone: UTC\ngateway:\n  busy_mode: queue\nauxiliary:\n  vision:\n    model: m\nagent:\n  max_turns: 20\n", 0o600)
	r := hermes(t, home, nil, "config", "check")
	// gateway is built (busy_mode draws nothing); no tool reads images yet.
	want := "not used yet: hermes has no tool that reads images yet"
	if r.code != 0 || !strings.Contains(r.stdout, want) || strings.Count(r.stdout, "not used yet") != 1 || !strings.Contains(r.stdout, "ok: ") {
		t.Errorf("config check: %+v", r)
	}
	if r := hermes(t, home, nil, "config", "get", "agent.max_turns"); r.code != 0 || strings.Contains(r.stderr, "not used yet") {
		t.Errorf("config get: %+v", r)
	}
}

// TestBrokenConfigStopsCommands: a syntax error stops every command that
// needs config, with the place and the offending line; never defaults.
func TestBrokenConfigStopsCommands(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config.yaml"), "model:\n  default: \"gpt-4o\n  provider: openai\n", 0o600)
	for _, args := range [][]string{{"config", "show"}, {"config", "get", "agent.max_turns"}, {"config", "set", "agent.max_turns", "5"}} {
		r := hermes(t, home, nil, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "config.yaml:2:12: YAML syntax: could not find end character of double-quoted text") ||
			!strings.Contains(r.stderr, `   2 |   default: "gpt-4o`) || r.stdout != "" {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

func TestWarningsPrintedOnce(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config.yaml"), "mode: smart\n", 0o600)
	writeFile(t, filepath.Join(home, ".env"), "OPENAI_API_KEY=sk-x\n", 0o644)
	r := hermes(t, home, nil, "config", "get", "approvals.mode")
	if r.code != 0 || r.stdout != "manual\n" {
		t.Fatalf("%+v", r)
	}
	if strings.Count(r.stderr, "did you mean approvals.mode?") != 1 || strings.Count(r.stderr, "readable by others") != 1 {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

func TestSetGetShow(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	cfg := filepath.Join(home, "config.yaml")
	writeFile(t, cfg, "# keep this comment\nagent:\n  max_turns: 90 # budget\n", 0o600)
	if r := hermes(t, home, nil, "config", "set", "agent.max_turns", "120"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if r := hermes(t, home, nil, "config", "set", "approvals.mode", "smart"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	data, _ := os.ReadFile(cfg)
	if string(data) != "# keep this comment\nagent:\n  max_turns: 120 # budget\napprovals:\n  mode: smart\n" {
		t.Errorf("config.yaml:\n%s", data)
	}
	if r := hermes(t, home, nil, "config", "get", "agent.max_turns"); r.stdout != "120\n" {
		t.Errorf("get: %+v", r)
	}
	r := hermes(t, home, nil, "config", "set", "agent.max_turns", "lots")
	if r.code != 1 || !strings.Contains(r.stderr, `want a whole number from 1 to 10000, got "lots" (config.yaml is unchanged)`) {
		t.Errorf("bad set: %+v", r)
	}
	if r := hermes(t, home, nil, "config", "get", "agent.maxturns"); r.code != 1 || !strings.Contains(r.stderr, "did you mean agent.max_turns?") {
		t.Errorf("unknown get: %+v", r)
	}
	r = hermes(t, home, nil, "config", "show")
	if r.code != 0 || !strings.Contains(r.stdout, "max_turns: 120") || !strings.Contains(r.stdout, "backend: auto") {
		t.Errorf("show: %+v", r)
	}
	if r := hermes(t, home, nil, "config", "schema"); r.code != 0 || !json.Valid([]byte(r.stdout)) {
		t.Errorf("schema: code %d", r.code)
	}
}

func TestConfigEdit(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	cfg := filepath.Join(home, "config.yaml")
	// Each "editor" is a script that writes prepared content into the
	// file it is given, as a person would save in a real editor.
	editor := func(content string) string {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "content"), content, 0o600)
		script := filepath.Join(dir, "ed.sh")
		writeFile(t, script, "#!/bin/sh\ncp '"+filepath.Join(dir, "content")+"' \"$1\"\n", 0o700)
		return script
	}
	good, bad := editor("agent:\n  max_turns: 12\n"), editor("agent:\n  max_turns: [\n")

	r := hermes(t, home, map[string]string{"EDITOR": good}, "config", "edit")
	if r.code != 0 || !strings.Contains(r.stderr, "saved") {
		t.Fatalf("good edit: %+v", r)
	}
	if data, _ := os.ReadFile(cfg); string(data) != "agent:\n  max_turns: 12\n" {
		t.Fatalf("config.yaml: %q", data)
	}
	r = hermes(t, home, map[string]string{"VISUAL": bad, "EDITOR": good}, "config", "edit")
	if r.code != 1 || !strings.Contains(r.stderr, "config.yaml:2:14: YAML syntax") || !strings.Contains(r.stderr, "config.yaml is unchanged") {
		t.Fatalf("bad edit: %+v", r)
	}
	if data, _ := os.ReadFile(cfg); string(data) != "agent:\n  max_turns: 12\n" {
		t.Fatalf("config.yaml changed by a bad edit: %q", data)
	}
	kept, _ := os.ReadFile(filepath.Join(home, "cache", "config.edit.yaml"))
	if string(kept) != "agent:\n  max_turns: [\n" {
		t.Errorf("the bad edit was not kept: %q", kept)
	}
	if r := hermes(t, home, map[string]string{"EDITOR": "false"}, "config", "edit"); r.code != 1 || !strings.Contains(r.stderr, `editor "false" failed`) {
		t.Errorf("failing editor: %+v", r)
	}
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config.yaml"), "model:\n  provider: openai\n  default: gpt-4o\n", 0o600)
	writeFile(t, filepath.Join(home, ".env"), "OPENAI_API_KEY=sk-1\nDISCORD_BOT_TOKEN=abc\n", 0o600)

	r := hermes(t, home, nil, "profile", "create", "work", "--clone")
	if r.code != 0 || !strings.Contains(r.stdout, "left out 1 messaging credential: DISCORD_BOT_TOKEN") {
		t.Fatalf("create: %+v", r)
	}
	if r := hermes(t, home, nil, "profile", "create", "x", "--clone-secrets"); r.code != 2 {
		t.Errorf("--clone-secrets alone: %+v", r)
	}
	if r := hermes(t, home, nil, "profile", "create", "../evil"); r.code != 1 || !strings.Contains(r.stderr, "invalid profile name") {
		t.Errorf("traversal: %+v", r)
	}
	r = hermes(t, home, nil, "profile", "list")
	if !strings.Contains(r.stdout, "* default  openai/gpt-4o") || !strings.Contains(r.stdout, "  work     openai/gpt-4o") {
		t.Errorf("list:\n%s", r.stdout)
	}
	// -p, HERMES_PROFILE and the sticky choice each select the profile.
	workCfg := filepath.Join(home, "profiles", "work", "config.yaml")
	if r := hermes(t, home, nil, "-p", "work", "config", "path"); strings.TrimSpace(r.stdout) != workCfg {
		t.Errorf("-p: %+v", r)
	}
	if r := hermes(t, home, map[string]string{"HERMES_PROFILE": "work"}, "config", "path"); strings.TrimSpace(r.stdout) != workCfg {
		t.Errorf("HERMES_PROFILE: %+v", r)
	}
	hermes(t, home, nil, "-p", "work", "config", "set", "agent.max_turns", "33")
	if r := hermes(t, home, nil, "profile", "use", "work"); r.code != 0 {
		t.Fatalf("use: %+v", r)
	}
	if r := hermes(t, home, nil, "config", "get", "agent.max_turns"); r.stdout != "33\n" {
		t.Errorf("sticky profile not used: %+v", r)
	}
	if r := hermes(t, home, nil, "-p", "default", "config", "get", "agent.max_turns"); r.stdout != "90\n" {
		t.Errorf("-p default: %+v", r)
	}
	r = hermes(t, home, nil, "profile", "show", "--json")
	var info profileInfo
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil || info.Name != "work" || !info.Active || info.EnvVars != 1 {
		t.Errorf("show: %v %+v", err, r)
	}
	if r := hermes(t, home, nil, "profile", "delete", "work"); r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("delete without --yes: %+v", r)
	}
	if r := hermes(t, home, nil, "profile", "delete", "work", "--yes"); r.code != 0 {
		t.Fatalf("delete: %+v", r)
	}
	if r := hermes(t, home, nil, "config", "get", "agent.max_turns"); r.code != 0 || r.stdout != "90\n" {
		t.Errorf("after deleting the sticky profile: %+v", r)
	}
	if r := hermes(t, home, nil, "-p", "ghost", "config", "path"); r.code != 1 || !strings.Contains(r.stderr, "hermes profile create ghost") {
		t.Errorf("missing profile: %+v", r)
	}
}

func TestDisplayPath(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	for in, want := range map[string]string{
		"/home/u/.hermes/config.yaml": "~/.hermes/config.yaml",
		"/home/u/x":                   "~/x",
		"/home/u":                     "/home/u",
		"/home/user2/x":               "/home/user2/x",
		"/srv/h/config.yaml":          "/srv/h/config.yaml",
	} {
		if got := displayPath(in); got != want {
			t.Errorf("displayPath(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestBrokenConfigRepairable: config set and config edit work on the file
// every other command refuses, so the fix they advise can be made.
func TestBrokenConfigRepairable(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	cfg := filepath.Join(home, "config.yaml")
	writeFile(t, cfg, "agent:\n  max_turns: lots\n", 0o600)
	if r := hermes(t, home, nil, "config", "show"); r.code != 1 {
		t.Fatalf("show of a broken file: %+v", r)
	}
	if r := hermes(t, home, nil, "config", "set", "agent.max_turns", "5"); r.code != 0 {
		t.Fatalf("set repair: %+v", r)
	}
	if r := hermes(t, home, nil, "config", "get", "agent.max_turns"); r.code != 0 || r.stdout != "5\n" {
		t.Errorf("after the repair: %+v", r)
	}
	writeFile(t, cfg, "agent:\n  max_turns: \"5\n", 0o600)
	editor := filepath.Join(t.TempDir(), "ed.sh")
	writeFile(t, editor, "#!/bin/sh\nprintf 'agent:\\n  max_turns: 7\\n' > \"$1\"\n", 0o700)
	if r := hermes(t, home, map[string]string{"EDITOR": editor}, "config", "edit"); r.code != 0 {
		t.Fatalf("edit repair: %+v", r)
	}
	if data, _ := os.ReadFile(cfg); string(data) != "agent:\n  max_turns: 7\n" {
		t.Errorf("config.yaml: %q", data)
	}
	// Leaving a broken file unchanged is not "no changes" and a success.
	writeFile(t, cfg, "agent:\n  max_turns: lots\n", 0o600)
	if r := hermes(t, home, map[string]string{"EDITOR": "true"}, "config", "edit"); r.code != 1 || !strings.Contains(r.stderr, "max_turns") {
		t.Errorf("unchanged broken file: %+v", r)
	}
}

// TestLooseHomeWarned: a home made by a bare `mkdir -p` (0755) is warned
// about, as a loose .env is.
func TestLooseHomeWarned(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	os.Chmod(home, 0o700)
	if r := hermes(t, home, nil, "config", "path"); strings.Contains(r.stderr, "warning") {
		t.Errorf("0700 home: %+v", r)
	}
	os.Chmod(home, 0o755)
	if r := hermes(t, home, nil, "config", "path"); r.code != 0 || !strings.Contains(r.stderr, "warning: "+home+" is open to others (mode 0755)") {
		t.Errorf("0755 home: %+v", r)
	}
}

// TestSetSecretKeySaysWhereKeysGo: a key in config.yaml is not "unknown
// key" alone: the error says .env, the variable and how.
func TestSetSecretKeySaysWhereKeysGo(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config.yaml"), "model:\n  provider: anthropic\n", 0o600)
	r := hermes(t, home, nil, "config", "set", "model.api_key", "sk-secret-123")
	env := filepath.Join(home, ".env")
	if r.code != 1 || !strings.Contains(r.stderr, "put the key in "+env+" as a line ANTHROPIC_API_KEY=...") ||
		!strings.Contains(r.stderr, "hermes auth add anthropic") || strings.Contains(r.stderr, "sk-secret-123") {
		t.Errorf("%+v", r)
	}
	if r := hermes(t, home, nil, "config", "set", "model.bogus", "x"); r.code != 1 || strings.Contains(r.stderr, ".env") {
		t.Errorf("a plain unknown key: %+v", r)
	}
}
