package doctor

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// checkTerminal: the configured terminal backend can run here: auto found
// a sandbox (or says why it fell back to local), bwrap makes one, the
// docker daemon answers, the ssh host accepts connections, apptainer or
// singularity is installed, modal has its token. Nothing is started.
func (t *target) checkTerminal(ctx context.Context) []Result {
	name := t.name("terminal")
	if t.cfg == nil {
		return nil
	}
	tc := t.cfg.Terminal
	switch tc.Backend {
	case "", "local":
		return []Result{{Status: OK, Name: name, Message: "local: commands run on this machine without a sandbox"}}
	case sandbox.Auto:
		c := sandbox.ResolveAuto()
		if !c.Isolated() {
			return []Result{{Name: name, Status: Warn, Message: "terminal.backend auto fell back to local (no sandbox): " + c.Reason,
				Fix: "install bubblewrap (apt install bubblewrap), or set terminal.backend: local to accept it"}}
		}
		return []Result{{Name: name, Status: OK, Message: "auto: " + c.Reason}}
	case "bubblewrap":
		c := sandbox.ResolveAuto()
		if !c.Isolated() {
			return []Result{{Name: name, Status: Fail, Message: "bubblewrap cannot run: " + c.Reason, Fix: "install bubblewrap (apt install bubblewrap) or pick another terminal.backend"}}
		}
		return []Result{{Name: name, Status: OK, Message: "bubblewrap: " + c.Reason}}
	case "docker":
		host := tc.Docker.Host
		if host == "" {
			host = t.o.getenv("DOCKER_HOST")
		}
		if host == "" {
			host = "unix:///var/run/docker.sock"
		}
		if err := pingDocker(ctx, host); err != nil {
			return []Result{{Name: name, Status: Fail, Message: "docker daemon at " + host + " does not answer: " + err.Error(),
				Fix: "start dockerd, or set terminal.docker.host (or DOCKER_HOST)"}}
		}
		return []Result{{Name: name, Status: OK, Message: "docker daemon at " + host + " answers"}}
	case "ssh":
		if tc.SSH.Host == "" {
			return []Result{{Name: name, Status: Fail, Message: "terminal.ssh.host is empty", Fix: "run `hermes config set terminal.ssh.host HOST`"}}
		}
		port := tc.SSH.Port
		if port == 0 {
			port = 22
		}
		addr := net.JoinHostPort(tc.SSH.Host, strconv.Itoa(port))
		d := net.Dialer{Timeout: 3 * time.Second}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return []Result{{Name: name, Status: Fail, Message: "ssh host " + addr + " does not accept connections: " + err.Error(), Fix: "check terminal.ssh.host and port, and that sshd runs"}}
		}
		conn.Close()
		return []Result{{Name: name, Status: OK, Message: "ssh host " + addr + " accepts connections (`hermes sandbox check` logs in)"}}
	case "singularity":
		bins := []string{"apptainer", "singularity"}
		if tc.Singularity.Executable != "" {
			bins = []string{tc.Singularity.Executable}
		}
		for _, b := range bins {
			if p, err := exec.LookPath(b); err == nil {
				return []Result{{Name: name, Status: OK, Message: "singularity backend: " + p}}
			}
		}
		return []Result{{Name: name, Status: Fail, Message: "neither " + strings.Join(bins, " nor ") + " is on PATH", Fix: "install apptainer, or pick another terminal.backend"}}
	case "modal":
		for _, v := range []string{"MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET"} {
			if _, ok := t.lookup(v); !ok {
				if _, err := os.Stat(os.ExpandEnv("$HOME/.modal.toml")); err == nil {
					break
				}
				return []Result{{Name: name, Status: Fail, Message: v + " is not set and there is no ~/.modal.toml", Fix: "add " + v + "=... to .env"}}
			}
		}
		return []Result{{Name: name, Status: OK, Message: "modal: a token is configured"}}
	}
	return []Result{{Name: name, Status: Fail, Message: "unknown terminal.backend " + tc.Backend, Fix: "pick one of " + strings.Join(sandbox.Names(), ", ")}}
}

// pingDocker asks the daemon's /_ping.
func pingDocker(ctx context.Context, host string) error {
	tr := &http.Transport{}
	base := ""
	switch {
	case strings.HasPrefix(host, "unix://"):
		sock := strings.TrimPrefix(host, "unix://")
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
		base = "http://docker"
	case strings.HasPrefix(host, "tcp://"):
		base = "http://" + strings.TrimPrefix(host, "tcp://")
	default:
		return fmt.Errorf("unsupported address %q (want unix:// or tcp://)", host)
	}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_ping", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/_ping answered %s", resp.Status)
	}
	return nil
}
