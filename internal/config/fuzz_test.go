package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// FuzzParse: the loader never panics, and every problem it reports has a
// place in the file and a message.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("<<: *nope\n"))
	f.Add([]byte("agent: !!binary aGk=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, problems := Parse(FileName, data)
		for _, p := range problems {
			if p.Msg == "" || p.File != FileName {
				t.Fatalf("malformed problem %+v", p)
			}
			_ = p.Detail()
		}
		if cfg == nil && len(problems) == 0 {
			t.Fatal("no config and no problem")
		}
		if cfg != nil && len(problems) == 0 {
			// A clean config renders and reloads cleanly.
			out, err := Render(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, again := Parse(FileName, []byte(out)); len(again) != 0 {
				t.Fatalf("rendered config has problems: %v\n%s", again, out)
			}
		}
	})
}

// FuzzParseEnv: the .env parser never panics and places every problem.
func FuzzParseEnv(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/env/*.env")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, problems := ParseEnv(EnvFileName, data)
		lines := strings.Count(string(data), "\n") + 1
		for _, p := range problems {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("problem on line %d of %d: %s", p.Line, lines, p)
			}
		}
		for _, e := range env.Entries() {
			if e.Line < 1 || e.EndLine < e.Line || e.EndLine > lines {
				t.Fatalf("entry %+v outside %d lines", e, lines)
			}
		}
	})
}

// FuzzSet: whatever the file and value, Set either writes a valid config
// or leaves the file exactly as it was.
func FuzzSet(f *testing.F) {
	f.Add([]byte("agent:\n  max_turns: 3 # c\n"), "agent.max_turns", "7")
	f.Add([]byte("model: {provider: openai}\n"), "model.default", "x: y")
	f.Add([]byte("# c\n"), "command_allowlist", "[a, b]")
	f.Add([]byte("terminal:\n"), "terminal.docker.cpus", "2")
	f.Add([]byte("fallback_providers:\n  - {provider: openai, model: a}\n"), "fallback_providers.0.model", "b")
	f.Fuzz(func(t *testing.T, before []byte, key, value string) {
		path := filepath.Join(t.TempDir(), FileName)
		if err := os.WriteFile(path, before, 0o600); err != nil {
			t.Fatal(err)
		}
		err := Set(path, key, value)
		after, _ := os.ReadFile(path)
		if err != nil {
			if string(after) != string(before) {
				t.Fatalf("failed Set changed the file: %v", err)
			}
			return
		}
		if _, problems := Parse(FileName, after); HasErrors(problems) {
			t.Fatalf("Set wrote an invalid file: %v\n%s", problems, after)
		}
	})
}
