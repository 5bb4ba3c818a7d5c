package mcpserve

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// BenchmarkRoundTrip is one tools/call from the SDK client through
// in-memory transports, the registry, the tool and back.
func BenchmarkRoundTrip(b *testing.B) {
	for _, bb := range []struct {
		name string
		tool string
		args map[string]any
	}{
		{"read_file", "read_file", map[string]any{"path": "notes.txt"}},
		{"terminal_echo", "terminal", map[string]any{"command": "echo hi"}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			f := newFixture(b, nil)
			f.rt.Backend = f.backend.Backend // the real backend, with its persistent shell
			write(b, filepath.Join(f.project, "notes.txt"), "the answer is 42\n")
			cs, _ := f.connect(b, Options{})
			ctx := context.Background()
			params := &mcp.CallToolParams{Name: bb.tool, Arguments: bb.args}
			b.ReportAllocs()
			for b.Loop() {
				res, err := cs.CallTool(ctx, params)
				if err != nil || res.IsError {
					b.Fatalf("%+v, %v", res, err)
				}
			}
		})
	}
}
