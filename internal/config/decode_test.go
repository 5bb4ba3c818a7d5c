package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEmptyConfigIsDefault(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"", "\n", "# only a comment\n", "---\n", "agent:\n", "agent: ~\nmodel: null\n"} {
		cfg, problems := Parse(FileName, []byte(src))
		if len(problems) != 0 {
			t.Errorf("%q: problems %v", src, problems)
		}
		if !reflect.DeepEqual(cfg, Default()) {
			t.Errorf("%q: config differs from the defaults", src)
		}
	}
}

func TestRealisticConfig(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/good/realistic.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, problems := Parse(FileName, data)
	for _, p := range problems {
		t.Errorf("unexpected problem: %s", p)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"model.default", cfg.Model.Default, "anthropic/claude-sonnet-4"},
		{"model.temperature", *cfg.Model.Temperature, 0.3},
		{"model.timeout", cfg.Model.Timeout.D(), 5 * time.Minute},
		{"providers base_url", cfg.Providers["local-vllm"].BaseURL, "http://127.0.0.1:8000/v1"},
		{"fallbacks", len(cfg.FallbackProviders), 2},
		{"fallback 1 provider", cfg.FallbackProviders[1].Provider, "local-vllm"},
		{"aux approval timeout", cfg.Auxiliary.Approval.Timeout.D(), 30 * time.Second},
		{"agent.max_turns", cfg.Agent.MaxTurns, 120},
		{"agent default kept", cfg.Agent.MaxParallelTools, 8},
		{"toolsets.cron", cfg.Agent.Toolsets.Cron, []string{"terminal", "file", "web", "send_message"}},
		{"toolsets.mcp_serve default", cfg.Agent.Toolsets.MCPServe, []string{"terminal", "file", "memory"}},
		{"terminal.timeout in seconds", cfg.Terminal.Timeout.D(), 300 * time.Second},
		{"docker.cpus int as float", cfg.Terminal.Docker.CPUs, 2.0},
		{"docker pids default", cfg.Terminal.Docker.PidsLimit, 256},
		{"ssh.port", cfg.Terminal.SSH.Port, 2222},
		{"approvals.deny", cfg.Approvals.Deny, []string{"git push --force*", "terraform destroy*"}},
		{"compression.keep_first default", cfg.Compression.KeepFirst, 3},
		{"discord numeric channel as string", cfg.Platforms.Discord.HomeChannel, "987654321012345678"},
		{"discord inline enabled", cfg.Platforms.Discord.Enabled, true},
		{"telegram group default", cfg.Platforms.Telegram.GroupSessionsPerUser, true},
		{"webhook secret", cfg.Platforms.Webhooks.Routes["github"].SecretEnv, "GITHUB_WEBHOOK_SECRET"},
		{"mcp element defaults", cfg.MCPServers["filesystem"].Enabled, true},
		{"mcp element default timeout", cfg.MCPServers["filesystem"].Timeout.D(), 120 * time.Second},
		{"mcp trust", cfg.MCPServers["github"].Trust, "ask"},
		{"mcp header", cfg.MCPServers["github"].Headers["Authorization"], "Bearer ${GITHUB_TOKEN}"},
		{"cron.timezone", cfg.Cron.Timezone, "Europe/Berlin"},
		{"allowlist", cfg.CommandAllowlist, []string{"git status", "go test ./..."}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		get  func(*Config) any
		want any
	}{
		{"duration string", "approvals: {timeout: 90s}", func(c *Config) any { return c.Approvals.Timeout.D() }, 90 * time.Second},
		{"duration seconds", "approvals: {timeout: 45}", func(c *Config) any { return c.Approvals.Timeout.D() }, 45 * time.Second},
		{"duration compound", "cron: {timeout: 1h30m}", func(c *Config) any { return c.Cron.Timeout.D() }, 90 * time.Minute},
		{"float from int", "compression: {threshold: 0.75}", func(c *Config) any { return c.Compression.Threshold }, 0.75},
		{"bool false", "model: {streaming: false}", func(c *Config) any { return c.Model.Streaming }, false},
		{"string from number", "model: {default: 4}", func(c *Config) any { return c.Model.Default }, "4"},
		{"quoted string", `model: {default: "a: b"}`, func(c *Config) any { return c.Model.Default }, "a: b"},
		{"literal block", "platforms:\n  webhooks:\n    routes:\n      r:\n        secret_env: S\n        prompt: |\n          line one\n          line two\n",
			func(c *Config) any { return c.Platforms.Webhooks.Routes["r"].Prompt }, "line one\nline two\n"},
		{"empty list replaces default", "agent: {toolsets: {cli: []}}", func(c *Config) any { return c.Agent.Toolsets.CLI }, []string{}},
		{"null keeps default", "agent: {max_turns: null}", func(c *Config) any { return c.Agent.MaxTurns }, 90},
		{"anchor and alias", "agent:\n  max_turns: &n 42\ndelegation:\n  max_turns: *n\n", func(c *Config) any { return c.Delegation.MaxTurns }, 42},
		{"first merge wins", "x_a: &a {trust: ask}\nx_b: &b {trust: auto, command: npx}\nmcp_servers: {s: {<<: [*a, *b]}}\n",
			func(c *Config) any { return c.MCPServers["s"].Command + "/" + c.MCPServers["s"].Trust }, "npx/ask"},
		{"merge key", "x_base: &base\n  command: npx\n  trust: ask\nmcp_servers:\n  a:\n    <<: *base\n    trust: auto\n",
			func(c *Config) any { return c.MCPServers["a"].Command + "/" + c.MCPServers["a"].Trust }, "npx/auto"},
		{"named provider", "providers:\n  mine: {base_url: 'http://127.0.0.1:1/v1'}\nmodel: {provider: mine}\n", func(c *Config) any { return c.Providers["mine"].APIMode }, "chat_completions"},
		{"custom provider", "model: {provider: custom, base_url: 'http://127.0.0.1:9/v1', key_env: MY_KEY}", func(c *Config) any { return c.Model.KeyEnv }, "MY_KEY"},
		{"home cwd", "terminal: {cwd: '~/work/repo'}", func(c *Config) any { return c.Terminal.Cwd }, "~/work/repo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, problems := Parse(FileName, []byte(tt.src))
			for _, p := range problems {
				if p.Severity == Error || !strings.HasPrefix(p.Path, "x_") {
					t.Errorf("unexpected problem: %s", p)
				}
			}
			if cfg == nil {
				t.Fatal("no config")
			}
			if got := tt.get(cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestInvalidValueKeepsDefault: a rejected value never half-applies.
func TestInvalidValueKeepsDefault(t *testing.T) {
	t.Parallel()
	cfg, problems := Parse(FileName, []byte("agent: {max_turns: lots, api_max_retries: 5}"))
	if len(problems) != 1 {
		t.Fatalf("problems: %v", problems)
	}
	if cfg.Agent.MaxTurns != 90 || cfg.Agent.APIMaxRetries != 5 {
		t.Errorf("max_turns=%d api_max_retries=%d", cfg.Agent.MaxTurns, cfg.Agent.APIMaxRetries)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing, err := Load(dir + "/config.yaml")
	if err != nil || missing.Exists || missing.Agent.MaxTurns != 90 {
		t.Fatalf("missing file: %v %+v", err, missing)
	}
	write := func(s string) string {
		p := dir + "/c.yaml"
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	warned, err := Load(write("agent: {max_turns: 7}\nbogus: 1\n"))
	if err != nil || len(warned.Warnings) != 1 || warned.Agent.MaxTurns != 7 {
		t.Fatalf("unknown key: err=%v warnings=%v", err, warned.Warnings)
	}
	_, err = Load(write("agent: {max_turns: x}\nbogus: 1\n"))
	le, ok := err.(*LoadError)
	if !ok || len(le.Problems) != 2 {
		t.Fatalf("bad value: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"c.yaml:1:20: agent.max_turns: want a whole number", "c.yaml:2:1: bogus: unknown key", dir + "/c.yaml", "hermes config edit"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if err := os.Chmod(dir, 0o000); err == nil && os.Geteuid() != 0 {
		defer os.Chmod(dir, 0o700)
		if _, err := Load(dir + "/c.yaml"); err == nil {
			t.Error("unreadable file loaded")
		}
	}
}

func TestRenderRoundTrip(t *testing.T) {
	t.Parallel()
	data, _ := os.ReadFile("testdata/good/realistic.yaml")
	cfg, _ := Parse(FileName, data)
	out, err := Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, problems := Parse(FileName, []byte(out))
	if len(problems) != 0 {
		t.Fatalf("rendered config has problems: %v\n%s", problems, out)
	}
	// nil and empty lists render alike and mean the same; compare renders.
	if out2, _ := Render(again); out2 != out {
		t.Errorf("render then parse changed the config:\n%s\n---\n%s", out, out2)
	}
	if again.Agent.MaxTurns != cfg.Agent.MaxTurns || *again.Model.Temperature != *cfg.Model.Temperature {
		t.Error("values lost in the round trip")
	}
}

func TestEveryKeyDocumented(t *testing.T) {
	t.Parallel()
	for _, p := range knownPaths() {
		if strings.HasSuffix(p, "<name>") || strings.HasSuffix(p, "<n>") {
			continue
		}
		typ, f := fieldAt(t, p)
		if f.desc == "" {
			t.Errorf("%s (%s) has no desc tag", p, typ)
		}
	}
	want := []string{"model", "providers", "fallback_providers", "auxiliary", "agent", "terminal", "approvals", "security",
		"compression", "memory", "skills", "delegation", "display", "platforms", "gateway", "cron", "mcp_servers", "sessions", "command_allowlist"}
	for _, w := range want {
		if _, ok := lookupField(reflect.TypeOf(Config{}), w); !ok {
			t.Errorf("section %s missing from the schema", w)
		}
	}
}

func fieldAt(t *testing.T, path string) (reflect.Type, field) {
	typ := reflect.TypeOf(Config{})
	var f field
	for _, s := range strings.Split(path, ".") {
		switch {
		case s == "<name>" || s == "<n>":
			typ = typ.Elem()
			continue
		case typ.Kind() == reflect.Pointer:
			typ = typ.Elem()
		}
		var ok bool
		f, ok = lookupField(typ, s)
		if !ok {
			t.Fatalf("%s: no field %s in %s", path, s, typ)
		}
		typ = typ.FieldByIndex(f.index).Type
	}
	return typ, f
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		parent, name string
		kind         keyKind
		want         string
	}{
		{"approvals", "mdoe", kindValue, "approvals.mode"},
		{"", "mode", kindValue, "approvals.mode"},
		{"", "mode", kindUnknown, "approvals.mode"},
		{"agent", "maxturns", kindValue, "agent.max_turns"},
		{"", "fallback_provider", kindValue, "fallback_providers"},
		{"", "zzzzzzzz", kindValue, ""},
		{"terminal", "docker_image", kindValue, ""},
		// A section at the top: the sibling at the same depth, not
		// auxiliary.approval.
		{"", "approval", kindSection, "approvals"},
	}
	for _, tt := range tests {
		var sib []string
		typ := reflect.TypeOf(Config{})
		if tt.parent != "" {
			typ, _ = fieldAt(t, tt.parent)
		}
		for _, f := range fieldsOf(typ) {
			sib = append(sib, f.name)
		}
		if got := suggestKey(tt.parent, sib, tt.name, tt.kind); got != tt.want {
			t.Errorf("suggestKey(%q, %q, %d) = %q, want %q", tt.parent, tt.name, tt.kind, got, tt.want)
		}
	}
	// Through the file and through config set.
	_, problems := Parse(FileName, []byte("approval:\n  mode: smart\n"))
	if len(problems) != 1 || problems[0].Hint != "did you mean approvals?" {
		t.Errorf("approval: section: %v", problems)
	}
	if _, _, err := resolveKey("approval.mode"); err == nil || !strings.HasSuffix(err.Error(), "did you mean approvals?") {
		t.Errorf("approval.mode: %v", err)
	}
	if d := distance("mdoe", "mode"); d != 1 {
		t.Errorf("transposition distance = %d", d)
	}
}

func TestCheckWorkdir(t *testing.T) {
	t.Parallel()
	ok := []string{"/", "/home/me/project", "~", "~/a b/c", "/srv/x_y-z.1@2=3,4+5", `/c:\weird`}
	bad := []string{"rel", "./x", "/a/../b", "/a;rm -rf /", "/a$(x)", "/a`x`", "/a\nb", "/a\x00", "~user/x", "/a|b", "/a'b"}
	for _, s := range ok {
		if msg := CheckWorkdir(s); msg != "" {
			t.Errorf("%q rejected: %s", s, msg)
		}
	}
	for _, s := range bad {
		if CheckWorkdir(s) == "" {
			t.Errorf("%q accepted", s)
		}
	}
}

// TestHostileAliases: a file that refers to itself or fans out
// exponentially is reported, never a crash or a hang (the expansion budget
// bounds the work; go test's timeout would catch a hang).
func TestHostileAliases(t *testing.T) {
	t.Parallel()
	fan := "a: &a {k: 1}\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f"} {
		fan += n + ": &" + n + " {<<: [" + strings.Repeat("*"+prev+",", 7) + "*" + prev + "]}\n"
		prev = n
	}
	fan += "mcp_servers: {s: {<<: [" + strings.Repeat("*f,", 7) + "*f]}}\n"
	for name, src := range map[string]string{
		"self merge":  "x: &x {<<: *x}\nmcp_servers: {a: {<<: *x}}\n",
		"fan out":     fan,
		"self list":   "a: &x [*x]\ncommand_allowlist: *x\n",
		"merge chain": "mcp_servers: {a: &m {<<: {<<: {<<: {command: x}}}}}\n",
	} {
		_, problems := Parse(FileName, []byte(src))
		if name != "merge chain" && !HasErrors(problems) {
			t.Errorf("%s: no problem reported", name)
		}
	}
}
