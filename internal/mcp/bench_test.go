package mcp

import (
	"context"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
)

// BenchmarkStdioRoundTrip is one echo call through a stdio server: the
// argument encoding, the JSON-RPC round trip over the pipes, rendering and
// redaction.
func BenchmarkStdioRoundTrip(b *testing.B) {
	m := startManager(b, map[string]config.MCPServer{"everything": stdioServer(b)}, Options{})
	echo := toolNamed(b, m, "mcp_everything_echo")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := run(b, ctx, echo, nil, `{"message":"ping"}`)
		if err != nil || res.IsError {
			b.Fatalf("%+v, %v", res, err)
		}
	}
}

// TestResultsRedacted: a secret a server hands back is masked.
func TestResultsRedacted(t *testing.T) {
	t.Parallel()
	m := startManager(t, map[string]config.MCPServer{"everything": stdioServer(t)}, Options{})
	res, err := run(t, context.Background(), toolNamed(t, m, "mcp_everything_echo"), nil, `{"message":"key ghp_abcdefghijklmnopqrstuvwxyz0123456789"}`)
	if err != nil || res.IsError || strings.Contains(res.Content, "abcdefghijklmnopqrstuvwxyz") || !strings.Contains(res.Content, "key ghp_") {
		t.Errorf("result %+v, %v", res, err)
	}
}
