package detect

import (
	"net"
	"path"
	"strings"
)

// knownNames are the command names some rule looks at; a command word
// computed at run time is tried as each of these that appears in its text.
var knownNames = map[string]bool{}

// ruleTable maps a command name to its rules.
var ruleTable = map[string][]func(*scanner, *call){}

func addRule(f func(*scanner, *call), names ...string) {
	for _, n := range names {
		knownNames[n] = true
		ruleTable[n] = append(ruleTable[n], f)
	}
}

func init() {
	addRule(func(s *scanner, c *call) { s.rmRule(c, false) }, "rm")
	addRule((*scanner).findRule, "find")
	addRule((*scanner).chmodRule, "chmod")
	addRule((*scanner).chownRule, "chown", "chgrp")
	addRule((*scanner).mkfsRule, "mkfs", "mke2fs", "mkswap", "newfs", "mkdosfs", "mkntfs", "mkexfatfs")
	addRule((*scanner).wipeRule, "wipefs", "sgdisk", "blkdiscard", "shred")
	addRule((*scanner).ddRule, "dd")
	addRule((*scanner).writeRule, "tee", "cp", "mv", "install", "ln", "rsync", "sed", "perl", "truncate")
	addRule((*scanner).killRule, "kill", "pkill", "killall")
	addRule((*scanner).powerRule, "shutdown", "reboot", "halt", "poweroff", "init", "telinit")
	addRule((*scanner).systemctlRule, "systemctl", "service")
	addRule((*scanner).shellRule, "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish")
	addRule((*scanner).evalRule, "eval", "source", ".")
	addRule((*scanner).sqlRule, sqlClients...)
	addRule((*scanner).pkgRule, "apt", "apt-get", "aptitude", "dpkg", "dnf", "yum", "microdnf", "rpm",
		"pacman", "yay", "paru", "apk", "zypper", "snap", "brew", "flatpak", "port",
		"npm", "yarn", "pnpm", "pip", "pip3", "python", "python3", "gem")
	addRule((*scanner).hermesRule, "hermes")
	addRule((*scanner).dockerRule, "docker", "podman", "nerdctl", "docker-compose", "podman-compose")
	addRule((*scanner).gitRule, "git")
	addRule((*scanner).xargsRule, "rm")
}

// rules runs every rule for c's command name plus the rules that look at
// any command's arguments.
func (s *scanner) rules(c *call) {
	name := c.name
	if strings.HasPrefix(name, "mkfs.") {
		name = "mkfs"
	} else if m := pythonVersion.FindString(name); m != "" && m == name {
		name = "python"
	}
	for _, f := range ruleTable[name] {
		f(s, c)
	}
	if c.dynName == "" && s.execs[execKey(c.path)] && strings.Contains(c.path, "/") {
		s.add("exec.chmod_run", c.text)
	}
	s.rulesArgsOnly(c)
	s.stdinRule(c)
}

// rulesArgsOnly applies the rules that do not depend on the command name.
func (s *scanner) rulesArgsOnly(c *call) {
	for _, a := range c.args {
		if metadataRef(a.val) {
			s.add("net.cloud_metadata", c.text)
			break
		}
	}
	if metadataRef(c.path) {
		s.add("net.cloud_metadata", c.text)
	}
	s.familyArgs(c)
}

// execKey is how chmod targets and executed paths are compared.
func execKey(p string) string {
	return path.Clean(p)
}

// metadataRef reports a cloud metadata endpoint named in v where a host
// can stand: the whole word as a URL or host (metadataURL), a URL inside
// longer text (inline code, --url=...), or a dotted or IPv6 host token
// between quotes, slashes or spaces ('169.254.169.254', /dev/tcp/HOST/80).
// A bare number is an address only after a scheme, so `sleep 2852039166`
// is not one.
func metadataRef(v string) bool {
	if len(v) < 7 || len(v) > 1<<16 {
		return false
	}
	if metadataURL(v) {
		return true
	}
	for rest := v; ; {
		i := strings.Index(rest, "://")
		if i < 0 {
			break
		}
		if i > 0 && metadataURL("http"+rest[i:]) {
			return true
		}
		rest = rest[i+3:]
	}
	for _, tok := range strings.FieldsFunc(v, notHostByte) {
		if len(tok) < 7 || strings.HasPrefix(tok, "-") {
			continue
		}
		if strings.Contains(tok, ".") && metadataURL(tok) {
			return true
		}
		if strings.Count(tok, ":") >= 2 {
			if ip := net.ParseIP(strings.Trim(tok, "[]")); ip != nil && ip.Equal(metadataIPv6) {
				return true
			}
		}
	}
	return false
}

