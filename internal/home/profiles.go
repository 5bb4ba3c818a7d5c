package home

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/fileutil"
)

// Profile is one entry of `hermes profile list`.
type Profile struct {
	Name   string
	Dir    string
	Active bool // named by active_profile (or default when none is)
}

// List returns the default profile and every profile under root, sorted,
// marking the sticky one active.
func List(root string) ([]Profile, error) {
	active, err := readActive(root)
	if err != nil {
		return nil, err
	}
	if active == "" {
		active = DefaultProfile
	}
	out := []Profile{{Name: DefaultProfile, Dir: root, Active: active == DefaultProfile}}
	entries, err := os.ReadDir(filepath.Join(root, ProfilesDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && ValidateName(e.Name()) == nil && e.Name() != DefaultProfile {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, Profile{Name: n, Dir: profileDir(root, n), Active: n == active})
	}
	return out, nil
}

// Exists reports whether the profile exists under root.
func Exists(root, name string) bool {
	if name == DefaultProfile {
		return true
	}
	fi, err := os.Stat(profileDir(root, name))
	return err == nil && fi.IsDir()
}

// Existing returns the folder of an existing profile, or an error that
// says whether the name is invalid or the profile missing.
func Existing(root, name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	if !Exists(root, name) {
		return "", missingProfileError(name, "the command line", root)
	}
	return profileDir(root, name), nil
}

// SetActive makes name the sticky profile; "default" clears the choice.
func SetActive(root, name string) error {
	if _, err := Existing(root, name); err != nil {
		return err
	}
	path := filepath.Join(root, ActiveProfile)
	if name == DefaultProfile {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("reset active profile: %w", err)
		}
		return nil
	}
	if err := fileutil.EnsureDir(root, fileutil.PrivateDir); err != nil {
		return err
	}
	return fileutil.WriteFile(path, []byte(name+"\n"), fileutil.PrivateFile)
}

// CreateOptions control Create.
type CreateOptions struct {
	// CloneFrom is the folder of the profile to copy from; empty creates
	// an empty profile.
	CloneFrom string
	// CloneSecrets also copies messaging credentials (.env lines of
	// messaging platforms and the pairing store).
	CloneSecrets bool
}

// CloneReport says what a clone copied and left out.
type CloneReport struct {
	Copied  []string // paths relative to the profile
	LeftOut []string // .env variables not copied
}

// Files a clone copies. Memories and sessions are the profile's own life
// and never cross; skills are know-how and do.
var cloneFiles = []string{ConfigFile, SoulFile, AuthFile, SkillsDir}

// Create makes profile name under root, empty or cloned. The profile is
// assembled in a temporary folder and renamed into place, so a failure
// leaves no half-made profile behind.
func Create(root, name string, opts CreateOptions) (*CloneReport, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if name == DefaultProfile {
		return nil, fmt.Errorf("the profile %q is the home itself and always exists", DefaultProfile)
	}
	dir := profileDir(root, name)
	if _, err := os.Lstat(dir); err == nil {
		return nil, fmt.Errorf("profile %q already exists (%s)", name, dir)
	}
	parent := filepath.Join(root, ProfilesDir)
	if err := fileutil.EnsureDir(parent, fileutil.PrivateDir); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+name+".creating-")
	if err != nil {
		return nil, fmt.Errorf("create profile: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := os.Chmod(tmp, fileutil.PrivateDir); err != nil {
		return nil, fmt.Errorf("create profile: %w", err)
	}
	report := &CloneReport{}
	if opts.CloneFrom != "" {
		if report, err = clone(opts.CloneFrom, tmp, opts.CloneSecrets); err != nil {
			return nil, err
		}
	}
	h := &Home{Root: root, Profile: name, Dir: tmp}
	if err := h.Ensure(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("create profile: %w", err)
	}
	return report, nil
}

