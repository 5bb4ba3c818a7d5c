// Package testenv gives tests the real external parts that `make test`
// prepares (bubblewrap, a Docker daemon, sshd, the MCP everything server) and
// decides what a test does when one is missing: skip with a message, or fail
// when HERMES_TEST_STRICT=1.
//
// scripts/testdeps.sh installs and starts the parts and writes
// .cache/testdeps/env, which `make test` sources before `go test`; each
// accessor here reads one of those variables, checks that the part really
// works, and returns it, or calls Missing.
//
// Docker: the daemon is started with --bridge=none --iptables=false
// --ip-masq=false, so it has no bridge network and no private address. Tests
// must run containers with --network none and must never create networks.
package testenv

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The variables scripts/testdeps.sh writes into .cache/testdeps/env.
const (
	EnvStrict        = "HERMES_TEST_STRICT"
	EnvBwrap         = "HERMES_TEST_BWRAP"
	EnvDockerHost    = "HERMES_TEST_DOCKER_HOST"
	EnvDockerImage   = "HERMES_TEST_DOCKER_IMAGE"
	EnvSSHD          = "HERMES_TEST_SSHD"
	EnvMCPEverything = "HERMES_TEST_MCP_EVERYTHING"
	EnvNode          = "HERMES_TEST_NODE"
	EnvDendrite      = "HERMES_TEST_DENDRITE"
)

// Module is the module path RepoRoot looks for in go.mod.
const Module = "github.com/hermes-go/hermes"

// Strict reports whether a missing part fails the test instead of skipping
// it: HERMES_TEST_STRICT is "1" or "true" (any case).
func Strict() bool {
	v := strings.TrimSpace(os.Getenv(EnvStrict))
	return v == "1" || strings.EqualFold(v, "true")
}

// Missing reports that part is not available, for the reason why: it skips
// the test, or fails it when Strict. With a real testing.TB it does not
// return.
func Missing(t testing.TB, part, why string) {
	t.Helper()
	if Strict() {
		t.Fatalf("testenv: %s not available: %s (run `make test` to install it) (HERMES_TEST_STRICT=1)", part, why)
		return
	}
	t.Skipf("testenv: %s not available: %s (run `make test` to install it)", part, why)
}

// probes caches the outcome of running a part's check command, keyed by the
// command line, so a test binary runs each check once.
var probes sync.Map // string -> error

// probe runs name with args (10 s at most) once per process and returns
// nil if it exits 0, else an error carrying its output.
func probe(name string, args ...string) error {
	key := strings.Join(append([]string{name}, args...), "\x00")
	if v, ok := probes.Load(key); ok {
		err, _ := v.(error)
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		err = fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	v, _ := probes.LoadOrStore(key, err)
	err, _ = v.(error)
	return err
}

// lookup returns the path in env variable key if it is set, else name
// looked up in PATH; why says what went wrong when path is "".
func lookup(key, name string) (path, why string) {
	if p := os.Getenv(key); p != "" {
		return p, ""
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Sprintf("%s is unset and %s is not in PATH", key, name)
	}
	return p, ""
}

// Bwrap returns the path of a bubblewrap that works: HERMES_TEST_BWRAP, or
// bwrap from PATH, checked with `bwrap --ro-bind / / --unshare-all true`.
func Bwrap(t testing.TB) string {
	t.Helper()
	p, why := lookup(EnvBwrap, "bwrap")
	if p == "" {
		Missing(t, "bubblewrap", why)
		return ""
	}
	if err := probe(p, "--ro-bind", "/", "/", "--unshare-all", "true"); err != nil {
		Missing(t, "bubblewrap", err.Error())
		return ""
	}
	return p
}

// Dendrite returns the path of a dendrite binary (the Matrix homeserver
// that scripts/testdeps.sh builds from tools/dendrite): HERMES_TEST_DENDRITE,
// or dendrite from PATH, checked with `dendrite --version`.
func Dendrite(t testing.TB) string {
	t.Helper()
	p, why := lookup(EnvDendrite, "dendrite")
	if p == "" {
		Missing(t, "dendrite", why)
		return ""
	}
	if err := probe(p, "--version"); err != nil {
		Missing(t, "dendrite", err.Error())
		return ""
	}
	return p
}

// dockerClient returns an HTTP client that talks to the Docker daemon at
// host (unix:///path only) with a 2 s timeout.
func dockerClient(host string) (*http.Client, error) {
	sock, ok := strings.CutPrefix(host, "unix://")
	if !ok || sock == "" {
		return nil, fmt.Errorf("%q is not a unix:// Docker host", host)
	}
	var d net.Dialer
	return &http.Client{
		Timeout: 2 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return d.DialContext(ctx, "unix", sock)
			},
			DisableKeepAlives: true,
		},
	}, nil
}

