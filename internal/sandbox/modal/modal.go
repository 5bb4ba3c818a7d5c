package modal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	msdk "github.com/modal-labs/libmodal/modal-go"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
)

func init() { sandbox.Register("modal", New) }

// Names and defaults of the sandbox.
const (
	// Workdir is the sandbox's working directory, where commands start.
	Workdir = "/workspace"
	// DefaultApp is the app sandboxes belong to when terminal.modal.app is empty.
	DefaultApp = "hermes"

	defaultCPUs     = 1.0
	defaultMemoryMB = 5120
	defaultLifetime = time.Hour

	// pidDir holds one pid file per running exec.
	pidDir = "/tmp"
	// setupTimeout bounds the first exec that proves the sandbox runs.
	setupTimeout = 5 * time.Minute
	// closeTimeout bounds the terminate request of Close.
	closeTimeout = 30 * time.Second
)

// The credential variables, looked up in the home's .env, then the parent
// environment.
const (
	EnvTokenID     = "MODAL_TOKEN_ID"
	EnvTokenSecret = "MODAL_TOKEN_SECRET"
)

// hostOnly names variables of the host that mean nothing in the sandbox or
// steer the Modal SDK; the image's own values hold for the first kind.
var hostOnly = map[string]bool{
	"PATH": true, "HOME": true, "PWD": true, "OLDPWD": true, "HOSTNAME": true, "SHLVL": true,
	"SHELL": true, "USER": true, "LOGNAME": true, "TMPDIR": true, "MAIL": true, "_": true,
	"SSH_AUTH_SOCK": true, "SSH_AGENT_PID": true, "XDG_RUNTIME_DIR": true, "DBUS_SESSION_BUS_ADDRESS": true,
	"DISPLAY": true, "XAUTHORITY": true, "LD_LIBRARY_PATH": true, "LD_PRELOAD": true,
	"MODAL_SERVER_URL": true, "MODAL_PROFILE": true, "MODAL_ENVIRONMENT": true,
	"MODAL_IMAGE_BUILDER_VERSION": true, "MODAL_CONFIG_PATH": true,
}

// ErrClosed is returned by a Backend used after Close.
var ErrClosed = errors.New("modal: backend is closed")

// ErrNoCredentials is returned by New when a token variable is missing.
var ErrNoCredentials = errors.New("modal: credentials missing")

// Backend runs commands in one Modal sandbox.
type Backend struct {
	client *msdk.Client
	sb     *msdk.Sandbox
	appID  string
	parent []string          // the parent environment without host-only variables
	pass   map[string]string // terminal.env_passthrough values

	sbMu sync.RWMutex // held to write while Terminate runs, to read around Exec

	mu     sync.Mutex
	closed bool
	procs  map[string]*sandbox.Background
	nextID int
}

var _ sandbox.Backend = (*Backend)(nil)

// New connects to Modal, looks up or creates the app, builds the image and
// starts the sandbox. It is the "modal" sandbox.Factory.
func New(ctx context.Context, o sandbox.Options) (sandbox.Backend, error) {
	c := o.Terminal.Modal
	if c.Image == "" {
		return nil, errors.New("modal: terminal.modal.image is empty: set it to a registry reference such as python:3.12-slim")
	}
	id, secret, err := Credentials(o.HomeDir, o.Env)
	if err != nil {
		return nil, err
	}
	pass, err := sandbox.PassthroughEnv(o)
	if err != nil {
		return nil, fmt.Errorf("modal: %w", err)
	}
	client, err := msdk.NewClientWithOptions(&msdk.ClientParams{TokenID: id, TokenSecret: secret})
	if err != nil {
		return nil, fmt.Errorf("modal: connecting to Modal (check %s and %s): %w", EnvTokenID, EnvTokenSecret, err)
	}
	b := &Backend{client: client, parent: sandboxParent(o.Env), pass: pass, procs: map[string]*sandbox.Background{}}
	if err := b.create(ctx, c); err != nil {
		client.Close()
		return nil, err
	}
	return b, nil
}

// create makes the app, image and sandbox and waits until the sandbox runs
// a first command; a sandbox that does not is terminated.
func (b *Backend) create(ctx context.Context, c config.Modal) error {
	appName := c.App
	if appName == "" {
		appName = DefaultApp
	}
	app, err := b.client.Apps.FromName(ctx, appName, &msdk.AppFromNameParams{CreateIfMissing: true})
	if err != nil {
		return fmt.Errorf("modal: app %q: %w", appName, err)
	}
	b.appID = app.AppID
	image := b.client.Images.FromRegistry(c.Image, nil)
	sb, err := b.client.Sandboxes.Create(ctx, app, image, createParams(c))
	if err != nil {
		return fmt.Errorf("modal: creating a sandbox from image %s in app %q: %w", c.Image, appName, err)
	}
	b.sb = sb
	if err := b.ready(ctx); err != nil {
		tctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		_ = sb.Terminate(tctx)
		return err
	}
	return nil
}

