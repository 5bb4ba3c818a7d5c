package ssh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
)

func init() { sandbox.Register("ssh", New) }

// Timings; tests shorten them.
var (
	keepaliveEvery   = 15 * time.Second
	keepaliveTimeout = 10 * time.Second
	dialTimeout      = 20 * time.Second
	killGrace        = 3 * time.Second
	startLimit       = 20 * time.Second // remote login until the wrapper reports its group
)

// ErrClosed is returned by a Backend used after Close.
var ErrClosed = errors.New("ssh: backend is closed")

// hostVars describe the machine hermes runs on; the remote side has its
// own, so they are never sent.
var hostVars = map[string]bool{
	"PATH": true, "HOME": true, "USER": true, "SHELL": true, "TMPDIR": true, "LOGNAME": true,
	"PWD": true, "OLDPWD": true, "SHLVL": true, "_": true, "HOSTNAME": true, "MAIL": true,
	"SSH_AUTH_SOCK": true, "SSH_AGENT_PID": true, "SSH_CONNECTION": true, "SSH_CLIENT": true, "SSH_TTY": true,
	"DISPLAY": true, "XAUTHORITY": true, "XDG_RUNTIME_DIR": true, "XDG_SESSION_ID": true, "DBUS_SESSION_BUS_ADDRESS": true,
	"TERM": true, "GOPATH": true, "GOROOT": true, "GOCACHE": true, "GOMODCACHE": true,
}

// Backend runs commands on one remote host.
type Backend struct {
	addr       string
	cfg        *gossh.ClientConfig
	dial       func(ctx context.Context, network, addr string) (net.Conn, error)
	closeAgent func()
	parent     []string          // the parent environment without host variables
	pass       map[string]string // terminal.env_passthrough values
	workspace  string            // absolute remote directory

	killMu sync.Mutex // one warmKiller at a time

	mu     sync.Mutex
	cli    *gossh.Client
	killer *killer // kills process groups; see warmKiller
	closed bool
	procs  map[string]*process
	nextID int

	keepalives atomic.Int64 // keepalives answered, for tests
}

var (
	_ sandbox.Backend      = (*Backend)(nil)
	_ sandbox.ShellBackend = (*Backend)(nil)
)

// New connects to terminal.ssh.host, checks its host key, and makes sure
// remote_dir exists. It is the "ssh" sandbox.Factory.
func New(ctx context.Context, o sandbox.Options) (sandbox.Backend, error) {
	return newBackend(ctx, o, nil)
}

