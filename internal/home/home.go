// Package home owns the hermes home folder: where it is (HERMES_HOME or
// ~/.hermes), which profile is active (-p, HERMES_PROFILE, the sticky
// active_profile file), the layout of files inside it, and the profiles
// themselves (list, create, clone, use, delete).
//
// A profile is a complete home of its own under <root>/profiles/<name>/;
// the profile "default" is the root itself. Nothing crosses between
// profiles unless a clone copies it.
package home

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// DefaultProfile names the root home.
const DefaultProfile = "default"

// Names of files and folders inside a home.
const (
	ConfigFile    = "config.yaml"
	EnvFile       = ".env"
	AuthFile      = "auth.json"
	SoulFile      = "SOUL.md"
	StateDB       = "state.db"
	ActiveProfile = "active_profile" // in the root only
	GatewayPID    = "gateway.pid"
	CronLock      = "cron.lock"
	ProfilesDir   = "profiles" // in the root only
	MemoriesDir   = "memories"
	SkillsDir     = "skills"
	CronDir       = "cron"
	LogsDir       = "logs"
	CacheDir      = "cache"
	SandboxesDir  = "sandboxes"
	PairingDir    = "platforms/pairing"
)

// layout is the folders Ensure creates in every home.
var layout = []string{MemoriesDir, SkillsDir, CronDir, CronDir + "/output", LogsDir, CacheDir, SandboxesDir, "platforms", PairingDir}

// Home is one resolved profile home.
type Home struct {
	Root    string // the base home: HERMES_HOME or ~/.hermes
	Profile string // DefaultProfile or a profile name
	Dir     string // where this profile's files live
	Source  string // what chose the profile: "-p", "HERMES_PROFILE", "active_profile" or "default"
}

// Path joins parts onto the profile's folder.
func (h *Home) Path(parts ...string) string {
	return filepath.Join(append([]string{h.Dir}, parts...)...)
}

// Ensure creates the home and its layout where missing, folders 0700.
// Existing folders keep their modes; `hermes doctor` reports loose ones.
func (h *Home) Ensure() error {
	if err := fileutil.EnsureDir(h.Dir, fileutil.PrivateDir); err != nil {
		return fmt.Errorf("create home: %w", err)
	}
	for _, d := range layout {
		if err := fileutil.EnsureDir(h.Path(d), fileutil.PrivateDir); err != nil {
			return fmt.Errorf("create home: %w", err)
		}
	}
	return nil
}

// ModeWarning returns a warning when the root or the profile's folder can
// be read, entered or written by group or others (a home made with a bare
// `mkdir -p ~/.hermes` is 0755), or "". The home holds sessions, memories
// and, in .env and auth.json, keys.
func (h *Home) ModeWarning() string {
	dirs := []string{h.Root}
	if h.Dir != h.Root {
		dirs = append(dirs, h.Dir)
	}
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		return fmt.Sprintf("%s is open to others (mode %04o); it holds your sessions and keys; run chmod 700 %s", d, fi.Mode().Perm(), d)
	}
	return ""
}

// Options are the inputs of Resolve; the zero value uses the real
// environment.
type Options struct {
	Profile  string                 // the -p flag; empty when not given
	Getenv   func(string) string    // defaults to os.Getenv
	UserHome func() (string, error) // defaults to os.UserHomeDir
}

// RootDir returns the base home: HERMES_HOME if set (made absolute), else
// ~/.hermes.
func RootDir(opts Options) (string, error) {
	getenv, userHome := opts.Getenv, opts.UserHome
	if getenv == nil {
		getenv = os.Getenv
	}
	if userHome == nil {
		userHome = os.UserHomeDir
	}
	if h := getenv("HERMES_HOME"); h != "" {
		if strings.HasPrefix(h, "~/") || h == "~" {
			u, err := userHome()
			if err != nil {
				return "", fmt.Errorf("HERMES_HOME=%s: %w", h, err)
			}
			h = filepath.Join(u, strings.TrimPrefix(h, "~"))
		}
		abs, err := filepath.Abs(h)
		if err != nil {
			return "", fmt.Errorf("HERMES_HOME=%s: %w", h, err)
		}
		return abs, nil
	}
	u, err := userHome()
	if err != nil || u == "" {
		return "", fmt.Errorf("cannot find your home directory (%v); set HERMES_HOME", err)
	}
	return filepath.Join(u, ".hermes"), nil
}

// Resolve finds the home and the active profile. The profile comes from,
// in order: the -p flag, HERMES_PROFILE, the root's active_profile file,
// else "default". A named profile must exist.
func Resolve(opts Options) (*Home, error) {
	root, err := RootDir(opts)
	if err != nil {
		return nil, err
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	name, source := opts.Profile, "-p"
	if name == "" {
		name, source = getenv("HERMES_PROFILE"), "HERMES_PROFILE"
	}
	if name == "" {
		name, err = readActive(root)
		if err != nil {
			return nil, err
		}
		source = ActiveProfile
	}
	if name == "" {
		name, source = DefaultProfile, "default"
	}
	if err := ValidateName(name); err != nil {
		return nil, fmt.Errorf("profile from %s: %w", source, err)
	}
	h := &Home{Root: root, Profile: name, Dir: profileDir(root, name), Source: source}
	if name != DefaultProfile {
		if _, err := os.Stat(h.Dir); errors.Is(err, fs.ErrNotExist) {
			return nil, missingProfileError(name, source, root)
		}
	}
	return h, nil
}

func missingProfileError(name, source, root string) error {
	fix := fmt.Sprintf("create it with `hermes profile create %s`", name)
	if source == ActiveProfile {
		fix = "switch with `hermes profile use default` or create it with `hermes profile create " + name + "`"
	}
	return fmt.Errorf("profile %q (from %s) does not exist in %s; %s", name, source, filepath.Join(root, ProfilesDir), fix)
}

func profileDir(root, name string) string {
	if name == DefaultProfile {
		return root
	}
	return filepath.Join(root, ProfilesDir, name)
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ValidateName checks a profile name: letters, digits, _ and -, starting
// with a letter or digit, at most 64 characters. This keeps names from
// being paths ("..", "a/b", absolute paths) or hidden files.
func ValidateName(name string) error {
	if nameRE.MatchString(name) {
		return nil
	}
	if name == "" {
		return fmt.Errorf("empty profile name")
	}
	return fmt.Errorf("invalid profile name %q: use letters, digits, _ and - (at most 64, starting with a letter or digit)", name)
}

// readActive returns the sticky profile name, or "" when none is set.
func readActive(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, ActiveProfile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read active profile: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// Dir returns the folder of profile name under root.
func Dir(root, name string) string { return profileDir(root, name) }
