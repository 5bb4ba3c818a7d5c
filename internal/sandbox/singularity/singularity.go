// Package singularity is the singularity/apptainer terminal backend
// (terminal.backend: singularity). It starts one persistent instance per
// backend and runs every command in it through the documented CLI:
//
//	apptainer instance start --containall --no-home --cleanenv \
//	    --bind WORKSPACE:/workspace [--net --network none] IMAGE NAME
//	apptainer exec --pwd DIR --cleanenv --env-file FILE instance://NAME sh -c CMD
//	apptainer instance stop NAME
//
// The executable is terminal.singularity.executable, else apptainer, else
// singularity from PATH. Environment values go through a 0600 --env-file
// in a private temp folder, so they never show in the process list; the
// environment is the filtered parent one (sandbox.FilterEnv) plus
// terminal.env_passthrough and the command's Env, minus variables that
// describe the host (PATH, HOME, USER, ...). The hermes home is never
// bound: a workspace that holds it, or lies inside it, is refused. A
// timeout or Kill sends SIGKILL to the exec's process group and every
// process below it.
//
// Not run here: neither apptainer nor singularity can be installed on the
// build machines, so the tests drive every line of this package against a
// fake executable (testdata/fake-apptainer) that records its argv and
// emulates instance start/stop and exec with a local sh. Whether a real
// apptainer accepts these exact flags with a given image (SIF or
// docker://) was checked against its documentation only.
package singularity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
)

func init() { sandbox.Register("singularity", New) }

// ContainerWorkspace is where the workspace is bound inside the instance.
const ContainerWorkspace = "/workspace"

// hostVars describe the host; the container has its own.
var hostVars = map[string]bool{
	"PATH": true, "HOME": true, "USER": true, "SHELL": true, "TMPDIR": true, "LOGNAME": true,
	"PWD": true, "OLDPWD": true, "SHLVL": true, "_": true, "HOSTNAME": true, "MAIL": true,
	"SSH_AUTH_SOCK": true, "SSH_AGENT_PID": true, "DISPLAY": true, "XAUTHORITY": true,
	"XDG_RUNTIME_DIR": true, "DBUS_SESSION_BUS_ADDRESS": true, "LD_LIBRARY_PATH": true, "LD_PRELOAD": true,
}

// ErrClosed is returned by a Backend used after Close.
var ErrClosed = errors.New("singularity: backend is closed")

// Backend runs commands in one apptainer/singularity instance.
type Backend struct {
	exe       string
	name      string            // instance name
	hostEnv   []string          // environment of the CLI processes themselves
	parent    []string          // the parent environment without host variables
	pass      map[string]string // terminal.env_passthrough values
	tmp       string            // private folder for env files
	startArgs []string

	mu     sync.Mutex
	closed bool
	procs  map[string]*process
	nextID int
}

var _ sandbox.Backend = (*Backend)(nil)

// New finds the executable, checks the workspace and starts the instance.
// It is the "singularity" sandbox.Factory.
func New(ctx context.Context, o sandbox.Options) (sandbox.Backend, error) {
	c := o.Terminal.Singularity
	if c.Image == "" {
		return nil, errors.New("singularity: terminal.singularity.image is empty: set it to a SIF file or a docker:// reference")
	}
	exe, err := findExecutable(c.Executable, o.Env)
	if err != nil {
		return nil, err
	}
	ws, err := checkWorkspace(o.Workspace, o.HomeDir)
	if err != nil {
		return nil, err
	}
	parent, pass, err := containerEnv(o)
	if err != nil {
		return nil, err
	}
	name, err := instanceName()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "hermes-apptainer-")
	if err != nil {
		return nil, fmt.Errorf("singularity: temp folder for env files: %w", err)
	}
	b := &Backend{
		exe: exe, name: name, hostEnv: sandbox.FilterEnv(o.Env, nil), parent: parent, pass: pass, tmp: tmp,
		startArgs: StartArgs(ws, c.Image, name, c.Network), procs: map[string]*process{},
	}
	if out, err := b.cli(ctx, b.startArgs...); err != nil {
		_ = os.RemoveAll(tmp)
		return nil, fmt.Errorf("singularity: %s instance start: %v: %s", exe, err, strings.TrimSpace(out))
	}
	return b, nil
}

// StartArgs is the argument vector of `instance start`.
func StartArgs(workspace, image, name string, network bool) []string {
	args := []string{"instance", "start", "--containall", "--no-home", "--cleanenv",
		"--bind", workspace + ":" + ContainerWorkspace}
	if !network {
		args = append(args, "--net", "--network", "none")
	}
	return append(args, image, name)
}

// ExecArgs is the argument vector of one `exec`.
func ExecArgs(dir, envFile, name, command string) []string {
	return []string{"exec", "--pwd", dir, "--cleanenv", "--env-file", envFile,
		"instance://" + name, "sh", "-c", command}
}

// StopArgs is the argument vector of `instance stop`.
func StopArgs(name string) []string { return []string{"instance", "stop", name} }