func clone(from, to string, secrets bool) (*CloneReport, error) {
	r := &CloneReport{}
	for _, name := range cloneFiles {
		copied, err := copyTree(filepath.Join(from, name), filepath.Join(to, name))
		if err != nil {
			return nil, fmt.Errorf("clone %s: %w", name, err)
		}
		if copied {
			r.Copied = append(r.Copied, name)
		}
	}
	if secrets {
		copied, err := copyTree(filepath.Join(from, PairingDir), filepath.Join(to, PairingDir))
		if err != nil {
			return nil, fmt.Errorf("clone %s: %w", PairingDir, err)
		}
		if copied {
			r.Copied = append(r.Copied, PairingDir)
		}
	}
	copied, leftOut, err := cloneEnv(filepath.Join(from, EnvFile), filepath.Join(to, EnvFile), secrets)
	if err != nil {
		return nil, err
	}
	if copied {
		r.Copied = append(r.Copied, EnvFile)
	}
	r.LeftOut = leftOut
	return r, nil
}

// cloneEnv copies .env, dropping the lines of messaging variables unless
// secrets is set. Comments and order are kept.
func cloneEnv(from, to string, secrets bool) (bool, []string, error) {
	data, err := os.ReadFile(from)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("clone .env: %w", err)
	}
	env, problems := config.ParseEnv(EnvFile, data)
	for _, p := range problems {
		if p.Severity == config.Error {
			return false, nil, fmt.Errorf("clone .env: %s (fix %s first)", p.String(), from)
		}
	}
	lines := strings.SplitAfter(string(data), "\n")
	drop := map[int]bool{}
	var leftOut []string
	if !secrets {
		for _, e := range env.Entries() {
			if !config.IsMessagingVar(e.Name) {
				continue
			}
			for l := e.Line; l <= e.EndLine; l++ {
				drop[l] = true
			}
			leftOut = append(leftOut, e.Name)
		}
	}
	var b strings.Builder
	for i, l := range lines {
		if !drop[i+1] {
			b.WriteString(l)
		}
	}
	if err := fileutil.WriteFile(to, []byte(b.String()), fileutil.PrivateFile); err != nil {
		return false, nil, err
	}
	return true, dedupe(leftOut), nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// copyTree copies a file or a folder of regular files. Links are skipped:
// a clone never follows a link out of the home. It reports whether
// any file was copied.
func copyTree(from, to string) (bool, error) {
	fi, err := os.Lstat(from)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			return false, nil
		}
		return true, copyFile(from, to, fi.Mode().Perm())
	}
	files := 0
	err = filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		switch {
		case d.IsDir():
			return fileutil.EnsureDir(dst, fileutil.PrivateDir)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			files++
			return copyFile(p, dst, info.Mode().Perm())
		}
		return nil
	})
	return files > 0, err
}

func copyFile(from, to string, perm os.FileMode) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := fileutil.EnsureDir(filepath.Dir(to), fileutil.PrivateDir); err != nil {
		return err
	}
	return fileutil.WriteFileFrom(to, perm, func(w io.Writer) error {
		_, err := io.Copy(w, src)
		return err
	})
}

// Delete removes profile name and everything in it. It refuses the default
// profile and a profile whose gateway is running. If the profile was the
// sticky one, default becomes active again.
func Delete(root, name string) error {
	if name == DefaultProfile {
		return fmt.Errorf("the default profile is the home itself and cannot be deleted")
	}
	dir, err := Existing(root, name)
	if err != nil {
		return err
	}
	if pid, err := fileutil.ReadPID(filepath.Join(dir, GatewayPID)); err == nil && pid > 0 && fileutil.PIDAlive(pid) {
		return fmt.Errorf("profile %q has a gateway running (pid %d); stop it first with `hermes -p %s gateway stop`", name, pid, name)
	}
	active, err := readActive(root)
	if err != nil {
		return err
	}
	// Rename first so the profile disappears at once, then remove.
	trash, err := os.MkdirTemp(filepath.Join(root, ProfilesDir), "."+name+".deleting-")
	if err != nil {
		return fmt.Errorf("delete profile: %w", err)
	}
	gone := filepath.Join(trash, name)
	if err := os.Rename(dir, gone); err != nil {
		os.Remove(trash)
		return fmt.Errorf("delete profile: %w", err)
	}
	if active == name {
		if err := SetActive(root, DefaultProfile); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("delete profile: removed from the list, but %s is left: %w", trash, err)
	}
	return nil
}