// dockerGet does GET path on the daemon at host and returns the body of a
// 200 answer.
func dockerGet(host, path string) ([]byte, error) {
	c, err := dockerClient(host)
	if err != nil {
		return nil, err
	}
	resp, err := c.Get("http://docker" + path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(body))
	}
	return body, nil
}

// DockerHost returns HERMES_TEST_DOCKER_HOST (unix:///…/docker.sock) after
// checking that the daemon answers /_ping. Use it as `docker -H HOST` or
// DOCKER_HOST=HOST, and run containers with --network none.
func DockerHost(t testing.TB) string {
	t.Helper()
	host := os.Getenv(EnvDockerHost)
	if host == "" {
		Missing(t, "docker", EnvDockerHost+" is unset")
		return ""
	}
	body, err := dockerGet(host, "/_ping")
	if err == nil && string(bytes.TrimSpace(body)) != "OK" {
		err = fmt.Errorf("/_ping answered %q", body)
	}
	if err != nil {
		Missing(t, "docker", fmt.Sprintf("daemon at %s does not answer: %v", host, err))
		return ""
	}
	return host
}

// DockerImage returns HERMES_TEST_DOCKER_IMAGE (hermes-test-busybox:latest,
// a busybox image built offline) after checking that the daemon from
// DockerHost has it.
func DockerImage(t testing.TB) string {
	t.Helper()
	host := DockerHost(t)
	if host == "" {
		return ""
	}
	img := os.Getenv(EnvDockerImage)
	if img == "" {
		Missing(t, "docker image", EnvDockerImage+" is unset")
		return ""
	}
	if _, err := dockerGet(host, "/images/"+url.PathEscape(img)+"/json"); err != nil {
		Missing(t, "docker image", fmt.Sprintf("%s on %s: %v", img, host, err))
		return ""
	}
	return img
}

// SSHD returns the path of an sshd binary: HERMES_TEST_SSHD, else
// /usr/sbin/sshd, else sshd from PATH. As root it also makes /run/sshd,
// which sshd insists on and which only the (not running) service creates.
//
// Under -short the tests that start sshd are skipped (they take most of a
// minute); a missing sshd is still reported first.
func SSHD(t testing.TB) string {
	t.Helper()
	p := os.Getenv(EnvSSHD)
	if p == "" {
		if isExecutable("/usr/sbin/sshd") {
			p = "/usr/sbin/sshd"
		} else if lp, err := exec.LookPath("sshd"); err == nil {
			p = lp
		} else {
			Missing(t, "sshd", EnvSSHD+" is unset and there is no /usr/sbin/sshd or sshd in PATH")
			return ""
		}
	}
	if !isExecutable(p) {
		Missing(t, "sshd", p+" is not an executable file")
		return ""
	}
	if os.Geteuid() == 0 {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			Missing(t, "sshd", "cannot make its privilege separation directory: "+err.Error())
			return ""
		}
	}
	Short(t, "starts sshd")
	return p
}

