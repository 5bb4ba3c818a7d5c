package mcp

import (
	"regexp"
	"strings"
	"testing"
)

// FuzzExpand: expand never panics; text without "${" comes back as it is;
// a successful expansion leaves no reference behind when the values have
// none.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "plain", "${PROBE_VALUE}", "a${MCP_TOKEN}b${PROBE_VALUE}", "${", "${}", "$${A}", "${A}}", "${ÿ}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := expand(s, func(name string) (string, bool) { return "<" + name + ">", true })
		if !strings.Contains(s, "${") {
			if err != nil || got != s {
				t.Fatalf("expand(%q) = %q, %v", s, got, err)
			}
			return
		}
		if err == nil && strings.Contains(got, "${") && !strings.Contains(s, "${${") {
			// Only a value could reintroduce "${", and values here cannot.
			t.Fatalf("expand(%q) = %q left a reference", s, got)
		}
	})
}

var validToolName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// FuzzToolName: every name is valid for providers and starts with mcp_.
func FuzzToolName(f *testing.F) {
	f.Add("everything", "echo")
	f.Add("a b", strings.Repeat("é", 40))
	f.Fuzz(func(t *testing.T, server, tool string) {
		n := ToolName(server, tool)
		if !validToolName.MatchString(n) || !strings.HasPrefix(n, "mcp_") {
			t.Fatalf("ToolName(%q, %q) = %q", server, tool, n)
		}
	})
}
