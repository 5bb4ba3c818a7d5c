//go:build unix

// Package bwrap is the bubblewrap terminal backend: each command runs in
// a fresh sandbox made by bwrap, without a daemon (the persistent shell
// runs in one sandbox for the session). It is what terminal.backend auto
// (the default) picks when bwrap works on this machine.
//
// What a command sees: the host's /usr, /etc and the /bin, /lib, /lib64,
// /sbin links or folders read-only; a new /proc, a minimal /dev, an empty
// private /tmp; the workspace read-write (the starting directory);
// terminal.bubblewrap.ro_binds read-only and rw_binds read-write at the
// same paths. The user's home is an empty tmpfs (it is HOME inside), so
// nothing of it shows but the workspace when the workspace lies in it.
// When the workspace is the home itself, or contains it, the home shows
// through the workspace, but the credential paths (sandbox.HiddenCredentials:
// ~/.ssh, ~/.aws, ~/.gnupg, ~/.config/gcloud, ~/.kube, ~/.netrc,
// ~/.docker/config.json) are covered wherever something visible holds
// them — an empty tmpfs over a folder, /dev/null over a file — unless
// terminal.expose lists them; an exposed path outside the workspace is
// bound read-only. Namespaces: all of them are new (user and cgroup where
// the kernel allows), so a command sees only its own processes;
// terminal.network (default true) shares the host network, false leaves
// only the sandbox's own loopback. Capabilities are dropped, the sandbox
// gets a new session (no TIOCSTI into the caller's terminal) and dies with
// hermes. The environment is cleared and set to the filtered one; values
// travel to bwrap through a file descriptor, not its command line, so
// they never show in the process list.
//
// The hermes home is never visible. A workspace or bind that is the home
// itself is refused with an error; one inside it (~/.hermes/workspace) is
// fine, since only it is mounted; one that contains the home gets an empty
// tmpfs mounted over the home, hiding all of it (.env, auth.json,
// config.yaml, sessions); the root home and every profile's folder are
// treated alike. We hide the whole folder rather than mask single files with
// /dev/null, which would leave the rest readable and let a command plant
// files (a new .env) that hermes would read later. A hard link elsewhere
// (in the workspace) to the .env or auth.json of the root home or of any
// profile would show the file under another name, so while one of them
// has more than one link no command runs (one stat per file per command).
package bwrap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hermes-go/hermes/internal/sandbox"
)

func init() { sandbox.Register("bubblewrap", New) }

// Compile-time check.
var (
	_ sandbox.ShellBackend = (*Backend)(nil)
	_ sandbox.Profiler     = (*Backend)(nil)
)

// Backend runs each command in its own bubblewrap sandbox.
type Backend struct {
	bwrap string
	ws    string
	home  string   // the user's home, for ~/ in paths
	mount []string // the sandbox's mounts and flags, before env and chdir
	prof  *profile
	net   bool // terminal.network
	env   []string
	pass  map[string]string
	procs sandbox.HostProcs
}

// New builds the bubblewrap backend from o; the workspace is created if
// missing.
func New(_ context.Context, o sandbox.Options) (sandbox.Backend, error) {
	path, err := exec.LookPath("bwrap")
	if err != nil {
		return nil, errors.New("bubblewrap backend: bwrap is not installed (apt-get install bubblewrap)")
	}
	home, _ := os.UserHomeDir()
	ws := o.Workspace
	if ws == "" {
		ws = o.Terminal.Cwd
	}
	if ws == "" {
		return nil, errors.New("bubblewrap backend: no workspace; set terminal.cwd")
	}
	if ws, err = sandbox.ValidateDir(ws, home); err != nil {
		return nil, fmt.Errorf("bubblewrap backend workspace: %w", err)
	}
	if err := os.MkdirAll(ws, 0o755); err != nil {
		return nil, fmt.Errorf("bubblewrap backend: create workspace: %w", err)
	}
	if ws, err = filepath.EvalSymlinks(ws); err != nil {
		return nil, fmt.Errorf("bubblewrap backend workspace: %w", err)
	}
	mount, prof, err := mounts(o, ws, home)
	if err != nil {
		return nil, err
	}
	if err := checkLinks(prof.secrets); err != nil {
		return nil, err
	}
	pass, err := sandbox.PassthroughEnv(o)
	if err != nil {
		return nil, err
	}
	return &Backend{bwrap: path, ws: ws, home: home, mount: mount, prof: prof, net: o.Terminal.Network, env: o.Env, pass: pass}, nil
}

