package ssh

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// lookupEnv finds name in env (KEY=VALUE entries); the last entry wins, as
// in os/exec.
func lookupEnv(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// expandHome turns ~ and ~/x into paths under home.
func expandHome(p, home string) string {
	if p == "~" {
		return home
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		return filepath.Join(home, rest)
	}
	return p
}

// authMethods returns how to log in, in the order the brief of this backend
// fixes: the configured key file alone; else the agent's keys followed by
// the default key files that open without a passphrase. The closer, if not
// nil, releases the agent connection.
func authMethods(keyFile, home, agentSock string) ([]gossh.AuthMethod, func(), error) {
	if keyFile != "" {
		path := expandHome(keyFile, home)
		signer, err := loadKey(path)
		if err != nil {
			return nil, nil, err
		}
		return []gossh.AuthMethod{gossh.PublicKeys(signer)}, nil, nil
	}

	var signers []gossh.Signer
	var closer func()
	if agentSock != "" {
		conn, err := net.Dial("unix", agentSock)
		if err == nil {
			ag := agent.NewClient(conn)
			if s, err := ag.Signers(); err == nil {
				signers = append(signers, s...)
			}
			closer = func() { _ = conn.Close() }
		}
	}
	for _, name := range []string{"id_ed25519", "id_rsa"} {
		p := filepath.Join(home, ".ssh", name)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		s, err := loadKey(p)
		if err != nil {
			continue // a protected default key is the agent's business
		}
		signers = append(signers, s)
	}
	if len(signers) == 0 {
		if closer != nil {
			closer()
		}
		return nil, nil, errors.New("ssh: no credentials: set terminal.ssh.key_file, load a key into ssh-agent (SSH_AUTH_SOCK), or create ~/.ssh/id_ed25519 without a passphrase")
	}
	return []gossh.AuthMethod{gossh.PublicKeys(signers...)}, closer, nil
}

// loadKey reads an unencrypted private key. A passphrase-protected one is
// refused with a way out: hermes cannot ask for a passphrase.
func loadKey(path string) (gossh.Signer, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ssh: key file: %w", err)
	}
	s, err := gossh.ParsePrivateKey(pem)
	var missing *gossh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("ssh: key file %s is protected by a passphrase, which hermes cannot ask for: add it to ssh-agent (ssh-add %s) and leave terminal.ssh.key_file empty, or use a key without a passphrase", path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("ssh: key file %s: %w", path, err)
	}
	return s, nil
}

// hostKeyCheck verifies the server against a known_hosts file; there is no
// way to skip it. It returns the callback and the key algorithms the file
// knows for host:port, so the server is asked for a key type we can check.
func hostKeyCheck(file, host string, port int) (gossh.HostKeyCallback, []string, error) {
	addFix := addHint(file, host, port)
	if _, err := os.Stat(file); err != nil {
		return nil, nil, fmt.Errorf("ssh: known_hosts %s: %w; add the host's key first: %s", file, err, addFix)
	}
	cb, err := knownhosts.New(file)
	if err != nil {
		return nil, nil, fmt.Errorf("ssh: reading known_hosts %s: %w", file, err)
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	algos := knownAlgorithms(cb, addr)
	check := func(hostname string, remote net.Addr, key gossh.PublicKey) error {
		err := cb(hostname, remote, key)
		var ke *knownhosts.KeyError
		if errors.As(err, &ke) {
			fp := gossh.FingerprintSHA256(key)
			if len(ke.Want) == 0 {
				return fmt.Errorf("ssh: host %s is not in %s (it offered %s key %s); check that fingerprint with the host's owner, then add it: %s",
					addr, file, key.Type(), fp, addFix)
			}
			return fmt.Errorf("ssh: HOST KEY CHANGED for %s: it offered %s key %s, which does not match %s line %d; this can be a man-in-the-middle attack. If the host was really reinstalled, remove the old entry (ssh-keygen -R %s -f %s) and add the new one: %s",
				addr, key.Type(), fp, ke.Want[0].Filename, ke.Want[0].Line, shellQuote(knownhosts.Normalize(addr)), file, addFix)
		}
		var re *knownhosts.RevokedError
		if errors.As(err, &re) {
			return fmt.Errorf("ssh: host %s offered a revoked key (%s)", addr, gossh.FingerprintSHA256(key))
		}
		return err
	}
	return check, algos, nil
}

// addHint is the command that adds host:port to file.
func addHint(file, host string, port int) string {
	return fmt.Sprintf("ssh-keyscan -p %d %s >> %s", port, host, file)
}

// knownAlgorithms asks the known_hosts callback which keys it holds for
// addr (it lists them in a KeyError for a key it cannot match) and returns
// the host key algorithms they stand for.
func knownAlgorithms(cb gossh.HostKeyCallback, addr string) []string {
	var ke *knownhosts.KeyError
	if err := cb(addr, &net.TCPAddr{IP: net.IPv4zero}, probeKey{}); !errors.As(err, &ke) {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, k := range ke.Want {
		switch t := k.Key.Type(); t {
		case gossh.KeyAlgoRSA:
			add(gossh.KeyAlgoRSASHA512)
			add(gossh.KeyAlgoRSASHA256)
			add(gossh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	return out
}

// probeKey is a public key no known_hosts line matches.
type probeKey struct{}

func (probeKey) Type() string                                   { return "hermes-probe" }
func (probeKey) Marshal() []byte                                { return []byte("hermes-probe") }
func (probeKey) Verify(data []byte, sig *gossh.Signature) error { return errors.New("probe key") }
