package mcpserve

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hermes-go/hermes/internal/tools"
)

// FuzzCallArguments feeds arbitrary argument bytes, as a client could send
// them, to the handler: every call must come back as one text result, and
// arguments that are not a JSON object must be a tool error.
func FuzzCallArguments(f *testing.F) {
	for _, seed := range []string{`{"path":"notes.txt"}`, `null`, ``, `[]`, `"x"`, `{"path":42}`, `{"path":"notes.txt","offset":-1}`, `{`} {
		f.Add("read_file", []byte(seed))
	}
	f.Add("no_such_tool", []byte(`{}`))
	fx := newFixture(f, []string{"file"})
	write(f, filepath.Join(fx.project, "notes.txt"), "one\ntwo\n")
	served, err := chooseTools(fx.rt, tools.Default, nil)
	if err != nil {
		f.Fatal(err)
	}
	sess, err := fx.rt.NewSession(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	sess.Env.Unattended = true
	h := &handler{reg: tools.Default, sess: sess, allowed: served}
	f.Fuzz(func(t *testing.T, name string, args []byte) {
		req := &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: name, Arguments: args}}
		res, err := h.call(context.Background(), req)
		if err != nil || res == nil || len(res.Content) != 1 {
			t.Fatalf("%+v, %v", res, err)
		}
		if _, ok := res.Content[0].(*mcp.TextContent); !ok {
			t.Fatalf("content %T", res.Content[0])
		}
		var obj map[string]json.RawMessage
		if len(bytes.TrimSpace(args)) > 0 && json.Unmarshal(args, &obj) != nil && !res.IsError {
			t.Fatalf("arguments %q are not an object, yet isError is false", args)
		}
	})
}