// findExecutable is the configured one, else apptainer, else singularity,
// looked up in the PATH of env (else of this process).
func findExecutable(configured string, env []string) (string, error) {
	pathList := os.Getenv("PATH")
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathList = v
		}
	}
	names := []string{"apptainer", "singularity"}
	if configured != "" {
		if strings.ContainsRune(configured, '/') {
			if fi, err := os.Stat(configured); err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
				return "", fmt.Errorf("singularity: terminal.singularity.executable %s is not an executable file", configured)
			}
			return configured, nil
		}
		names = []string{configured}
	}
	for _, n := range names {
		for _, d := range filepath.SplitList(pathList) {
			p := filepath.Join(d, n)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode().Perm()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("singularity: none of %v is in PATH: install apptainer (https://apptainer.org/docs/admin/main/installation.html) or set terminal.singularity.executable", names)
}

// checkWorkspace makes the workspace and refuses one a bind could not
// carry or that would show the hermes home inside the container.
func checkWorkspace(ws, home string) (string, error) {
	if ws == "" {
		return "", errors.New("singularity: no workspace folder given")
	}
	abs, err := filepath.Abs(ws)
	if err != nil {
		return "", fmt.Errorf("singularity: workspace %s: %w", ws, err)
	}
	if strings.ContainsAny(abs, ":,") {
		return "", fmt.Errorf("singularity: workspace %s holds ':' or ',', which a --bind cannot carry; use another folder", abs)
	}
	if msg := config.CheckWorkdir(abs); msg != "" {
		return "", fmt.Errorf("singularity: workspace: %s", msg)
	}
	if home != "" {
		h, err := filepath.Abs(home)
		if err == nil && (within(h, abs) || within(abs, h)) {
			return "", fmt.Errorf("singularity: workspace %s and the hermes home %s overlap; the home (its .env above all) must never be mounted: pick a workspace outside it", abs, h)
		}
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("singularity: workspace: %w", err)
	}
	return abs, nil
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// containerEnv returns what every command's environment is made of: the
// parent's without host variables, and the terminal.env_passthrough values
// (sandbox.PassthroughEnv). Each command gets sandbox.ChildEnvMap of them
// and its own Env: one filter, as every backend applies it.
func containerEnv(o sandbox.Options) (parent []string, pass map[string]string, err error) {
	pass, err = sandbox.PassthroughEnv(o)
	if err != nil {
		return nil, nil, fmt.Errorf("singularity: %w", err)
	}
	return sandbox.WithoutHost(o.Env, hostVars), pass, nil
}

// commandEnv is the environment of one command with its own variables.
func (b *Backend) commandEnv(extra map[string]string) map[string]string {
	return sandbox.ChildEnvMap(b.parent, b.pass, extra)
}

// EnvFile renders env for --env-file: one NAME='value' line per variable,
// in name order.
func EnvFile(env map[string]string) (string, error) {
	names := make([]string, 0, len(env))
	for n := range env {
		if !config.IsEnvName(n) {
			return "", fmt.Errorf("singularity: environment variable name %q is not a shell identifier; rename it", n)
		}
		if strings.IndexByte(env[n], 0) >= 0 {
			return "", fmt.Errorf("singularity: environment variable %s holds a NUL byte", n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + "=" + sandbox.ShellQuote(env[n]) + "\n")
	}
	return b.String(), nil
}

// containerDir is where a command starts inside the instance.
func containerDir(dir string) (string, error) {
	d := dir
	switch {
	case d == "":
		d = ContainerWorkspace
	case !strings.HasPrefix(d, "/"):
		d = path.Join(ContainerWorkspace, d)
	}
	if msg := config.CheckWorkdir(d); msg != "" {
		return "", fmt.Errorf("singularity: working directory: %s", msg)
	}
	return d, nil
}

func instanceName() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("singularity: instance name: %w", err)
	}
	return "hermes-" + hex.EncodeToString(b[:]), nil
}

// cli runs the executable to its end and returns its combined output.
func (b *Backend) cli(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, b.exe, args...)
	cmd.Env = b.hostEnv
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Name is "singularity".
func (b *Backend) Name() string { return "singularity" }

// Workspace is /workspace, where the host workspace is bound.
func (b *Backend) Workspace() string { return ContainerWorkspace }

// Close kills background commands, stops the instance and removes the
// env files' folder.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	procs := make([]*process, 0, len(b.procs))
	for _, p := range b.procs {
		procs = append(procs, p)
	}
	b.mu.Unlock()
	for _, p := range procs {
		_ = p.Kill()
		<-p.Done()
	}
	ctx, cancel := context.WithTimeout(context.Background(), sandbox.DefaultTimeout)
	defer cancel()
	out, err := b.cli(ctx, StopArgs(b.name)...)
	_ = os.RemoveAll(b.tmp)
	if err != nil {
		return fmt.Errorf("singularity: instance stop %s: %v: %s", b.name, err, strings.TrimSpace(out))
	}
	return nil
}
