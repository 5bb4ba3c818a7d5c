package redact

import "testing"

func TestSecret(t *testing.T) {
	t.Parallel()
	const ghp = "ghp_Xk29fjQ8zPqL3mN7vB2cR5tY8uW1oE4sD6gH"
	tests := []struct {
		name, key, value string
		want             bool
	}{
		{"vendor token under any name", "x", ghp, true},
		{"vendor token without a name", "", ghp, true},
		{"openai key", "api_key", "sk-proj-Xk29fjQ8zPqL3mN7vB2cR5tY8uW1oE4sD6gH", true},
		{"plain password under a secret name", "TOKEN", "hunter2", true},
		{"random value under a secret name", "GITHUB_TOKEN", "Xk29fjQ8zPqL3mN7vB2c", true},
		{"bearer header", "Authorization", "Bearer Xk29fjQ8zPqL3mN7vB2cR5tY", true},
		{"token in a url query", "url", "https://mcp.example/sse?token=Xk29fjQ8zPqL3mN7vB2cR5tY8uW1oE4s", true},
		{"password in url userinfo", "url", "https://bob:Xk29fjQ8zPqL3mN7@db.example/x", true},
		{"reference", "TOKEN", "${TOKEN}", false},
		{"bearer reference", "Authorization", "Bearer ${TRACKER_TOKEN}", false},
		{"reference in a url", "url", "https://mcp.example/sse?token=${MCP_TOKEN}", false},
		{"a word", "key", "value", false},
		{"a variable name", "key_env", "OPENAI_API_KEY", false},
		{"a path", "secret", "/etc/hermes/sa.json", false},
		{"a public key", "public_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", false},
		{"a model name", "default", "gpt-4o-mini", false},
		{"a random value under a plain name", "default", "Xk29fjQ8zPqL3mN7vB2c", false},
		{"a database key", "primary_key", "id", false},
		{"a url", "base_url", "https://api.openai.com/v1", false},
		{"empty", "TOKEN", "", false},
		{"boolean", "token", "true", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			masked, got := Secret(tt.key, tt.value)
			if got != tt.want {
				t.Fatalf("Secret(%q, %q) = %v, want %v", tt.key, tt.value, got, tt.want)
			}
			if got && (masked == "" || masked == tt.value) {
				t.Fatalf("Secret(%q, %q) masked as %q: want a mask that differs from the value", tt.key, tt.value, masked)
			}
		})
	}
}

// Secret does not depend on whether redaction is turned off for output.
func TestSecretIgnoresDisabledDefault(t *testing.T) {
	t.Parallel()
	if _, ok := Secret("", "ghp_Xk29fjQ8zPqL3mN7vB2cR5tY8uW1oE4sD6gH"); !ok {
		t.Fatal("a GitHub token is not reported as a secret")
	}
}
