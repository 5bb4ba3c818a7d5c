package ssh

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/testenv"
)

// server is a real sshd on 127.0.0.1 for one test.
type server struct {
	port       int
	dir        string
	hostPub    gossh.PublicKey
	userKey    string // private key file that the server accepts
	knownHosts string // known_hosts with the server's key
	user       string
}

// writeKey makes an ed25519 key and writes its private half to path.
func writeKey(t testing.TB, path string) gossh.PublicKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}

// startServer runs `sshd -D -e -f CONFIG` until the test ends.
func startServer(t testing.TB) *server { return startServerConf(t, "") }

// startServerConf is startServer with extra sshd_config lines.
func startServerConf(t testing.TB, extra string) *server {
	t.Helper()
	sshd := testenv.SSHD(t)
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &server{dir: dir, user: u.Username, port: freePort(t)}
	s.hostPub = writeKey(t, filepath.Join(dir, "host_key"))
	s.userKey = filepath.Join(dir, "id_user")
	userPub := writeKey(t, s.userKey)
	mustWrite(t, filepath.Join(dir, "authorized_keys"), string(gossh.MarshalAuthorizedKey(userPub)))
	s.knownHosts = filepath.Join(dir, "known_hosts")
	mustWrite(t, s.knownHosts, knownHostsLine(s.port, s.hostPub))
	conf := filepath.Join(dir, "sshd_config")
	mustWrite(t, conf, fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile %s
AllowUsers %s
MaxSessions 64
MaxStartups 64
LogLevel ERROR
%s
`, s.port, filepath.Join(dir, "host_key"), filepath.Join(dir, "authorized_keys"),
		filepath.Join(dir, "sshd.pid"), s.user, extra))
	cmd := exec.Command(sshd, "-D", "-e", "-f", conf)
	cmd.Stderr = &testLog{t: t}
	if err := cmd.Start(); err != nil {
		testenv.Missing(t, "sshd", err.Error())
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)))
		if err == nil {
			_ = c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not listen on %d: %v", s.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func knownHostsLine(port int, key gossh.PublicKey) string {
	return fmt.Sprintf("[127.0.0.1]:%d %s", port, gossh.MarshalAuthorizedKey(key))
}

// options for a backend logging in to s with its user key, in remoteDir.
func (s *server) options(t testing.TB, remoteDir string) sandbox.Options {
	t.Helper()
	return sandbox.Options{
		Terminal: config.Terminal{Backend: "ssh", SSH: config.SSH{
			Host: "127.0.0.1", Port: s.port, User: s.user, KeyFile: s.userKey,
			KnownHostsFile: s.knownHosts, RemoteDir: remoteDir,
		}},
		HomeDir: t.TempDir(),
		Env:     []string{"HOME=" + t.TempDir(), "LANG=C"},
	}
}

// backend connects to s; it is closed when the test ends.
func (s *server) backend(t testing.TB, remoteDir string) *Backend {
	t.Helper()
	b, err := newBackend(context.Background(), s.options(t, remoteDir), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func mustWrite(t testing.TB, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// testLog sends sshd's log to the test log.
type testLog struct{ t testing.TB }

func (l *testLog) Write(p []byte) (int, error) {
	l.t.Logf("sshd: %s", p)
	return len(p), nil
}