// notHostByte reports a byte that cannot be part of a host token.
func notHostByte(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune(".-:[]", r)
}

// rmRule: recursive rm (hardline on /, system dirs and the home), rm
// --no-preserve-root, rm of files under system directories.
// With hardlineOnly (a computed command word), only hardline keys count.
func (s *scanner) rmRule(c *call, hardlineOnly bool) {
	recursive := hasFlag(c.args, "rR", "--recursive")
	if hasFlag(c.args, "", "--no-preserve-root") {
		s.add("hardline.rm_no_preserve_root", c.text)
	}
	if !recursive && hardlineOnly {
		return
	}
	hard, system := false, false
	for _, op := range operands(c.args, "") {
		if recursive {
			if k := s.criticalKey(op); k != "" {
				s.add(k, c.text)
				hard = true
			}
		} else if s.underSystem(op) {
			system = true
		}
	}
	switch {
	case hardlineOnly:
	case recursive && !hard:
		s.add("rm.recursive", c.text)
	case system:
		s.add("rm.system_path", c.text)
	}
}

func (s *scanner) criticalKey(p string) string {
	switch s.critical(p) {
	case "root":
		return "hardline.rm_root"
	case "system":
		return "hardline.rm_system"
	case "home":
		return "hardline.rm_home"
	}
	return ""
}

func (s *scanner) xargsRule(c *call) {
	if c.xargs {
		s.add("delete.xargs_rm", c.text)
	}
}

// narrowing find predicates: with one of them find deletes a selection,
// not the whole tree.
var findFilters = map[string]bool{
	"-name": true, "-iname": true, "-path": true, "-ipath": true, "-regex": true, "-iregex": true,
	"-wholename": true, "-iwholename": true, "-inum": true, "-samefile": true, "-empty": true,
	"-newer": true, "-mtime": true, "-mmin": true, "-atime": true, "-amin": true, "-ctime": true,
	"-cmin": true, "-size": true, "-user": true, "-uid": true, "-group": true, "-gid": true,
	"-nouser": true, "-nogroup": true, "-perm": true, "-links": true, "-lname": true, "-ilname": true,
}

// findRule: find -delete and find -exec rm (hardline when the whole of /,
// a system directory or the home goes); commands run by -exec are
// checked like any other.
func (s *scanner) findRule(c *call) {
	var starts []string
	i := 0
	for ; i < len(c.args); i++ {
		v := c.args[i].val
		if v == "-H" || v == "-L" || v == "-P" || strings.HasPrefix(v, "-O") || strings.HasPrefix(v, "-D") && i == 0 {
			continue
		}
		if strings.HasPrefix(v, "-") || v == "(" || v == "!" {
			break
		}
		starts = append(starts, v)
	}
	if len(starts) == 0 {
		starts = []string{"."}
	}
	deletes, filtered := false, false
	for ; i < len(c.args); i++ {
		v := c.args[i].val
		switch {
		case v == "-delete":
			deletes = true
			s.add("delete.find_delete", c.text)
		case v == "-exec" || v == "-execdir" || v == "-ok" || v == "-okdir":
			j := i + 1
			for j < len(c.args) && c.args[j].val != ";" && c.args[j].val != "+" {
				j++
			}
			if j > i+1 {
				inner := &call{lv: c.lv, st: c.st, text: c.text, sudo: c.sudo}
				inner.setCommand(c.args[i+1], c.args[i+2:j])
				inner = s.unwrap(inner)
				if inner.name == "rm" {
					deletes = true
					s.add("delete.find_exec_rm", c.text)
				}
				s.runCall(inner)
			}
			i = j
		case findFilters[v]:
			filtered = true
		}
	}
	if deletes && !filtered {
		for _, st := range starts {
			if k := s.criticalKey(st); k != "" {
				s.add(k, c.text)
			}
		}
	}
}