// createParams is the sandbox request for terminal.modal, defaults filled.
func createParams(c config.Modal) *msdk.SandboxCreateParams {
	p := &msdk.SandboxCreateParams{CPU: c.CPUs, MemoryMiB: c.MemoryMB, Timeout: c.Timeout.D(), Workdir: Workdir, BlockNetwork: !c.Network}
	if p.CPU <= 0 {
		p.CPU = defaultCPUs
	}
	if p.MemoryMiB <= 0 {
		p.MemoryMiB = defaultMemoryMB
	}
	if p.Timeout <= 0 {
		p.Timeout = defaultLifetime
	}
	return p
}

// ready runs a first exec, which waits for the sandbox's task, and makes
// sure the workspace exists.
func (b *Backend) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	code, out, err := b.script(ctx, "mkdir -p "+Workdir+" && test -w "+Workdir)
	if err != nil {
		return fmt.Errorf("modal: sandbox %s did not start: %w", b.sb.SandboxID, err)
	}
	if code != 0 {
		return fmt.Errorf("modal: sandbox %s cannot use %s (exit %d): %s", b.sb.SandboxID, Workdir, code, strings.TrimSpace(out))
	}
	return nil
}

// Credentials returns MODAL_TOKEN_ID and MODAL_TOKEN_SECRET, each looked up
// in home's .env, then in env (KEY=VALUE entries). A missing one is an
// ErrNoCredentials error that says where to set both.
func Credentials(home string, env []string) (id, secret string, err error) {
	var dotenv *config.Env
	if home != "" {
		e, _, lerr := config.LoadEnv(filepath.Join(home, config.EnvFileName))
		if lerr != nil {
			return "", "", fmt.Errorf("modal: reading the credentials: %w", lerr)
		}
		dotenv = e
	}
	lookup := func(name string) string {
		if v, ok := dotenv.Lookup(name); ok && v != "" {
			return v
		}
		for i := len(env) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(env[i], name+"="); ok && v != "" {
				return v
			}
		}
		return ""
	}
	id, secret = lookup(EnvTokenID), lookup(EnvTokenSecret)
	var missing []string
	if id == "" {
		missing = append(missing, EnvTokenID)
	}
	if secret == "" {
		missing = append(missing, EnvTokenSecret)
	}
	for name, v := range map[string]string{EnvTokenID: id, EnvTokenSecret: secret} {
		if strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
			return "", "", fmt.Errorf("modal: %s holds spaces or control characters: copy the token again from https://modal.com/settings/tokens", name)
		}
	}
	if len(missing) > 0 {
		where := filepath.Join(home, config.EnvFileName)
		if home == "" {
			where = "the hermes home's " + config.EnvFileName
		}
		return "", "", fmt.Errorf("%w: %s not set: the modal backend needs both %s and %s (from https://modal.com/settings/tokens); run `hermes config` or put them in %s",
			ErrNoCredentials, strings.Join(missing, " and "), EnvTokenID, EnvTokenSecret, where)
	}
	return id, secret, nil
}

// sandboxParent is env without host-only variables; FilterEnv drops the
// blocked ones (MODAL_TOKEN_* among them) when a command's environment is
// made.
func sandboxParent(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !hostOnly[strings.ToUpper(k)] {
			out = append(out, kv)
		}
	}
	return out
}

// execEnv is the environment of one command as the SDK takes it.
func (b *Backend) execEnv(extra map[string]string) map[string]string {
	out := map[string]string{}
	for _, kv := range sandbox.ChildEnv(b.parent, b.pass, extra) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	return out
}

// Name is "modal".
func (b *Backend) Name() string { return "modal" }

// Workspace is /workspace, the sandbox's working directory.
func (b *Backend) Workspace() string { return Workdir }

// SandboxID is the id of the Modal sandbox commands run in.
func (b *Backend) SandboxID() string { return b.sb.SandboxID }

// AppID is the id of the Modal app the sandbox belongs to.
func (b *Backend) AppID() string { return b.appID }

// Close terminates the sandbox, which ends every command in it, lets go of
// background processes and stops the SDK's token refresh.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	procs := make([]*sandbox.Background, 0, len(b.procs))
	for _, p := range b.procs {
		p.MarkKilled()
		procs = append(procs, p)
	}
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	b.sbMu.Lock()
	err := b.sb.Terminate(ctx)
	b.sbMu.Unlock()
	for _, p := range procs {
		p.Forget()
	}
	b.client.Close()
	if err != nil {
		return fmt.Errorf("modal: terminating sandbox %s: %w", b.sb.SandboxID, err)
	}
	return nil
}

// usable fails once the backend is closed.
func (b *Backend) usable() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	return nil
}

func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}