// mounts builds the bwrap arguments that shape the sandbox: namespaces,
// the read-only system, then the profile (buildProfile).
func mounts(o sandbox.Options, ws, home string) ([]string, *profile, error) {
	args := []string{"--unshare-all"}
	if o.Terminal.Network {
		args = append(args, "--share-net")
	}
	args = append(args, "--die-with-parent", "--new-session", "--cap-drop", "ALL",
		"--ro-bind", "/usr", "/usr")
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"} {
		fi, err := os.Lstat(d)
		switch {
		case err != nil:
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(d)
			if err != nil {
				return nil, nil, fmt.Errorf("bubblewrap backend: %w", err)
			}
			args = append(args, "--symlink", target, d)
		case fi.IsDir():
			args = append(args, "--ro-bind", d, d)
		}
	}
	args = append(args, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp")
	p, err := buildProfile(o, ws, home)
	if err != nil {
		return nil, nil, err
	}
	return append(args, p.args...), p, nil
}

// extraBind validates one ro_binds/rw_binds entry.
func extraBind(p, home string) (string, error) {
	clean, err := sandbox.ValidateDir(p, home)
	if err != nil {
		return "", fmt.Errorf("terminal.bubblewrap bind: %w", err)
	}
	if clean, err = filepath.EvalSymlinks(clean); err != nil {
		return "", fmt.Errorf("terminal.bubblewrap bind %q: %w", p, err)
	}
	return clean, nil
}