// Node returns the path of a node that runs: HERMES_TEST_NODE, or node from
// PATH, checked with `node --version`.
func Node(t testing.TB) string {
	t.Helper()
	p, why := lookup(EnvNode, "node")
	if p == "" {
		Missing(t, "node", why)
		return ""
	}
	if err := probe(p, "--version"); err != nil {
		Missing(t, "node", err.Error())
		return ""
	}
	return p
}

// MCPEverything returns node and the script of the MCP everything server
// (HERMES_TEST_MCP_EVERYTHING, its dist/index.js). Run it as
// `node SCRIPT stdio`, or `node SCRIPT streamableHttp` with PORT set.
func MCPEverything(t testing.TB) (node, script string) {
	t.Helper()
	script = os.Getenv(EnvMCPEverything)
	if script == "" {
		Missing(t, "MCP everything server", EnvMCPEverything+" is unset")
		return "", ""
	}
	if fi, err := os.Stat(script); err != nil || !fi.Mode().IsRegular() {
		why := script + " is not a file"
		if err != nil {
			why = err.Error()
		}
		Missing(t, "MCP everything server", why)
		return "", ""
	}
	node = Node(t)
	if node == "" {
		return "", ""
	}
	return node, script
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// RepoRoot returns the directory of the hermes module's go.mod, found by
// walking up from the working directory (a test runs in its package's
// directory). It fails the test if there is none.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return root
}

func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if isModuleRoot(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of module %s above %s", Module, wd)
		}
		dir = parent
	}
}

// isModuleRoot reports whether gomod declares module Module (and not a
// nested module such as tools/).
func isModuleRoot(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == Module
		}
	}
	return false
}

var build struct {
	once sync.Once
	path string
	err  error
}

// BuildHermes builds ./cmd/hermes (CGO_ENABLED=0) once per test binary and
// returns the path of the binary. It fails the test with the go build output
// when the build fails.
//
// The binary lives at <repo>/.cache/testbin/hermes, so nothing is left in
// the temp dir: each test binary rebuilds it once (the go build cache makes
// that quick) into a temporary name and renames it into place, so test
// binaries of several packages running at once never see a half-written
// file.
//
// Under -short (make check) the tests that need the binary are skipped.
func BuildHermes(t testing.TB) string {
	t.Helper()
	Short(t, "builds the hermes binary (end-to-end test)")
	build.once.Do(func() { build.path, build.err = buildHermes() })
	if build.err != nil {
		t.Fatalf("testenv: building ./cmd/hermes: %v", build.err)
		return ""
	}
	return build.path
}

func buildHermes() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		if !isExecutable(goBin) {
			return "", fmt.Errorf("go is not in PATH")
		}
	}
	dir := filepath.Join(root, ".cache", "testbin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmpDir, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer func() { _ = os.RemoveAll(tmpDir) }()
	tmp := filepath.Join(tmpDir, "hermes")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// -tags goolm as make build: the binary users get (docs/matrix.md)
	cmd := exec.CommandContext(ctx, goBin, "build", "-tags", "goolm", "-o", tmp, "./cmd/hermes")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	dst := filepath.Join(dir, "hermes")
	if err := os.Rename(tmp, dst); err != nil {
		return "", err
	}
	return dst, nil
}

// Short skips a slow test (it builds the binary or starts processes) under
// `go test -short`, the fast gate of `make check`. It is not a missing
// part: strict mode does not fail it, and `make test` never passes -short.
func Short(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("testenv: skipped under -short: %s", why)
	}
}

// Ripgrep returns the path of rg, or "" after logging that it is missing
// (tests then cover the built-in walker only); under HERMES_TEST_STRICT=1 a
// missing rg fails the test.
func Ripgrep(t testing.TB) string {
	t.Helper()
	rg, err := exec.LookPath("rg")
	if err == nil {
		return rg
	}
	if Strict() {
		t.Fatalf("testenv: ripgrep (rg) not available: %v (install ripgrep) (HERMES_TEST_STRICT=1)", err)
	}
	t.Logf("testenv: ripgrep (rg) not available: %v; only the built-in walker is tested", err)
	return ""
}
