package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/ops/update"
)

// e2e is the world of TestUpdateEndToEnd: an upstream repository holding
// this working tree, a checkout of it that hermes is built from, the
// installed binary, and a home with a gateway.
type e2e struct {
	t                       *testing.T
	upstream, checkout, bin string
	home                    string
	gitEnv                  []string
}

func (e *e2e) git(dir string, args ...string) string {
	e.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = e.gitEnv
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// hermes runs the installed binary on the test's home.
func (e *e2e) hermes(args ...string) (string, int) {
	e.t.Helper()
	cmd := exec.Command(e.bin, args...)
	cmd.Env = append(os.Environ(), "HERMES_HOME="+e.home)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		e.t.Fatalf("%s %v: %v", e.bin, args, err)
	}
	return out.String(), 0
}

func (e *e2e) version() update.BinaryInfo {
	e.t.Helper()
	out, code := e.hermes("version", "--json")
	var v update.BinaryInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 {
		e.t.Fatalf("version --json (exit %d): %v\n%s", code, err, out)
	}
	return v
}

// gateway returns the gateway's status and checks it answers /healthz.
func (e *e2e) gateway() update.GatewayStatus {
	e.t.Helper()
	out, code := e.hermes("gateway", "status", "--json")
	var st update.GatewayStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 || !st.Running {
		e.t.Fatalf("gateway status (exit %d): %v\n%s", code, err, out)
	}
	if err := update.Healthz(context.Background(), st.Health); err != nil {
		e.t.Fatalf("gateway pid %d: %v", st.PID, err)
	}
	return st
}

// commitMain replaces cmd/hermes/main.go upstream and commits it.
func (e *e2e) commitMain(body, msg string) string {
	e.t.Helper()
	main := "// Command hermes is a self-hosted autonomous AI agent. See README.md.\npackage main\n\nimport (\n\t\"os\"\n\n\t\"github.com/hermes-go/hermes/internal/cli\"\n)\n\nfunc main() {\n" +
		body + "\tos.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))\n}\n"
	if err := os.WriteFile(filepath.Join(e.upstream, "cmd", "hermes", "main.go"), []byte(main), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.git(e.upstream, "commit", "-q", "-am", msg)
	return e.git(e.upstream, "rev-parse", "HEAD")
}

// copyTree copies the files git knows in root (tracked and untracked,
// not ignored) to dst.
func copyTree(t *testing.T, root, dst string) {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "-co", "--exclude-standard").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(filepath.Join(root, name))
		os.MkdirAll(filepath.Join(dst, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dst, name), data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUpdateEndToEnd is issue 14's acceptance test: hermes built from a
// git checkout updates itself to a new upstream commit and restarts the
// gateway on it; a new commit whose binary fails `hermes version` is
// refused with the old binary and gateway untouched; a commit whose
// gateway cannot start is installed, fails, and is rolled back with the
// gateway running again on the old binary.
//
// It builds hermes four times (incremental after the first):
//
//	go test -run TestUpdateEndToEnd -timeout 60m -v ./internal/cli/
func TestUpdateEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hermes four times")
	}
	for _, tool := range []string{"git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	e := &e2e{t: t, upstream: filepath.Join(base, "upstream"), checkout: filepath.Join(base, "checkout"),
		bin: filepath.Join(base, "bin", "hermes"), home: filepath.Join(base, "home"),
		gitEnv: append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1")}
	copyTree(t, root, e.upstream)
	e.git(e.upstream, "init", "-q", "-b", "main")
	e.git(e.upstream, "add", "-A")
	e.git(e.upstream, "commit", "-q", "-m", "the working tree under test")
	e.git(base, "clone", "-q", e.upstream, e.checkout)
	os.MkdirAll(filepath.Dir(e.bin), 0o755)
	ctx := context.Background()
	verA, err := update.Checkout{Dir: e.checkout}.Build(ctx, e.bin)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(e.home, 0o700)
	writeFile(t, filepath.Join(e.home, "config.yaml"), "gateway:\n  health_listen: 127.0.0.1:0\ncron:\n  enabled: false\n", 0o600)
	if out, code := e.hermes("gateway", "start"); code != 0 {
		t.Fatalf("gateway start: %s", out)
	}
	t.Cleanup(func() { e.hermes("gateway", "stop") })
	gwA := e.gateway()
	if gwA.Version != verA || e.version().Version != verA {
		t.Fatalf("before: gateway %+v, built %s", gwA, verA)
	}

	// B: a new upstream commit. The update fast-forwards, builds, swaps
	// and restarts the gateway on it.
	commitB := e.commitMain("\t// B: a new version\n", "B")
	out, code := e.hermes("update", "--yes")
	t.Logf("update to B:\n%s", out)
	if code != 0 {
		t.Fatalf("update to B exited %d", code)
	}
	vB := e.version()
	gwB := e.gateway()
	if vB.Commit != commitB || vB.Version == verA || gwB.Version != vB.Version || gwB.PID == gwA.PID {
		t.Fatalf("after B: binary %+v (want commit %s), gateway %+v", vB, commitB, gwB)
	}
	if e.git(e.checkout, "rev-parse", "HEAD") != commitB {
		t.Fatal("the checkout was not fast-forwarded")
	}
	prev := exec.Command(update.Prev(e.bin), "version")
	if p, err := prev.Output(); err != nil || strings.TrimSpace(string(p)) != "hermes "+verA {
		t.Fatalf(".prev is %q (%v), want hermes %s", p, err, verA)
	}
	if entries, _ := filepath.Glob(filepath.Join(e.home, "hermes-backup-*.zip")); len(entries) != 1 {
		t.Fatalf("pre-update backups: %v", entries)
	}

	// C: `hermes version` exits 1. Refused before the swap: binary and
	// gateway untouched.
	e.commitMain("\tfor _, a := range os.Args[1:] {\n\t\tif a == \"version\" {\n\t\t\tos.Exit(1)\n\t\t}\n\t}\n", "C: version fails")
	out, code = e.hermes("update", "--yes")
	t.Logf("update to C:\n%s", out)
	if code != 1 || !strings.Contains(out, "the new binary does not start") {
		t.Fatalf("update to C: exit %d", code)
	}
	if v, gw := e.version(), e.gateway(); v.Commit != commitB || gw.PID != gwB.PID || gw.Version != vB.Version {
		t.Fatalf("after C: binary %+v, gateway %+v", v, gw)
	}

	// D: the binary starts but its gateway cannot. Installed, the
	// restart fails, the update rolls back to B and restarts its gateway.
	e.commitMain("\tfor _, a := range os.Args[1:] {\n\t\tif a == \"run\" {\n\t\t\tos.Exit(3)\n\t\t}\n\t}\n", "D: gateway run fails")
	out, code = e.hermes("update", "--yes")
	t.Logf("update to D:\n%s", out)
	if code != 1 || !strings.Contains(out, "rolled back") || !strings.Contains(out, "gateway healthy on "+vB.Version+" again") {
		t.Fatalf("update to D: exit %d", code)
	}
	if v, gw := e.version(), e.gateway(); v.Commit != commitB || gw.Version != vB.Version {
		t.Fatalf("after D: binary %+v, gateway %+v", v, gw)
	}
}
