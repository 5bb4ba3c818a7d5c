package web

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/tools"
)

// call runs a tool through a registry, as the agent does.
func call(t *testing.T, env *tools.Env, tool tools.Tool, args any) llm.Message {
	t.Helper()
	r := tools.NewRegistry()
	r.Register(tool)
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	if env == nil {
		env = &tools.Env{}
	}
	return r.Call(context.Background(), env, nil, llm.ToolCall{ID: "c1", Name: tool.Name(), Arguments: string(raw)})
}

type obj = map[string]any

func TestDefaultRegistry(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"web_extract", "web_search"} {
		tool, ok := tools.Default.Lookup(name)
		if !ok || tool.Toolset() != Toolset {
			t.Errorf("%s not registered in the web toolset", name)
		}
	}
}
