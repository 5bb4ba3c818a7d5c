package mcp

import (
	"encoding/json"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestToolName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 80)
	tests := []struct{ server, tool, want string }{
		{"everything", "echo", "mcp_everything_echo"},
		{"everything", "get-sum", "mcp_everything_get-sum"},
		{"git hub", "repos/list.all", "mcp_git_hub_repos_list_all"},
		{"ü", "naïve", "mcp___na_ve"},
	}
	for _, tt := range tests {
		if got := ToolName(tt.server, tt.tool); got != tt.want {
			t.Errorf("ToolName(%q, %q) = %q, want %q", tt.server, tt.tool, got, tt.want)
		}
	}
	a, b := ToolName("s", long+"a"), ToolName("s", long+"b")
	if len(a) != maxNameLen || len(b) != maxNameLen || a == b {
		t.Errorf("long names %q and %q", a, b)
	}
}

func TestUniqueNames(t *testing.T) {
	t.Parallel()
	taken := map[string]bool{}
	got := uniqueNames("s", []string{"a.b", "a_b", "a/b", "c"}, taken)
	want := []string{"mcp_s_a_b", "mcp_s_a_b_2", "mcp_s_a_b_3", "mcp_s_c"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("uniqueNames = %q, want %q", got, want)
	}
	long := strings.Repeat("y", 70)
	got = uniqueNames("s", []string{long, long}, taken)
	if got[0] == got[1] || len(got[1]) > maxNameLen {
		t.Errorf("long duplicates %q", got)
	}
}

func TestSelected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tool             string
		include, exclude []string
		want             bool
	}{
		{"echo", nil, nil, true},
		{"echo", []string{"get-*"}, nil, false},
		{"get-env", []string{"get-*"}, []string{"get-env"}, false},
		{"get-sum", []string{"get-*"}, []string{"get-env"}, true},
		{"echo", nil, []string{"["}, true}, // a malformed glob matches nothing
	}
	for _, tt := range tests {
		if got := selected(tt.tool, tt.include, tt.exclude); got != tt.want {
			t.Errorf("selected(%q, %q, %q) = %v", tt.tool, tt.include, tt.exclude, got)
		}
	}
}

func TestSchemaOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want string
	}{
		{nil, `{"type":"object","properties":{}}`},
		{"string", `{"type":"object","properties":{}}`},
		{map[string]any{"type": "object", "required": []string{"a"}}, `{"required":["a"],"type":"object"}`},
		{map[string]any{"properties": map[string]any{}}, `{"properties":{},"type":"object"}`},
	}
	for _, tt := range tests {
		got := schemaOf(tt.in)
		if string(got) != tt.want || !json.Valid(got) {
			t.Errorf("schemaOf(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	res := &sdk.CallToolResult{Content: []sdk.Content{
		&sdk.TextContent{Text: "first"},
		&sdk.ImageContent{MIMEType: "image/png", Data: []byte("1234")},
		&sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "x://y", Text: "inline"}},
		&sdk.ResourceLink{URI: "x://z", Name: "zed"},
	}, IsError: true}
	text, isErr := render(res)
	if want := "first\n[image image/png, 4 bytes]\ninline\n[resource x://z zed]"; text != want || !isErr {
		t.Errorf("render = %q, %v; want %q, true", text, isErr, want)
	}
	text, _ = render(&sdk.CallToolResult{StructuredContent: map[string]int{"n": 1}})
	if text != `{"n":1}` {
		t.Errorf("structured: %q", text)
	}
}
