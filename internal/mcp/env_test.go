package mcp

import (
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, err string
	}{
		{in: "plain", want: "plain"},
		{in: "", want: ""},
		{in: "${PROBE_VALUE}", want: "probe-from-dotenv"},
		{in: "Bearer ${MCP_TOKEN}", want: "Bearer header-token-value"},
		{in: "${PROBE_VALUE}-${MCP_TOKEN}", want: "probe-from-dotenv-header-token-value"},
		{in: "cost $5 and $HOME", want: "cost $5 and $HOME"},
		{in: "${MISSING}", err: "${MISSING} is not set: add MISSING=... to the home's .env"},
		{in: "${PROBE_VALUE", err: "unterminated ${"},
		{in: "${}", err: "is not a variable reference"},
		{in: "${1ABC}", err: "is not a variable reference"},
		{in: "${A-B}", err: "is not a variable reference"},
	}
	for _, tt := range tests {
		got, err := expand(tt.in, dotenv)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("expand(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestServerEnv(t *testing.T) {
	t.Parallel()
	got, err := serverEnv(parentEnv(), map[string]string{"HOME": "/srv", "TOKEN": "${MCP_TOKEN}"}, dotenv)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"HOME=/srv", "LANG=C.UTF-8", "PATH=" + parentEnv()[0][len("PATH="):], "TOKEN=header-token-value", "XDG_CONFIG_HOME=/home/hermes-test/.config"}
	if !slices.Equal(got, want) {
		t.Errorf("serverEnv =\n%q\nwant\n%q", got, want)
	}
	if _, err := serverEnv(nil, map[string]string{"K": "${NOPE}"}, dotenv); err == nil || !strings.Contains(err.Error(), "env K:") {
		t.Errorf("unknown variable: %v", err)
	}
}

func TestInherited(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"PATH": true, "HOME": true, "USER": true, "LANG": true, "LC_ALL": true, "TERM": true, "SHELL": true, "TMPDIR": true,
		"XDG_RUNTIME_DIR": true, "OPENAI_API_KEY": false, "GH_TOKEN": false, "LC_CTYPE": false, "PATHX": false, "xdg_x": false,
		"SUDO_PASSWORD": false, "AWS_SECRET_ACCESS_KEY": false,
	} {
		if inherited(name) != want {
			t.Errorf("inherited(%s) = %v", name, !want)
		}
	}
}
