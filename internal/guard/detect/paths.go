package detect

import (
	"path"
	"strings"
)

// systemDirs are the directories whose recursive removal is hardline.
var systemDirs = map[string]bool{
	"/home": true, "/root": true, "/etc": true, "/usr": true, "/var": true,
	"/bin": true, "/sbin": true, "/boot": true, "/lib": true, "/lib32": true,
	"/lib64": true, "/libx32": true, "/opt": true, "/srv": true, "/sys": true,
	"/proc": true, "/dev": true, "/usr/bin": true, "/usr/sbin": true,
	"/usr/lib": true, "/usr/lib64": true, "/usr/local": true, "/usr/share": true,
	"/usr/include": true, "/var/lib": true, "/snap": true, "/System": true,
	"/Applications": true, "/Library": true, "/Users": true, "/private": true,
}

// canon returns p in canonical form: home paths as "~" or "~/x" (also
// when written as the literal home directory), other absolute paths
// cleaned, relative paths joined with Options.Cwd when it is known.
func (s *scanner) canon(p string) string {
	if p == "" {
		return ""
	}
	if p[0] != '/' && p[0] != '~' && s.opts.Cwd != "" {
		p = s.expandHome(s.opts.Cwd) + "/" + p
	}
	p = s.expandHome(s.tildeUser(p))
	c := path.Clean(p)
	if c == "~" || strings.HasPrefix(c, "~/") {
		return c
	}
	if p[0] == '~' && (p == "~" || p[1] == '/') {
		// ~/.. with an unknown home: somewhere above the home.
		return "/home"
	}
	if s.home != "" && s.home != "/" {
		if c == s.home {
			return "~"
		}
		if rest, ok := strings.CutPrefix(c, s.home+"/"); ok {
			return "~/" + rest
		}
	}
	return c
}

// expandHome replaces a leading ~ with the home directory when known.
func (s *scanner) expandHome(p string) string {
	if s.home != "" && (p == "~" || strings.HasPrefix(p, "~/")) {
		return s.home + p[1:]
	}
	return p
}

// globOnly reports a path element made only of glob characters and dots
// (*, .*, **, ?*): it names everything in its directory.
func globOnly(base string) bool {
	return base != "" && strings.ContainsAny(base, "*?") && strings.Trim(base, "*?.") == ""
}

// critical classifies a deletion target: "root", "system", "home", or ""
// for anything else.
func (s *scanner) critical(p string) string {
	if p == "" {
		return ""
	}
	c := stripGlobs(s.canon(p))
	switch {
	case c == "/":
		return "root"
	case c == "~":
		return "home"
	case systemDirs[c]:
		return "system"
	case strings.HasPrefix(c, "/") && !strings.Contains(c[1:], "/") && strings.ContainsAny(c, "*?["):
		return "system" // /u* may well be /usr
	case isUserHome(stripGlobs(path.Clean(p))):
		return "home" // ~bob: another user's home
	}
	return ""
}

// stripGlobs removes up to three trailing path elements made only of
// glob characters: /usr/* names what /usr does.
func stripGlobs(c string) string {
	for range 3 {
		dir, base := path.Split(c)
		if !globOnly(base) || dir == "" {
			break
		}
		if c = path.Clean(dir); c == "." {
			break
		}
	}
	return c
}

// isUserHome reports ~NAME, another user's home directory as the shell
// expands it (~+ and ~- are the working directories, not homes).
func isUserHome(c string) bool {
	if len(c) < 2 || c[0] != '~' {
		return false
	}
	for i := 1; i < len(c); i++ {
		b := c[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '_':
		case (b == '-' || b == '.') && i > 1:
		case b == '$' && i == len(c)-1 && i > 1: // Samba machine accounts
		default:
			return false
		}
	}
	return true
}

// underSystem reports a path inside (not equal to) a system directory
// other than /home, or directly under /.
func (s *scanner) underSystem(p string) bool {
	c := s.canon(p)
	if !strings.HasPrefix(c, "/") || c == "/" {
		return false
	}
	if strings.HasPrefix(c, "/dev/") && (c == "/dev/null" || strings.HasPrefix(c, "/dev/shm/") || strings.HasPrefix(c, "/dev/fd/")) {
		return false
	}
	top := c
	if i := strings.IndexByte(c[1:], '/'); i >= 0 {
		top = c[:i+1]
	} else {
		return !strings.HasPrefix(c, "/tmp") // a file directly under /
	}
	return systemDirs[top] && top != "/home" && top != "/tmp"
}

var (
	shellRCs    = map[string]bool{".bashrc": true, ".zshrc": true, ".profile": true, ".bash_profile": true, ".zprofile": true, ".bash_login": true, ".zshenv": true, ".zlogin": true, ".kshrc": true, ".cshrc": true, ".tcshrc": true}
	etcShellRCs = map[string]bool{"/etc/profile": true, "/etc/bash.bashrc": true, "/etc/bashrc": true, "/etc/zshrc": true, "/etc/zsh/zshrc": true, "/etc/zsh/zshenv": true, "/etc/environment": true}
	credFiles   = map[string]bool{".netrc": true, ".pgpass": true, ".npmrc": true, ".pypirc": true, ".git-credentials": true, "_netrc": true}
)

// sensitiveWrite returns the keys for writing to target.
func (s *scanner) sensitiveWrite(target string) []string {
	if target == "" {
		return nil
	}
	if isBlockDevice(target) {
		return []string{"hardline.write_device"}
	}
	if isSysrq(target) {
		return []string{"hardline.sysrq"}
	}
	c := s.canon(target)
	base := path.Base(c)
	var keys []string
	if c == "/etc" || strings.HasPrefix(c, "/etc/") || c == "/private/etc" || strings.HasPrefix(c, "/private/etc/") {
		keys = append(keys, "write.etc")
	}
	if base == ".ssh" || strings.Contains(c, "/.ssh/") || strings.HasPrefix(c, ".ssh/") {
		keys = append(keys, "write.ssh")
	}
	if s.hermes != "" && (c == s.hermes+"/.env" || c == s.hermes+"/auth.json" || c == s.hermes+"/config.yaml") {
		keys = append(keys, "write.hermes_secrets")
	}
	keys = append(keys, s.familyWriteKeys(c)...)
	if shellRCs[base] || etcShellRCs[c] || strings.HasPrefix(c, "/etc/profile.d/") {
		keys = append(keys, "write.shell_rc")
	}
	if credFiles[base] {
		keys = append(keys, "write.credentials")
	}
	if base == ".env" || strings.HasPrefix(base, ".env.") && !templateFile(base) {
		keys = append(keys, "write.dotenv")
	}
	return keys
}

// templateFile reports an example or template file (.env.example): it
// holds no secrets, so writing it is ordinary work.
func templateFile(base string) bool {
	for _, s := range []string{".example", ".sample", ".template", ".dist", ".tmpl", ".defaults"} {
		if strings.HasSuffix(base, s) {
			return true
		}
	}
	return false
}

// tildeUser expands ~user (another user's home) and ~+ (the working
// directory) at the start of p.
func (s *scanner) tildeUser(p string) string {
	if len(p) < 2 || p[0] != '~' || p[1] == '/' {
		return p
	}
	user, rest, _ := strings.Cut(p[1:], "/")
	if rest != "" || strings.HasSuffix(p, "/") {
		rest = "/" + rest
	}
	switch {
	case user == "+" && s.opts.Cwd != "":
		return s.opts.Cwd + rest
	case user == "+" || user == "-":
		return p
	case isAssignment(user + "="):
		return homeOf(user) + rest
	}
	return p
}
