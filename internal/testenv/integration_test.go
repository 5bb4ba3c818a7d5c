package testenv_test

// These run the real parts when they are there (`make test` prepares them)
// and skip otherwise, or fail with HERMES_TEST_STRICT=1.

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/testenv"
)

func TestBwrapSandboxRuns(t *testing.T) {
	bwrap := testenv.Bwrap(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// In the sandbox the shell is a low pid of a new pid namespace and the
	// new network namespace has nothing but lo.
	out, err := exec.CommandContext(ctx, bwrap,
		"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
		"--unshare-all", "--die-with-parent",
		"sh", "-c", `echo $$; tail -n +3 /proc/net/dev | cut -d: -f1`).CombinedOutput()
	if err != nil {
		t.Fatalf("bwrap: %v: %s", err, out)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		t.Fatalf("bwrap output %q, want a pid and lo", out)
	}
	if pid, err := strconv.Atoi(lines[0]); err != nil || pid > 2 {
		t.Errorf("shell pid in sandbox = %q, want 1 or 2 (a new pid namespace)", lines[0])
	}
	if lines[1] != "lo" {
		t.Errorf("network interfaces in sandbox = %q, want only lo", lines[1:])
	}
}

// dockerCLI returns `docker -H host` ready for more arguments.
func dockerCLI(t *testing.T, host string) []string {
	t.Helper()
	p, err := exec.LookPath("docker")
	if err != nil {
		testenv.Missing(t, "docker CLI", err.Error())
	}
	return []string{p, "-H", host}
}

func TestDockerDaemonHasNoBridge(t *testing.T) {
	host := testenv.DockerHost(t)
	sock := strings.TrimPrefix(host, "unix://")
	c := &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}},
	}
	defer c.CloseIdleConnections()
	resp, err := c.Get("http://docker/networks")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var nets []struct{ Name, Driver string }
	if err := json.NewDecoder(resp.Body).Decode(&nets); err != nil {
		t.Fatal(err)
	}
	for _, n := range nets {
		if n.Driver != "host" && n.Driver != "null" {
			t.Errorf("daemon has network %q (driver %s): tests must use --network none and create no networks", n.Name, n.Driver)
		}
	}
}

func TestDockerRunsBusybox(t *testing.T) {
	host := testenv.DockerHost(t)
	img := testenv.DockerImage(t)
	args := append(dockerCLI(t, host), "run", "--rm", "--network", "none", img,
		"sh", "-c", "echo hi; tail -n +3 /proc/net/dev | cut -d: -f1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	if got := strings.Fields(string(out)); len(got) != 2 || got[0] != "hi" || got[1] != "lo" {
		t.Errorf("container printed %q, want \"hi\" and only the lo interface", out)
	}
}

func TestSSHDServesBanner(t *testing.T) {
	sshd := testenv.SSHD(t)
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		testenv.Missing(t, "ssh-keygen", err.Error())
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sshd, "-D", "-e", "-f", "/dev/null",
		"-o", "ListenAddress="+addr, "-o", "HostKey="+key, "-o", "PidFile=none")
	logPath := filepath.Join(dir, "sshd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = logFile.Close() }()
	cmd.Stderr = logFile // a file: the test reads it while sshd runs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
	}()

	var conn net.Conn
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if conn, err = net.Dial("tcp", addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("sshd did not listen on %s: %v; its log:\n%s", addr, err, log)
		}
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	banner, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(banner, "SSH-2.0-OpenSSH") {
		t.Errorf("sshd banner %q (%v), want SSH-2.0-OpenSSH…", banner, err)
	}
}

func TestMCPEverythingInitializes(t *testing.T) {
	node, script := testenv.MCPEverything(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, "stdio")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPath := filepath.Join(t.TempDir(), "stderr")
	errFile, err := os.Create(errPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = errFile.Close() }()
	cmd.Stderr = errFile // a file: the test reads it while the server runs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	}()

	req := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"hermes-testenv","version":"0"}}}` + "\n"
	if _, err := io.WriteString(stdin, req); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	if !sc.Scan() {
		stderr, _ := os.ReadFile(errPath)
		t.Fatalf("no answer from %s: %v; stderr:\n%s", script, sc.Err(), stderr)
	}
	var resp struct {
		ID     int `json:"id"`
		Result struct {
			ProtocolVersion string `json:"protocolVersion"`
			ServerInfo      struct{ Name string }
		}
		Error *struct{ Message string }
	}
	if err := json.Unmarshal(sc.Bytes(), &resp); err != nil {
		t.Fatalf("answer %.200q: %v", sc.Bytes(), err)
	}
	if resp.Error != nil || resp.ID != 1 || resp.Result.ServerInfo.Name == "" || resp.Result.ProtocolVersion == "" {
		t.Errorf("initialize answer %.300q, want a result with serverInfo", sc.Bytes())
	}
	if !strings.Contains(resp.Result.ServerInfo.Name, "everything") {
		t.Errorf("serverInfo.name = %q, want the everything server", resp.Result.ServerInfo.Name)
	}
}
