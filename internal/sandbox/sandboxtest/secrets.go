package sandboxtest

import (
	"context"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// SecretEnv is a parent environment of credentials that issue 10 found in
// a sandboxed shell: each must be filtered by its name's shape or by its
// value, whatever the backend. Every value holds "leak" so a test can find
// any of them in a command's output.
var SecretEnv = []string{
	"GITHUB_PAT=github_pat_11ABCDEFG0leak_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",
	"NPM_TOKEN=npm_leakabcdefghijklmnopqrstuvwxyz012345",
	"VAULT_TOKEN=hvs.leakCAESIabcdefghijklmnop",
	"CLOUDFLARE_API_TOKEN=leak-cf-0123456789abcdefghijklmnopqrstuv",
	"AWS_ACCESS_KEY_ID=AKIALEAKLEAKLEAK1234",
	"DATABASE_PASSWORD=leak-db-password",
	"MYSQL_PWD=leak-mysql",
	"OPENAI_API_KEY=sk-leak-openai",
	"HERMES_SENSITIVE_URL=https://bob:leakXk29fjQ8zPqL3mN7@db.example/x",
}

// SecretNames are the names in SecretEnv.
func SecretNames() []string {
	out := make([]string, len(SecretEnv))
	for i, kv := range SecretEnv {
		out[i], _, _ = strings.Cut(kv, "=")
	}
	return out
}

// HidesSecrets runs env in b, as a one-off command and, when b is a
// sandbox.ShellBackend, through the persistent shell, and fails if any
// SecretEnv name or value shows. b must have been built with SecretEnv in
// its Options.Env; visible is a variable of that environment that must
// come through (NAME=VALUE), so the test cannot pass by running nothing.
func HidesSecrets(t *testing.T, b sandbox.Backend, visible string) {
	t.Helper()
	check := func(where, out string) {
		t.Helper()
		if !strings.Contains(out, visible) {
			t.Errorf("%s: %s is missing, so the command did not show its environment:\n%s", where, visible, out)
		}
		for _, name := range append(SecretNames(), "leak") {
			if strings.Contains(out, name) {
				t.Errorf("%s: %s reached the command's environment:\n%s", where, name, out)
			}
		}
	}
	check("run", MustRun(t, b, sandbox.Spec{Command: "env"}).Output)
	check("run with its own env", MustRun(t, b, sandbox.Spec{Command: "env", Env: map[string]string{"OWN_VAR": "1"}}).Output)
	sb, ok := b.(sandbox.ShellBackend)
	if !ok {
		return
	}
	sh, err := sb.Shell(context.Background())
	if err != nil {
		t.Fatalf("shell: %v", err)
	}
	defer func() { _ = sh.Close() }()
	res, err := sh.Run(context.Background(), sandbox.Spec{Command: "env"})
	if err != nil {
		t.Fatalf("shell: %v", err)
	}
	check("shell", res.Output)
}