// newBackend is New with a dialer tests can wrap (nil: net.Dialer).
func newBackend(ctx context.Context, o sandbox.Options, dial func(context.Context, string, string) (net.Conn, error)) (*Backend, error) {
	c := o.Terminal.SSH
	if c.Host == "" {
		return nil, errors.New("ssh: terminal.ssh.host is empty: set it (hermes config set terminal.ssh.host HOST)")
	}
	port := c.Port
	if port == 0 {
		port = 22
	}
	home := lookupEnv(o.Env, "HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	name, err := userName(c.User, o.Env)
	if err != nil {
		return nil, err
	}
	khFile := c.KnownHostsFile
	if khFile == "" {
		khFile = "~/.ssh/known_hosts"
	}
	check, algos, err := hostKeyCheck(expandHome(khFile, home), c.Host, port)
	if err != nil {
		return nil, err
	}
	auth, closeAgent, err := authMethods(c.KeyFile, home, lookupEnv(o.Env, "SSH_AUTH_SOCK"))
	if err != nil {
		return nil, err
	}
	dir := c.RemoteDir
	if dir == "" {
		dir = "~"
	}
	if msg := config.CheckWorkdir(dir); msg != "" {
		if closeAgent != nil {
			closeAgent()
		}
		return nil, fmt.Errorf("ssh: terminal.ssh.remote_dir: %s", msg)
	}
	parent, pass, err := remoteEnv(o)
	if err != nil {
		if closeAgent != nil {
			closeAgent()
		}
		return nil, err
	}
	if dial == nil {
		d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	b := &Backend{
		addr: net.JoinHostPort(c.Host, strconv.Itoa(port)),
		cfg: &gossh.ClientConfig{
			User: name, Auth: auth, HostKeyCallback: check, HostKeyAlgorithms: algos,
			Timeout: dialTimeout, ClientVersion: "SSH-2.0-hermes",
		},
		dial: dial, closeAgent: closeAgent, parent: parent, pass: pass, procs: map[string]*process{},
	}
	ws, err := b.prepareDir(ctx, dir)
	if err != nil {
		_ = b.Close()
		return nil, err
	}
	b.workspace = ws
	return b, nil
}

// userName is the configured remote user, else the local one.
func userName(configured string, env []string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	for _, k := range []string{"USER", "LOGNAME"} {
		if v := lookupEnv(env, k); v != "" {
			return v, nil
		}
	}
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("ssh: terminal.ssh.user is empty and the local user is unknown (%v): set terminal.ssh.user", err)
	}
	return u.Username, nil
}

// remoteEnv returns what every command's environment is made of: the
// parent's without host variables, and the terminal.env_passthrough values
// (sandbox.PassthroughEnv). Each command gets sandbox.ChildEnvMap of them
// and its own Env: one filter, as every backend applies it.
func remoteEnv(o sandbox.Options) (parent []string, pass map[string]string, err error) {
	pass, err = sandbox.PassthroughEnv(o)
	if err != nil {
		return nil, nil, fmt.Errorf("ssh: %w", err)
	}
	return sandbox.WithoutHost(o.Env, hostVars), pass, nil
}

// prepareDir creates dir on the remote side and returns its absolute path.
func (b *Backend) prepareDir(ctx context.Context, dir string) (string, error) {
	q := quoteDir(dir)
	// The directory comes back behind a marker: a login shell's rc files
	// may print noise (pyenv, motd lines) into the same output.
	const marker = "hermes-remote-dir:"
	res, err := b.run(ctx, sandbox.Spec{Command: "mkdir -p " + q + " && cd " + q + " && printf '" + marker + "%s\\n' \"$(pwd -P)\"", Timeout: dialTimeout}, "/", nil)
	if err != nil {
		return "", err
	}
	out := ""
	for _, line := range strings.Split(res.Output, "\n") {
		if i := strings.Index(line, marker); i >= 0 {
			out = strings.TrimSuffix(line[i+len(marker):], "\r")
		}
	}
	if res.ExitCode != 0 || !strings.HasPrefix(out, "/") {
		return "", fmt.Errorf("ssh: cannot use terminal.ssh.remote_dir %s on %s (exit %d): %s", dir, b.addr, res.ExitCode, strings.TrimSpace(res.Output))
	}
	if msg := config.CheckWorkdir(out); msg != "" {
		return "", fmt.Errorf("ssh: remote_dir %s resolves to %s: %s", dir, out, msg)
	}
	return out, nil
}

// Name is "ssh".
func (b *Backend) Name() string { return "ssh" }

// Workspace is the absolute remote directory commands start in.
func (b *Backend) Workspace() string { return b.workspace }

// client returns the live connection, dialling one if there is none.
func (b *Backend) client(ctx context.Context) (*gossh.Client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if b.cli != nil {
		return b.cli, nil
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, err := b.dial(ctx, "tcp", b.addr)
	if err != nil {
		return nil, fmt.Errorf("ssh: connecting to %s: %w", b.addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// A ctx done during the handshake ends it too: a past deadline makes
	// the blocked read return.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	cc, chans, reqs, err := gossh.NewClientConn(conn, b.addr, b.cfg)
	if !stop() && err == nil {
		err = ctx.Err()
		_ = cc.Close()
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("ssh: logging in to %s as %s: %w", b.addr, b.cfg.User, err)
	}
	_ = conn.SetDeadline(time.Time{})
	cli := gossh.NewClient(cc, chans, reqs)
	b.cli = cli
	go b.watch(cli, keepaliveEvery, keepaliveTimeout)
	return cli, nil
}

// watch sends a keepalive on cli every period and forgets cli once it is
// gone or a keepalive is not answered within timeout, so the next command
// reconnects.
func (b *Backend) watch(cli *gossh.Client, every, timeout time.Duration) {
	gone := make(chan struct{})
	go func() { _ = cli.Wait(); close(gone) }()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-gone:
			b.drop(cli)
			return
		case <-t.C:
		}
		answered := make(chan error, 1)
		go func() {
			_, _, err := cli.SendRequest("keepalive@openssh.com", true, nil)
			answered <- err
		}()
		select {
		case err := <-answered:
			if err == nil {
				b.keepalives.Add(1)
				continue
			}
		case <-time.After(timeout):
		case <-gone:
		}
		b.drop(cli)
		return
	}
}

// drop closes cli and forgets it if it is still the current connection.
func (b *Backend) drop(cli *gossh.Client) {
	b.mu.Lock()
	if b.cli == cli {
		b.cli = nil
	}
	b.mu.Unlock()
	_ = cli.Close()
}

// session opens a session and returns it with the connection it is on,
// reconnecting once if the connection is gone or does not answer within
// opTimeout. A refused channel (the server's MaxSessions) is not a dead
// connection; a done ctx ends it at once.
func (b *Backend) session(ctx context.Context) (*gossh.Session, *gossh.Client, error) {
	var last error
	for range 2 {
		cli, err := b.client(ctx)
		if err != nil {
			return nil, nil, err
		}
		s, err := b.newSession(ctx, cli)
		if err == nil {
			return s, cli, nil
		}
		if ctx.Err() != nil {
			return nil, nil, err
		}
		var oce *gossh.OpenChannelError
		if errors.As(err, &oce) {
			return nil, nil, fmt.Errorf("ssh: %s refused a new session (%v); raise MaxSessions in its sshd_config or run fewer commands at once", b.addr, err)
		}
		b.drop(cli)
		last = err
	}
	return nil, nil, fmt.Errorf("ssh: opening a session on %s: %w", b.addr, last)
}

// Close kills background commands and closes the connection.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	procs := make([]*process, 0, len(b.procs))
	for _, p := range b.procs {
		procs = append(procs, p)
	}
	b.mu.Unlock()
	for _, p := range procs {
		_ = p.Kill()
	}
	b.mu.Lock()
	b.closed = true
	cli, k := b.cli, b.killer
	b.cli, b.killer = nil, nil
	b.mu.Unlock()
	if k != nil {
		k.close()
	}
	var err error
	if cli != nil {
		err = cli.Close()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
	}
	if b.closeAgent != nil {
		b.closeAgent()
	}
	return err
}
