package docker

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
)

// secretNames are the files of a hermes home no container may see.
var secretNames = map[string]bool{".env": true, "auth.json": true}

// scanBudget bounds how many entries checkMount walks looking for a home's
// secrets below a mount inside the home; past it the mount is refused.
const scanBudget = 20000

// reservedTargets are container paths an extra volume may not cover.
var reservedTargets = []string{"/", Workdir, "/tmp", "/var/tmp", "/run", "/proc", "/sys", "/dev"}

// parseVolume checks one terminal.docker.volumes entry, host:container[:ro]
// or host:container:rw, and returns it as a bind.
func parseVolume(v, home, daemon string) (string, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return "", fmt.Errorf("docker backend: volume %q: want host:container or host:container:ro", v)
	}
	hostPath, target := parts[0], parts[1]
	mode := "rw"
	if len(parts) == 3 {
		mode = parts[2]
		if mode != "ro" && mode != "rw" {
			return "", fmt.Errorf("docker backend: volume %q: mode %q is neither ro nor rw", v, mode)
		}
	}
	if !filepath.IsAbs(hostPath) {
		return "", fmt.Errorf("docker backend: volume %q: the host path must be absolute", v)
	}
	if !path.IsAbs(target) || path.Clean(target) != target {
		return "", fmt.Errorf("docker backend: volume %q: the container path must be absolute and clean", v)
	}
	for _, r := range reservedTargets {
		if target == r || (r != "/" && within(target, r)) {
			return "", fmt.Errorf("docker backend: volume %q: %s is reserved in the container; mount somewhere else", v, r)
		}
	}
	real, err := filepath.EvalSymlinks(hostPath)
	if err != nil {
		return "", fmt.Errorf("docker backend: volume %q: %w", v, err)
	}
	if err := checkMount(real, home, daemon); err != nil {
		return "", fmt.Errorf("docker backend: volume %q: %w", v, err)
	}
	return real + ":" + target + ":" + mode, nil
}

// checkMount refuses a host path (absolute, symlinks resolved) that would
// expose the hermes home's secrets or the daemon: the home itself, a folder
// holding it, a folder inside it that holds a .env or auth.json, or the
// daemon's socket.
func checkMount(p, home, daemon string) error {
	if err := checkHome(p, home); err != nil {
		return err
	}
	if sock, ok := strings.CutPrefix(daemon, "unix://"); ok && sock != "" {
		if realSock, err := filepath.EvalSymlinks(sock); err == nil && (p == realSock || within(realSock, p)) {
			return fmt.Errorf("%s would expose the docker socket %s, which gives root on the host", p, sock)
		}
	}
	return nil
}

// checkHome refuses p when it would show the hermes home's secrets.
func checkHome(p, home string) error {
	if home == "" {
		return nil
	}
	realHome, err := filepath.EvalSymlinks(home)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			realHome = filepath.Clean(home)
		} else {
			return fmt.Errorf("resolving the hermes home %s: %w", home, err)
		}
	}
	switch {
	case p == realHome:
		return fmt.Errorf("%s is the hermes home, whose .env and auth.json hold credentials; choose a folder outside it", p)
	case within(realHome, p):
		return fmt.Errorf("%s contains the hermes home %s, whose .env and auth.json hold credentials; choose a folder that does not", p, realHome)
	case within(p, realHome):
		if found, err := holdsSecret(p); err != nil || found != "" {
			if err != nil {
				return fmt.Errorf("%s is inside the hermes home and could not be checked for credentials (%v); choose a folder outside it", p, err)
			}
			return fmt.Errorf("%s is inside the hermes home and holds %s; choose a folder outside the home", p, found)
		}
	}
	return nil
}

// within reports whether p is strictly below dir.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

var errBudget = errors.New("too many files to check")

// holdsSecret walks dir for a .env or auth.json and returns the first
// one's path, or an error when the walk fails or passes scanBudget.
// Symlinks need no look: inside the container they resolve against the
// container's filesystem, not the host's.
func holdsSecret(dir string) (string, error) {
	var found string
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if n++; n > scanBudget {
			return errBudget
		}
		if secretNames[d.Name()] {
			found = p
			return fs.SkipAll
		}
		return nil
	})
	return found, err
}
