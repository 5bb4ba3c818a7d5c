package mcp

import (
	"slices"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hermes-go/hermes/internal/config"
)

// ${VAR} in args and the URL is read from .env, as in env and headers, so
// the fix `config check` and `mcp add` give (.env + ${VAR}) works there too.
func TestTransportExpandsArgsAndURL(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"GH_TOKEN": "ghp-from-dotenv", "MCP_KEY": "k-from-dotenv"}
	m := &Manager{lookup: func(n string) (string, bool) { v, ok := vars[n]; return v, ok }}
	tests := []struct {
		name string
		s    config.MCPServer
		want string // the expanded argument list or URL
		err  string
	}{
		{"args", config.MCPServer{Command: "server", Args: []string{"--token=${GH_TOKEN}", "plain"}}, "server --token=ghp-from-dotenv plain", ""},
		{"unset arg", config.MCPServer{Command: "server", Args: []string{"${NOPE}"}}, "", "argument 1: ${NOPE} is not set"},
		{"url", config.MCPServer{URL: "https://mcp.example/mcp?key=${MCP_KEY}"}, "https://mcp.example/mcp?key=k-from-dotenv", ""},
		{"sse url", config.MCPServer{URL: "https://mcp.example/sse?key=${MCP_KEY}", Transport: "sse"}, "", ""},
		{"unset url", config.MCPServer{URL: "https://mcp.example/mcp?key=${NOPE}"}, "", "url: ${NOPE} is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr, cmd, err := m.transport("x", tt.s)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case cmd != nil:
				if got := strings.Join(cmd.Args, " "); got != tt.want {
					t.Errorf("args %q, want %q", got, tt.want)
				}
			case tt.want != "":
				st, ok := tr.(*sdk.StreamableClientTransport)
				if !ok || st.Endpoint != tt.want {
					t.Errorf("transport %#v, want endpoint %q", tr, tt.want)
				}
			}
			if slices.Contains(tt.s.Args, "ghp-from-dotenv") {
				t.Error("the config's own args were changed")
			}
		})
	}
}
