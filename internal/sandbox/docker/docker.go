package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/hermes-go/hermes/internal/sandbox"
)

func init() { sandbox.Register("docker", New) }

// Where things are inside the container.
const (
	// Workdir is where the host workspace is mounted and where commands start.
	Workdir = "/workspace"
	// pidDir holds one pid file per running exec (a tmpfs).
	pidDir = "/run"
)

// Compile-time interface guard.
var _ sandbox.Backend = (*Backend)(nil)

// Backend runs commands in one container; it is safe for concurrent use.
type Backend struct {
	cli        *client.Client
	host       string // the daemon, for messages
	container  string // the container's id
	persistent bool
	user       string            // exec user ("" is the image's, uid:gid for run_as_host_user)
	parent     []string          // the parent environment without host-only variables
	pass       map[string]string // terminal.env_passthrough values

	mu     sync.Mutex
	procs  map[string]*sandbox.Background
	nextID int
	closed bool
}

// New connects to the daemon (terminal.docker.host, else DOCKER_HOST),
// checks that the image is there, and creates and starts the session's
// container, or finds and reuses the persistent one for the workspace.
func New(ctx context.Context, o sandbox.Options) (sandbox.Backend, error) {
	d := o.Terminal.Docker
	if d.Image == "" {
		return nil, errors.New("docker backend: terminal.docker.image is empty: set it to an image on the daemon")
	}
	ws, err := prepareWorkspace(o.Workspace)
	if err != nil {
		return nil, err
	}
	cli, host, err := connect(ctx, d.Host)
	if err != nil {
		return nil, err
	}
	b := &Backend{cli: cli, host: host, persistent: d.Persistent, procs: map[string]*sandbox.Background{}}
	if d.RunAsHostUser {
		b.user = fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
	}
	if b.parent, b.pass, err = containerEnv(o); err != nil {
		_ = cli.Close()
		return nil, err
	}
	spec, err := buildSpec(o, ws, host, b.user)
	if err != nil {
		_ = cli.Close()
		return nil, err
	}
	if err := checkImage(ctx, cli, host, d.Image); err != nil {
		_ = cli.Close()
		return nil, err
	}
	if b.container, err = ensureContainer(ctx, cli, spec); err != nil {
		_ = cli.Close()
		return nil, err
	}
	return b, nil
}

// connect returns a client for host (or DOCKER_HOST when host is empty)
// after a ping that also settles the API version.
func connect(ctx context.Context, host string) (*client.Client, string, error) {
	opt := client.WithHostFromEnv()
	if host != "" {
		if !strings.HasPrefix(host, "unix://") && !strings.HasPrefix(host, "tcp://") {
			return nil, "", fmt.Errorf("docker backend: host %q: use unix:///path/docker.sock or tcp://127.0.0.1:PORT", host)
		}
		opt = client.WithHost(host)
	}
	cli, err := client.New(opt)
	if err != nil {
		return nil, "", fmt.Errorf("docker backend: daemon address: %w", err)
	}
	host = cli.DaemonHost()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = cli.Close()
		return nil, "", fmt.Errorf("docker backend: daemon at %s does not answer (is dockerd running, and is terminal.docker.host or DOCKER_HOST right?): %w", host, err)
	}
	return cli, host, nil
}

// checkImage fails with what to do when image is not on the daemon.
func checkImage(ctx context.Context, cli *client.Client, host, image string) error {
	_, err := cli.ImageInspect(ctx, image)
	if err == nil {
		return nil
	}
	if cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker backend: image %q is not on the daemon at %s: pull it (`docker pull %s`) or build it (`docker build -t %s .`), or set terminal.docker.image to one that is", image, host, image, image)
	}
	return fmt.Errorf("docker backend: inspecting image %q: %w", image, err)
}

// prepareWorkspace makes the workspace folder and returns its absolute,
// symlink-free path.
func prepareWorkspace(ws string) (string, error) {
	if ws == "" {
		return "", errors.New("docker backend: no workspace folder given")
	}
	abs, err := filepath.Abs(ws)
	if err != nil {
		return "", fmt.Errorf("docker backend: workspace %q: %w", ws, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("docker backend: creating workspace: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("docker backend: workspace %q: %w", ws, err)
	}
	return real, nil
}

// hostOnly are parent variables that describe the host, not the container;
// the image's own values hold for them.
var hostOnly = map[string]bool{
	"PATH": true, "HOME": true, "PWD": true, "OLDPWD": true, "HOSTNAME": true, "SHLVL": true,
	"SHELL": true, "USER": true, "LOGNAME": true, "TMPDIR": true, "MAIL": true, "_": true,
	"DOCKER_HOST": true, "DOCKER_CERT_PATH": true, "DOCKER_TLS_VERIFY": true, "DOCKER_CONFIG": true,
	"SSH_AUTH_SOCK": true, "XDG_RUNTIME_DIR": true, "DBUS_SESSION_BUS_ADDRESS": true,
}

// containerEnv returns what every exec's environment is made of: the
// parent's without host-only variables, and the terminal.env_passthrough
// values (sandbox.PassthroughEnv). execEnv filters them once, with
// sandbox.ChildEnv, as every backend does.
func containerEnv(o sandbox.Options) (parent []string, pass map[string]string, err error) {
	pass, err = sandbox.PassthroughEnv(o)
	if err != nil {
		return nil, nil, fmt.Errorf("docker backend: %w", err)
	}
	return sandbox.WithoutHost(o.Env, hostOnly), pass, nil
}

// Name is "docker".
func (b *Backend) Name() string { return "docker" }

// Workspace is /workspace, where the host workspace is mounted.
func (b *Backend) Workspace() string { return Workdir }

// ContainerID is the id of the container commands run in.
func (b *Backend) ContainerID() string { return b.container }

// Close kills background processes and, unless the container is
// persistent, removes it.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	procs := make([]*sandbox.Background, 0, len(b.procs))
	for _, p := range b.procs {
		procs = append(procs, p)
	}
	b.mu.Unlock()

	var errs []error
	if b.persistent {
		for _, p := range procs {
			errs = append(errs, p.Kill())
		}
	}
	if !b.persistent {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := b.cli.ContainerRemove(ctx, b.container, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("docker backend: removing container %.12s: %w", b.container, err))
		}
	}
	for _, p := range procs {
		p.Forget()
	}
	errs = append(errs, b.cli.Close())
	return errors.Join(errs...)
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}
