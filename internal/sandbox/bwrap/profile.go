//go:build unix

package bwrap

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// profile is what the sandbox shows of the host beyond the system folders.
type profile struct {
	userHome       string   // the user's home, symlinks resolved; "" when unknown or unsafe to cover
	coverHomeLater bool     // the user's home lies inside the workspace: its tmpfs goes over the workspace's bind
	ws             string   // the workspace, read-write
	visible        []string // the workspace and the extra binds: host folders a command sees
	args           []string // bwrap arguments after the system binds
	homeEnv        string   // HOME inside the sandbox
	hidden         []string // host paths the profile covers although they lie in something visible
	exposed        []string // credential paths shown because terminal.expose lists them
	secrets        []string // the hermes homes' .env and auth.json, checked for hard links
}

// userHomeCover returns the user's home to cover with a tmpfs, or "" when
// it is unknown or a system folder (a service account's home of /, /var
// or /usr must not be covered).
func userHomeCover(home string) string {
	if home == "" || !filepath.IsAbs(home) {
		return ""
	}
	if r, err := filepath.EvalSymlinks(home); err == nil {
		home = r
	}
	home = filepath.Clean(home)
	if strings.Count(home, "/") < 1 || home == "/" {
		return ""
	}
	for _, sys := range []string{"/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/dev", "/var", "/opt", "/srv", "/run", "/sys", "/boot", "/mnt", "/media"} {
		if within(home, sys) || within(sys, home) {
			return ""
		}
	}
	return home
}

// buildProfile lays out the workspace, the user's home, the extra binds,
// the hermes home and the credential paths, in the order bwrap needs: a
// later mount covers an earlier one.
func buildProfile(o sandbox.Options, ws, home string) (*profile, error) {
	p := &profile{userHome: userHomeCover(home), ws: ws, visible: []string{ws}, homeEnv: ws}
	// The user's home becomes an empty tmpfs (HOME inside), unless it is
	// the workspace itself; when it lies inside the workspace, it is
	// covered after the workspace is bound.
	if p.userHome != "" && p.userHome != ws {
		p.homeEnv = p.userHome
		if within(p.userHome, ws) {
			p.coverHomeLater = true
		} else {
			p.args = append(p.args, "--tmpfs", p.userHome)
		}
	}
	p.args = append(p.args, "--bind", ws, ws)
	if p.coverHomeLater {
		p.args = append(p.args, "--tmpfs", p.userHome)
		p.hidden = append(p.hidden, p.userHome)
	}
	for _, b := range []struct {
		flag  string
		paths []string
	}{{"--ro-bind", o.Terminal.Bubblewrap.ROBinds}, {"--bind", o.Terminal.Bubblewrap.RWBinds}} {
		for _, raw := range b.paths {
			clean, err := extraBind(raw, home)
			if err != nil {
				return nil, err
			}
			p.args = append(p.args, b.flag, clean, clean)
			p.visible = append(p.visible, clean)
		}
	}
	if err := p.credentials(o.Terminal.Expose, home); err != nil {
		return nil, err
	}
	hermes, secrets, err := hermesHomes(o.HomeDir)
	if err != nil {
		return nil, err
	}
	p.secrets = secrets
	for _, h := range hermes {
		args, err := hideHome(h, p.visible)
		if err != nil {
			return nil, err
		}
		if len(args) > 0 {
			p.hidden = append(p.hidden, h)
		}
		p.args = append(p.args, args...)
	}
	return p, nil
}

// credentials hides every credential path a visible folder holds, and
// binds read-only the ones terminal.expose lists.
func (p *profile) credentials(expose []string, home string) error {
	if home == "" {
		return nil
	}
	shown := map[string]bool{}
	for _, e := range expose {
		shown[e] = true
	}
	for _, rel := range sandbox.HiddenCredentials {
		path := filepath.Join(home, strings.TrimPrefix(rel, "~/"))
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			continue // absent: nothing to hide or show
		}
		for _, v := range p.visible {
			if within(v, real) && !shown[rel] {
				return fmt.Errorf("bubblewrap backend: %s lies in %s, which the sandbox hides; choose another workspace or bind, or list %s in terminal.expose", v, rel, rel)
			}
		}
		inside := p.sees(real)
		switch {
		case shown[rel] && inside:
			p.exposed = append(p.exposed, real)
		case shown[rel]:
			p.args = append(p.args, "--ro-bind", real, real)
			p.exposed = append(p.exposed, real)
		case inside:
			p.args = append(p.args, coverArgs(real)...)
			p.hidden = append(p.hidden, real)
		}
	}
	return nil
}

// sees reports whether path lies in a visible folder and not under the
// user's home when its tmpfs covers the workspace's copy of it.
func (p *profile) sees(path string) bool {
	if p.coverHomeLater && within(path, p.userHome) {
		for _, b := range p.visible[1:] {
			if within(path, b) {
				return true
			}
		}
		return false
	}
	for _, v := range p.visible {
		if within(path, v) {
			return true
		}
	}
	return false
}

// coverArgs hides path: an empty tmpfs over a folder, /dev/null over a file.
func coverArgs(path string) []string {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return []string{"--tmpfs", path}
	}
	return []string{"--ro-bind", "/dev/null", path}
}

// hermesHomes returns the root hermes home (the home itself, or ROOT when
// the home is a profile's folder ROOT/profiles/NAME) and every profile's
// folder, each hidden wherever something visible holds it, with their
// .env and auth.json: the files a hard link must not expose.
func hermesHomes(dir string) (homes, secrets []string, err error) {
	if dir == "" {
		return nil, nil, nil
	}
	h, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("bubblewrap backend: hermes home: %w", err)
	}
	if r, err := filepath.EvalSymlinks(h); err == nil {
		h = r
	}
	root := h
	if filepath.Base(filepath.Dir(h)) == "profiles" {
		root = filepath.Dir(filepath.Dir(h))
	}
	homes = []string{root}
	if entries, err := os.ReadDir(filepath.Join(root, "profiles")); err == nil {
		for _, e := range entries {
			if e.IsDir() {
				homes = append(homes, filepath.Join(root, "profiles", e.Name()))
			}
		}
	}
	if !slices.Contains(homes, h) {
		homes = append(homes, h)
	}
	for _, d := range homes {
		secrets = append(secrets, filepath.Join(d, ".env"), filepath.Join(d, "auth.json"))
	}
	return homes, secrets, nil
}

// checkLinks refuses to run while a hermes secret has more than one hard
// link: the other name may lie in the workspace, where the sandbox would
// show the file's content although the hermes home is hidden. One stat
// per file, done before every command.
func checkLinks(secrets []string) error {
	for _, s := range secrets {
		fi, err := os.Lstat(s)
		if err != nil {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			return fmt.Errorf("bubblewrap backend: %s has %d hard links, so another name for it may be visible in the sandbox; "+
				"find them with `find / -xdev -samefile %s` and remove the extra ones (keep the file in the hermes home); no command runs until then",
				s, st.Nlink, sandbox.ShellQuote(s))
		}
	}
	return nil
}
