package file

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/tools"
)

// control is a file or folder of a hermes home that only hermes itself
// changes, with what the agent or the user does instead.
type control struct {
	name string // as shown: "config.yaml", "memories/"
	how  string
}

// How the agent or the user changes what the tools may not write.
const (
	secretsHow = "secrets are set by the user with `hermes auth` or by editing it by hand"
	storeHow   = "the session store changes only through hermes (`hermes sessions`)"
)

// controls are the control files and folders of every home, keyed by
// their lowercase name (case-insensitive filesystems exist).
var controls = byName(
	control{home.ConfigFile, "use `hermes config set KEY VALUE` (or `hermes config edit`) for config"},
	control{home.EnvFile, secretsHow},
	control{home.AuthFile, secretsHow},
	control{home.SoulFile, "the user edits " + home.SoulFile + " by hand"},
	control{home.StateDB, storeHow},
	control{home.StateDB + "-wal", storeHow},
	control{home.StateDB + "-shm", storeHow},
	control{home.MemoriesDir + "/", "use the memory tool, which scans what it saves (the user runs `hermes memory edit`)"},
	control{home.SkillsDir + "/", "use the skill_manage tool, which scans what it saves (the user runs `hermes skills`)"},
	control{home.CronDir + "/", "scheduled jobs are managed by hermes, not by file edits"},
	control{"platforms/", "messaging platforms and pairing are managed by hermes (`hermes gateway`)"},
)

// rootOnly are control files of the root home that are no profile's.
var rootOnly = byName(
	control{home.ActiveProfile, "the user switches profiles with `hermes profile use NAME`"},
)

// byName keys cs by their lowercase name without a folder's "/".
func byName(cs ...control) map[string]control {
	m := make(map[string]control, len(cs))
	for _, c := range cs {
		m[strings.ToLower(strings.TrimSuffix(c.name, "/"))] = c
	}
	return m
}

// homeDirs are the root home and the active profile's folder of an env,
// as given and with symlinks resolved.
type homeDirs struct {
	root, dir []string // lexical and real forms
	profile   string   // the active profile's name, "" for the default
}

// homesOf returns the homeDirs of env; ok is false without a home.
func homesOf(env *tools.Env) (homeDirs, bool) {
	if env == nil || env.Home == "" {
		return homeDirs{}, false
	}
	dir := filepath.Clean(env.Home)
	if !filepath.IsAbs(dir) {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	root, profile := dir, ""
	parent := filepath.Dir(dir)
	if filepath.Base(parent) == home.ProfilesDir && home.ValidateName(filepath.Base(dir)) == nil {
		root, profile = filepath.Dir(parent), filepath.Base(dir)
	}
	return homeDirs{
		root:    uniq(root, realPath(root)),
		dir:     uniq(dir, realPath(dir)),
		profile: profile,
	}, true
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// parts splits p into its components below base, or nil when p is not
// strictly inside base.
func parts(base, p string) []string {
	r, err := filepath.Rel(base, p)
	if err != nil || r == "." || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return nil
	}
	return strings.Split(r, string(filepath.Separator))
}

// writeRefusal says why the file tools may not write p (absolute and
// clean), or "" when they may. The path is judged as given and with
// symlinks resolved, so a link or ".." does not get around it.
func writeRefusal(env *tools.Env, p string) string {
	h, ok := homesOf(env)
	if !ok {
		return ""
	}
	return firstVerdict(p, h.writeRefusal)
}

// firstVerdict returns judge's first non-empty verdict on p as given and
// with symlinks resolved, or "".
func firstVerdict(p string, judge func(string) string) string {
	for _, c := range uniq(p, realPath(p)) {
		if v := judge(c); v != "" {
			return v
		}
	}
	return ""
}

func (h homeDirs) writeRefusal(p string) string {
	for _, d := range h.dir {
		if ps := parts(d, p); ps != nil {
			if c, ok := controls[strings.ToLower(ps[0])]; ok {
				return "is the hermes home's " + c.name + " and cannot be written by tools; " + c.how
			}
		}
	}
	for _, r := range h.root {
		ps := parts(r, p)
		if ps == nil {
			continue
		}
		first := strings.ToLower(ps[0])
		if first == home.ProfilesDir {
			if len(ps) == 1 {
				return "is the hermes home's profiles/ folder and cannot be written by tools; the user manages profiles with `hermes profile`"
			}
			if ps[1] == h.profile {
				continue // the active profile, judged above
			}
			return "belongs to the hermes profile " + ps[1] + " and cannot be written by tools; another profile's files are off limits (the user runs `hermes -p " + ps[1] + "` to work in it)"
		}
		if c, ok := rootOnly[first]; ok {
			return "is the hermes home's " + c.name + " and cannot be written by tools; " + c.how
		}
		if h.profile != "" {
			if c, ok := controls[first]; ok {
				return "is the default profile's " + c.name + " and cannot be written by tools; another profile's files are off limits"
			}
		}
	}
	return ""
}

// secretNames are the files read_file refuses in every profile.
var secretNames = []string{home.EnvFile, home.AuthFile}

// readRefusal says why read_file may not read p, or "" when it may: the
// .env and auth.json of the root home and of every profile, by name after
// resolving symlinks and "..", and any other name for the same file (a
// hard link).
func readRefusal(env *tools.Env, p string) string {
	h, ok := homesOf(env)
	if !ok {
		return ""
	}
	if n := firstVerdict(p, h.secretName); n != "" {
		return n
	}
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	for _, s := range h.secrets() {
		if si, err := os.Stat(s); err == nil && os.SameFile(fi, si) {
			return filepath.Base(s) + " (a link to " + s + ")"
		}
	}
	return ""
}

// secretName names the secret file p is by its path, or "".
func (h homeDirs) secretName(p string) string {
	for _, r := range h.root {
		ps := parts(r, p)
		var name string
		switch {
		case len(ps) == 1:
			name = ps[0]
		case len(ps) == 3 && strings.EqualFold(ps[0], home.ProfilesDir):
			name = ps[2]
		default:
			continue
		}
		for _, s := range secretNames {
			if strings.EqualFold(name, s) {
				if len(ps) == 3 {
					return s + " of the profile " + ps[1]
				}
				return s
			}
		}
	}
	return ""
}

// secrets lists the secret files of the root home and every profile.
func (h homeDirs) secrets() []string {
	var out []string
	root := h.root[0]
	dirs := []string{root}
	if entries, err := os.ReadDir(filepath.Join(root, home.ProfilesDir)); err == nil {
		for _, e := range entries {
			dirs = append(dirs, filepath.Join(root, home.ProfilesDir, e.Name()))
		}
	}
	for _, d := range dirs {
		for _, n := range secretNames {
			out = append(out, filepath.Join(d, n))
		}
	}
	return out
}
