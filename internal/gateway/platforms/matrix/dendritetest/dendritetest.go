// Package dendritetest starts a real Matrix homeserver (dendrite, built by
// scripts/testdeps.sh from tools/dendrite) on 127.0.0.1 for tests: SQLite
// databases in a temporary directory, federation off, registration by
// shared secret only. It registers users through the shared-secret admin
// API and gives mautrix clients for them.
package dendritetest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/hermes-go/hermes/internal/testenv"
)

// ServerName is the homeserver's name: users are @name:localhost.
const ServerName = "localhost"

// Server is a running dendrite.
type Server struct {
	URL    string // http://127.0.0.1:PORT
	secret string
	dir    string
	cmd    *exec.Cmd
	log    *bytes.Buffer
	mu     sync.Mutex
}

// Start runs dendrite until the test ends; it skips (or fails under
// HERMES_TEST_STRICT) when there is no dendrite binary.
func Start(t testing.TB) *Server {
	t.Helper()
	testenv.Short(t, "starts a Matrix homeserver")
	bin := testenv.Dendrite(t)
	dir := t.TempDir()
	secret := randomHex(16)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	if err := writeKey(filepath.Join(dir, "matrix_key.pem")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dendrite.yaml"), []byte(config(dir, secret)), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), secret: secret, dir: dir, log: &bytes.Buffer{}}
	s.cmd = exec.Command(bin, "--config", filepath.Join(dir, "dendrite.yaml"),
		"--http-bind-address", fmt.Sprintf("127.0.0.1:%d", port), "--https-bind-address", "")
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = syncWriter{s}, syncWriter{s}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("dendritetest: start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		if t.Failed() {
			t.Logf("dendrite log (tail):\n%s", s.tail(4000))
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/_matrix/client/versions")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("dendritetest: dendrite did not answer on %s within 90s; log:\n%s", s.URL, s.tail(4000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type syncWriter struct{ s *Server }

func (w syncWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(p)
}

func (s *Server) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.log.Bytes()
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// User is a registered account.
type User struct {
	ID       id.UserID
	Token    string
	DeviceID id.DeviceID
	Password string
}

// Register creates the user localpart with the shared-secret admin API.
func (s *Server) Register(t testing.TB, localpart string) User {
	t.Helper()
	password := randomHex(12)
	var nonce struct {
		Nonce string `json:"nonce"`
	}
	if err := getJSON(s.URL+"/_synapse/admin/v1/register", &nonce); err != nil {
		t.Fatalf("dendritetest: register nonce: %v", err)
	}
	mac := hmac.New(sha1.New, []byte(s.secret))
	mac.Write([]byte(nonce.Nonce + "\x00" + localpart + "\x00" + password + "\x00notadmin"))
	body, _ := json.Marshal(map[string]any{"nonce": nonce.Nonce, "username": localpart, "password": password,
		"admin": false, "mac": hex.EncodeToString(mac.Sum(nil))})
	resp, err := http.Post(s.URL+"/_synapse/admin/v1/register", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("dendritetest: register %s: %v", localpart, err)
	}
	defer resp.Body.Close()
	var out struct {
		UserID      id.UserID   `json:"user_id"`
		AccessToken string      `json:"access_token"`
		DeviceID    id.DeviceID `json:"device_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.AccessToken == "" {
		t.Fatalf("dendritetest: register %s: status %d, %v", localpart, resp.StatusCode, err)
	}
	return User{ID: out.UserID, Token: out.AccessToken, DeviceID: out.DeviceID, Password: password}
}

// Client is a mautrix client logged in as u.
func (s *Server) Client(t testing.TB, u User) *mautrix.Client {
	t.Helper()
	cli, err := mautrix.NewClient(s.URL, u.ID, u.Token)
	if err != nil {
		t.Fatal(err)
	}
	cli.DeviceID = u.DeviceID
	return cli
}

// Login logs u in afresh: a new device with its own token.
func (s *Server) Login(t testing.TB, u User) User {
	t.Helper()
	cli, err := mautrix.NewClient(s.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := cli.Login(ctx, &mautrix.ReqLogin{Type: mautrix.AuthTypePassword,
		Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: u.ID.String()}, Password: u.Password})
	if err != nil {
		t.Fatalf("dendritetest: login %s: %v", u.ID, err)
	}
	return User{ID: resp.UserID, Token: resp.AccessToken, DeviceID: resp.DeviceID, Password: u.Password}
}

func getJSON(url string, out any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeKey writes the server's ed25519 signing key as dendrite reads it:
// a 32-byte seed in a MATRIX PRIVATE KEY block.
func writeKey(path string) error {
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	pem := "-----BEGIN MATRIX PRIVATE KEY-----\nKey-ID: ed25519:test\n\n" +
		base64.StdEncoding.EncodeToString(seed) + "\n-----END MATRIX PRIVATE KEY-----\n"
	return os.WriteFile(path, []byte(pem), 0o600)
}

// config is a dendrite.yaml: SQLite files in dir, no federation,
// registration only by shared secret, rate limiting off (tests send
// quickly), no outbound network.
func config(dir, secret string) string {
	db := func(name string) string {
		return fmt.Sprintf("    connection_string: file:%s\n", filepath.Join(dir, name+".db"))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `version: 2
global:
  server_name: %s
  private_key: %s
  key_validity_period: 168h0m0s
  cache:
    max_size_estimated: 64mb
    max_age: 1h
  trusted_third_party_id_servers: []
  disable_federation: true
  presence:
    enable_inbound: false
    enable_outbound: false
  report_stats:
    enabled: false
  jetstream:
    storage_path: %s
    topic_prefix: Dendrite
  metrics:
    enabled: false
  dns_cache:
    enabled: false
app_service_api:
  database:
`, ServerName, filepath.Join(dir, "matrix_key.pem"), filepath.Join(dir, "jetstream"))
	b.WriteString(db("appservice"))
	fmt.Fprintf(&b, `client_api:
  registration_disabled: true
  guests_disabled: true
  registration_shared_secret: %q
  rate_limiting:
    enabled: false
federation_api:
  database:
`, secret)
	b.WriteString(db("federationapi"))
	b.WriteString("  key_perspectives: []\n  deny_networks: []\n  allow_networks: []\nkey_server:\n  database:\n")
	b.WriteString(db("keyserver"))
	fmt.Fprintf(&b, "media_api:\n  base_path: %s\n  database:\n", filepath.Join(dir, "media"))
	b.WriteString(db("mediaapi"))
	b.WriteString("mscs:\n  mscs: []\n  database:\n")
	b.WriteString(db("mscs"))
	b.WriteString("relay_api:\n  database:\n")
	b.WriteString(db("relayapi"))
	b.WriteString("room_server:\n  database:\n")
	b.WriteString(db("roomserver"))
	b.WriteString("sync_api:\n  search:\n    enabled: false\n  database:\n")
	b.WriteString(db("syncapi"))
	b.WriteString("user_api:\n  bcrypt_cost: 4\n  account_database:\n")
	b.WriteString(db("userapi"))
	b.WriteString("tracing:\n  enabled: false\nlogging:\n  - type: std\n    level: warn\n")
	return b.String()
}
