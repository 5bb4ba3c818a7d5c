package file

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/tools"
)

// testEnv returns a session env with a working directory and a hermes
// home holding the protected files.
func testEnv(t *testing.T) *tools.Env {
	t.Helper()
	root := t.TempDir()
	env := &tools.Env{Home: filepath.Join(root, "home"), Cwd: filepath.Join(root, "work"), Values: &tools.Values{}}
	for _, d := range []string{env.Home, env.Cwd} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{".env", "auth.json", "config.yaml"} {
		writeTestFile(t, filepath.Join(env.Home, f), "SECRET=1\n")
	}
	return env
}

func writeTestFile(t testing.TB, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readTestFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// call runs a tool through a registry, as the agent does.
func call(t *testing.T, env *tools.Env, tool tools.Tool, args any) llm.Message {
	t.Helper()
	r := tools.NewRegistry()
	r.Register(tool)
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	return r.Call(context.Background(), env, nil, llm.ToolCall{ID: "c1", Name: tool.Name(), Arguments: string(raw)})
}

type obj = map[string]any

// callB is call for benchmarks, with a registry built once.
func callB(r *tools.Registry, env *tools.Env, name, args string) llm.Message {
	return r.Call(context.Background(), env, nil, llm.ToolCall{ID: "b", Name: name, Arguments: args})
}