// hideHome returns the arguments that keep the hermes home out of sight
// of everything visible (the workspace and the binds).
func hideHome(hermesHome string, visible []string) ([]string, error) {
	if hermesHome == "" {
		return nil, nil
	}
	h, err := filepath.Abs(hermesHome)
	if err != nil {
		return nil, fmt.Errorf("bubblewrap backend: hermes home: %w", err)
	}
	if r, err := filepath.EvalSymlinks(h); err == nil {
		h = r
	}
	var args []string
	for _, v := range visible {
		switch {
		case v == h:
			return nil, fmt.Errorf("bubblewrap backend: %s is the hermes home, which a sandbox must never see; choose a workspace or bind outside it (a folder inside it is fine)", v)
		case within(h, v) && len(args) == 0:
			args = append(args, "--tmpfs", h)
		}
	}
	return args, nil
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// Profile says what the sandbox shows of the host: the network, HOME,
// the exposed credential paths and what is covered (the user's home
// unless it is the workspace, hidden credentials, the hermes homes).
func (b *Backend) Profile() sandbox.Profile {
	hidden := append([]string(nil), b.prof.hidden...)
	if u := b.prof.userHome; u != "" && u != b.ws && !b.prof.coverHomeLater {
		hidden = append([]string{u + " (all but the workspace)"}, hidden...)
	}
	return sandbox.Profile{Network: b.net, Home: b.prof.homeEnv, Exposed: append([]string(nil), b.prof.exposed...), Hidden: hidden}
}

// Name returns "bubblewrap".
func (b *Backend) Name() string { return "bubblewrap" }

// Workspace returns the workspace, at the same path inside and outside.
func (b *Backend) Workspace() string { return b.ws }

// Run runs s in a new sandbox.
func (b *Backend) Run(ctx context.Context, s sandbox.Spec) (*sandbox.Result, error) {
	cmd, done, err := b.command(s, "-c", s.Command)
	if err != nil {
		return nil, err
	}
	defer done()
	return sandbox.RunHost(ctx, cmd, s)
}

// Start runs s in the background in a new sandbox.
func (b *Backend) Start(_ context.Context, s sandbox.Spec) (sandbox.Process, error) {
	cmd, done, err := b.command(s, "-c", s.Command)
	if err != nil {
		return nil, err
	}
	defer done()
	return b.procs.Start(cmd, s)
}

// Shell starts a persistent sh in one sandbox; a command that times out
// is interrupted by killing the sandboxed shell's descendants.
func (b *Backend) Shell(_ context.Context) (sandbox.Shell, error) {
	cmd, done, err := b.command(sandbox.Spec{})
	if err != nil {
		return nil, err
	}
	defer done()
	sh, err := sandbox.StartHostShell(cmd, func(pid int) {
		if sh := innerShell(pid); sh > 0 {
			sandbox.KillDescendants(sh)
		}
	})
	if err != nil {
		return nil, err
	}
	return linkChecked{sh, b.prof.secrets}, nil
}

// linkChecked is the persistent shell, refusing each command while a
// hermes secret has an extra hard link (see checkLinks).
type linkChecked struct {
	sandbox.Shell
	secrets []string
}

// Run runs s unless checkLinks refuses.
func (l linkChecked) Run(ctx context.Context, s sandbox.Spec) (*sandbox.Result, error) {
	if err := checkLinks(l.secrets); err != nil {
		return nil, err
	}
	return l.Shell.Run(ctx, s)
}

// innerShell finds the first process below pid that is not bwrap itself
// (bwrap forks a pid-1 helper before it runs the command).
func innerShell(pid int) int {
	for range 4 {
		next := 0
		for _, c := range sandbox.Descendants(pid) {
			if pp, _ := sandbox.ParentPid(c); pp == pid {
				next = c
				break
			}
		}
		if next == 0 {
			return 0
		}
		if sandbox.Comm(next) != "bwrap" {
			return next
		}
		pid = next
	}
	return 0
}

// Close kills the background sandboxes.
func (b *Backend) Close() error { return b.procs.Close() }

// command builds the bwrap command for s running sh with args. done
// releases the argument file once the command has started.
func (b *Backend) command(s sandbox.Spec, shArgs ...string) (*exec.Cmd, func(), error) {
	dir := b.ws
	if s.Dir != "" {
		d, err := sandbox.ValidateDir(s.Dir, b.home)
		if err != nil {
			return nil, nil, err
		}
		dir = d
	}
	if err := checkLinks(b.prof.secrets); err != nil {
		return nil, nil, err
	}
	env := sandbox.ChildEnv(b.env, b.pass, s.Env)
	args := append([]string(nil), b.mount...)
	args = append(args, "--clearenv")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "HOME" || k == "PWD" || k == "OLDPWD" || k == "TMPDIR" {
			continue
		}
		args = append(args, "--setenv", k, v)
	}
	args = append(args, "--setenv", "HOME", b.prof.homeEnv, "--setenv", "TMPDIR", "/tmp", "--chdir", dir)
	f, err := argFile(args)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(b.bwrap, append([]string{"--args", "3", "--", "sh"}, shArgs...)...)
	cmd.ExtraFiles = []*os.File{f}
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	return cmd, func() { _ = f.Close() }, nil
}

// argFile writes args NUL-separated to an unlinked temp file for bwrap's
// --args, so values stay off the process list.
func argFile(args []string) (*os.File, error) {
	f, err := os.CreateTemp("", "hermes-bwrap-args-*")
	if err != nil {
		return nil, fmt.Errorf("bubblewrap backend: argument file: %w", err)
	}
	_ = os.Remove(f.Name())
	var sb strings.Builder
	for _, a := range args {
		if strings.IndexByte(a, 0) >= 0 {
			_ = f.Close()
			return nil, fmt.Errorf("bubblewrap backend: argument %q holds a NUL byte", a)
		}
		sb.WriteString(a)
		sb.WriteByte(0)
	}
	if _, err := f.WriteString(sb.String()); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("bubblewrap backend: argument file: %w", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("bubblewrap backend: argument file: %w", err)
	}
	return f, nil
}
