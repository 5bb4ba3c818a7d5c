package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseEnv(t *testing.T) {
	t.Parallel()
	src := "\ufeff# secrets\n" +
		"OPENAI_API_KEY=sk-abc\n" +
		"export ANTHROPIC_API_KEY = sk-ant-xyz  \n" +
		"# SLACK_BOT_TOKEN=commented-out\n" +
		"\n" +
		"SINGLE='a #not comment $HOME'\n" +
		"DOUBLE=\"tab\\there \\\"q\\\" \\\\ end\" # comment\n" +
		"BARE=value # trailing comment\n" +
		"HASH=abc#def\n" +
		"EMPTY=\n" +
		"PEM=\"-----BEGIN KEY-----\n" +
		"line2\n" +
		"-----END KEY-----\"\n" +
		"AFTER=1\r\n"
	env, problems := ParseEnv(EnvFileName, []byte(src))
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	want := map[string]string{
		"OPENAI_API_KEY":    "sk-abc",
		"ANTHROPIC_API_KEY": "sk-ant-xyz",
		"SINGLE":            "a #not comment $HOME",
		"DOUBLE":            "tab\there \"q\" \\ end",
		"BARE":              "value",
		"HASH":              "abc#def",
		"EMPTY":             "",
		"PEM":               "-----BEGIN KEY-----\nline2\n-----END KEY-----",
		"AFTER":             "1",
	}
	for k, v := range want {
		if got, ok := env.Lookup(k); !ok || got != v {
			t.Errorf("%s = %q (%v), want %q", k, got, ok, v)
		}
	}
	if _, ok := env.Lookup("SLACK_BOT_TOKEN"); ok {
		t.Error("a commented-out key counts as set")
	}
	if len(env.Names()) != len(want) {
		t.Errorf("names = %v", env.Names())
	}
	if env.Line("PEM") != 11 || env.Line("AFTER") != 14 {
		t.Errorf("lines: PEM %d AFTER %d", env.Line("PEM"), env.Line("AFTER"))
	}
	var pem EnvEntry
	for _, e := range env.Entries() {
		if e.Name == "PEM" {
			pem = e
		}
	}
	if pem.Line != 11 || pem.EndLine != 13 {
		t.Errorf("PEM spans %d-%d", pem.Line, pem.EndLine)
	}
}

func TestLoadEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	env, warns, err := LoadEnv(path)
	if err != nil || len(warns) != 0 || len(env.Names()) != 0 {
		t.Fatalf("missing .env: %v %v", err, warns)
	}
	os.WriteFile(path, []byte("A=1\nA=2\n"), 0o644)
	env, warns, err = LoadEnv(path)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := env.Lookup("A")
	if v != "2" || len(warns) != 2 {
		t.Fatalf("A=%q warnings=%v", v, warns)
	}
	perm := warns[1].String()
	if !strings.HasPrefix(perm, ".env: readable by others (mode 0644)") || !strings.Contains(perm, "chmod 600 "+path) {
		t.Errorf("perm warning: %s", perm)
	}
	os.Chmod(path, 0o600)
	if _, warns, _ = LoadEnv(path); len(warns) != 1 {
		t.Errorf("0600 still warned: %v", warns)
	}
	os.WriteFile(path, []byte("OK=1\nnope\n"), 0o600)
	_, _, err = LoadEnv(path)
	var le *LoadError
	if !errors.As(err, &le) || le.Problems[0].Line != 2 || !strings.Contains(err.Error(), ".env:2: want NAME=value") {
		t.Fatalf("syntax error: %v", err)
	}
	// The fix is in .env, not in config.yaml: name the file and its line.
	if msg := err.Error(); strings.Contains(msg, "config edit") || !strings.Contains(msg, path+":2 with any editor") {
		t.Errorf("advice: %v", err)
	}
}

func TestEnvGetPrefersProcess(t *testing.T) {
	env, _ := ParseEnv(EnvFileName, []byte("HERMES_TEST_GET_X=from-file\nHERMES_TEST_GET_Y=file-only\n"))
	t.Setenv("HERMES_TEST_GET_X", "from-env")
	if v, src, _ := env.Get("HERMES_TEST_GET_X"); v != "from-env" || src != "environment" {
		t.Errorf("X = %q from %s", v, src)
	}
	if v, src, _ := env.Get("HERMES_TEST_GET_Y"); v != "file-only" || src != ".env" {
		t.Errorf("Y = %q from %s", v, src)
	}
	if _, _, ok := env.Get("HERMES_TEST_GET_NONE"); ok {
		t.Error("missing variable found")
	}
}

func TestIsMessagingVar(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"TELEGRAM_BOT_TOKEN": true, "DISCORD_BOT_TOKEN": true, "SLACK_APP_TOKEN": true, "MATRIX_PASSWORD": true,
		"EMAIL_PASSWORD": true, "GATEWAY_ALLOWED_USERS": true, "API_SERVER_KEY": true,
		"OPENAI_API_KEY": false, "ANTHROPIC_API_KEY": false, "GH_TOKEN": false,
	} {
		if IsMessagingVar(name) != want {
			t.Errorf("IsMessagingVar(%s) != %v", name, want)
		}
	}
}

func TestJSONSchema(t *testing.T) {
	t.Parallel()
	out, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := jsonUnmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	props := s["properties"].(map[string]any)
	for _, section := range []string{"model", "agent", "approvals", "mcp_servers", "command_allowlist", "platforms"} {
		if _, ok := props[section]; !ok {
			t.Errorf("schema lacks %s", section)
		}
	}
	agent := props["agent"].(map[string]any)["properties"].(map[string]any)
	turns := agent["max_turns"].(map[string]any)
	if turns["default"] != 90.0 || turns["minimum"] != 1.0 || turns["type"] != "integer" || turns["description"] == "" {
		t.Errorf("max_turns schema: %v", turns)
	}
	mode := props["approvals"].(map[string]any)["properties"].(map[string]any)["mode"].(map[string]any)
	if !reflect.DeepEqual(mode["enum"], []any{"", "manual", "smart", "off"}) || mode["default"] != "manual" {
		t.Errorf("approvals.mode schema: %v", mode)
	}
	mcp := props["mcp_servers"].(map[string]any)["additionalProperties"].(map[string]any)
	if mcp["additionalProperties"] != false {
		t.Error("MCP server entries accept unknown keys")
	}
	if s["additionalProperties"] != false {
		t.Error("top level accepts unknown keys")
	}
}
