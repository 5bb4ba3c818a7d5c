package detect

import (
	"strings"
)

// persistRule: crontab replaced or removed, at/batch jobs, history
// erased, the firewall or SELinux turned off, immutable files, global git
// settings that run commands, history files linked to /dev/null, and
// account changes.
func (s *scanner) persistRule(c *call) {
	if c.dynName != "" {
		return
	}
	switch c.name {
	case "crontab":
		// crontab -l lists, crontab -e edits interactively; a file, "-"
		// (stdin) or -r/-ir replaces or removes every job.
		// crontab with neither -l nor -e reads a new table from its
		// operand or its standard input.
		if hasFlag(c.args, "r") || !hasFlag(c.args, "leTV", "--help", "--version") {
			s.add("persist.crontab", c.text)
		}
	case "at", "batch":
		if !hasFlag(c.args, "lrdcV") {
			s.add("persist.at", c.text)
		}
	case "history":
		if hasFlag(c.args, "cdw") && !hasFlag(c.args, "", "--help") {
			s.add("evade.history", c.text)
		}
	case "unset", "export", "set":
		for _, a := range c.args {
			v := a.val
			name, val, _ := strings.Cut(v, "=")
			switch {
			case c.name == "unset" && (strings.HasPrefix(name, "HIST") || name == "PROMPT_COMMAND"):
				s.add("evade.history", c.text)
			case c.name == "export" && historyVar(name, val):
				s.add("evade.history", c.text)
			case c.name == "set" && v == "history" && hasFlag(c.args, "", "+o"):
				s.add("evade.history", c.text)
			}
		}
		if c.name == "set" && len(c.args) >= 2 && c.args[0].val == "+o" && c.args[1].val == "history" {
			s.add("evade.history", c.text)
		}
	case "git":
		s.gitConfigRule(c)
	case "ln":
		ops := operands(c.args, "tS")
		if len(ops) == 2 && ops[0] == "/dev/null" && historyFile(ops[1]) {
			s.add("evade.history", c.text)
		}
	}
}

// firewallRule: the firewall flushed or disabled, SELinux permissive,
// files made immutable.
func (s *scanner) firewallRule(c *call) {
	if c.dynName != "" {
		return
	}
	switch c.name {
	case "iptables", "ip6tables", "iptables-legacy", "iptables-nft":
		if hasFlag(c.args, "FXZ", "--flush", "--delete-chain") || policyAccept(c.args) {
			s.add("evade.firewall", c.text)
		}
	case "nft":
		ops := operands(c.args, "f")
		if len(ops) > 0 && ops[0] == "flush" || len(ops) > 1 && ops[0] == "delete" && ops[1] == "table" {
			s.add("evade.firewall", c.text)
		}
	case "ufw":
		if ops := operands(c.args, ""); len(ops) > 0 && (ops[0] == "disable" || ops[0] == "reset") {
			s.add("evade.firewall", c.text)
		}
	case "firewall-cmd":
		if hasFlag(c.args, "", "--panic-off", "--set-default-zone=trusted") {
			s.add("evade.firewall", c.text)
		}
	case "pfctl":
		if hasFlag(c.args, "dF") {
			s.add("evade.firewall", c.text)
		}
	case "setenforce":
		if ops := operands(c.args, ""); len(ops) > 0 && (ops[0] == "0" || strings.EqualFold(ops[0], "permissive")) {
			s.add("evade.firewall", c.text)
		}
	case "chattr":
		for _, a := range c.args {
			if len(a.val) > 1 && (a.val[0] == '+' || a.val[0] == '=') && strings.ContainsAny(a.val[1:], "ia") {
				s.add("persist.immutable", c.text)
				break
			}
		}
	}
}

// accountRule: account and password changes.
func (s *scanner) accountRule(c *call) {
	if c.dynName != "" {
		return
	}
	switch c.name {
	case "passwd":
		if hasFlag(c.args, "dul", "--delete", "--unlock", "--lock") || len(c.stdin) > 0 || hasFlag(c.args, "", "--stdin") {
			s.add("account.change", c.text)
		}
	default:
		// userdel, usermod, useradd, chpasswd, ... (pw and dscl only
		// with a verb that changes an account).
		if (c.name == "pw" || c.name == "dscl") && !isAccountVerb(c.args) {
			return
		}
		if len(c.args) == 0 && len(c.stdin) == 0 && c.name != "chpasswd" && c.name != "newusers" || len(c.args) == 1 && hasFlag(c.args, "h", "--help") {
			return
		}
		s.add("account.change", c.text)
	}
}

func isAccountVerb(args []arg) bool {
	for _, a := range args {
		l := strings.ToLower(a.val)
		if in(l, "useradd", "userdel", "usermod", "groupadd", "groupdel", "-create", "-delete", "-append", "-passwd", "create", "delete", "append", "passwd") {
			return true
		}
	}
	return false
}

// historyVar reports HISTFILE=/dev/null, HISTSIZE=0 and the like.
func historyVar(name, val string) bool {
	switch name {
	case "HISTFILE":
		return val == "" || val == "/dev/null"
	case "HISTSIZE", "HISTFILESIZE", "SAVEHIST":
		return val == "0" || val == ""
	}
	return false
}

func historyFile(p string) bool {
	base := p[strings.LastIndexByte(p, '/')+1:]
	return base == ".bash_history" || base == ".zsh_history" || base == ".history" || base == ".sh_history" || base == ".python_history" || base == ".node_repl_history" || base == ".psql_history" || base == ".mysql_history"
}

// policyAccept reports iptables -P CHAIN ACCEPT.
func policyAccept(args []arg) bool {
	for i, a := range args {
		if (a.val == "-P" || a.val == "--policy") && i+2 < len(args) && strings.EqualFold(args[i+2].val, "ACCEPT") {
			return true
		}
	}
	return false
}

// gitConfigRule: git config --global/--system settings that run commands
// later (core.sshCommand, core.pager, core.editor, core.hooksPath,
// core.fsmonitor, alias.*, credential.helper, ...).
func (s *scanner) gitConfigRule(c *call) {
	i := gitOpts.firstOperand(c.args, nil)
	// git -c core.pager=... runs it for this command only: judged by the
	// wrapper rules, not here.
	if i >= len(c.args) || c.args[i].val != "config" {
		return
	}
	rest := c.args[i+1:]
	if !hasFlag(rest, "", "--global", "--system", "--file") && !hasFlag(rest, "f") {
		return
	}
	if hasFlag(rest, "l", "--list", "--get", "--get-all", "--get-regexp", "--unset", "--unset-all", "--show-origin") {
		return
	}
	ops := operands(rest, "f")
	if len(ops) > 0 && in(ops[0], "get", "list") {
		return
	}
	for _, o := range ops {
		k := strings.ToLower(o)
		if strings.HasPrefix(k, "alias.") || in(k, "core.sshcommand", "core.pager", "core.editor", "core.hookspath", "core.fsmonitor",
			"core.gitproxy", "credential.helper", "sequence.editor", "diff.external", "gpg.program", "pager.log", "pager.diff", "include.path", "includeif") ||
			strings.HasPrefix(k, "pager.") || strings.HasPrefix(k, "filter.") || strings.HasPrefix(k, "url.") && strings.HasSuffix(k, ".insteadof") {
			s.add("persist.git_config", c.text)
			return
		}
	}
}

// pipVerbs are pip's commands, to find the verb after global options
// that take values (pip --log x.log uninstall y).
var pipVerbs = map[string]bool{"install": true, "uninstall": true, "download": true, "freeze": true, "list": true, "show": true, "check": true, "config": true, "search": true, "cache": true, "index": true, "wheel": true, "hash": true, "completion": true, "debug": true, "help": true, "inspect": true, "lock": true}

// pkgRemoveRule: package removal through language package managers (pip,
// npm, yarn, pnpm, bun, cargo, gem, pipx, conda, uv), and global bun
// installs.
func (s *scanner) pkgRemoveRule(c *call) {
	if c.dynName != "" {
		return
	}
	name, args := c.name, c.args
	if pythonVersion.MatchString(name) {
		if len(args) < 2 || !(args[0].val == "-m" && (args[1].val == "pip" || args[1].val == "pip3")) && args[0].val != "-mpip" {
			return
		}
		if args[0].val == "-mpip" {
			args = args[1:]
		} else {
			args = args[2:]
		}
		name = "pip"
	}
	if name == "uv" {
		ops := operands(args, "p")
		if len(ops) >= 2 && (ops[0] == "pip" || ops[0] == "tool") && in(ops[1], "uninstall", "remove") {
			s.add("pkg.remove", c.text)
		}
		return
	}
	ops := specOperands(args, npmOpts)
	verb := ""
	if name == "pip" || name == "pip3" {
		for _, o := range ops {
			if pipVerbs[o] {
				verb = o
				break
			}
		}
	} else if len(ops) > 0 {
		verb = ops[0]
	}
	switch name {
	case "pip", "pip3", "pipx", "cargo", "gem":
		if verb == "uninstall" || name == "pipx" && verb == "uninstall-all" {
			s.add("pkg.remove", c.text)
		}
	case "npm":
		if in(verb, "un", "unlink", "remove", "rm", "r", "prune") || len(verb) >= 3 && strings.HasPrefix("uninstall", verb) {
			s.add("pkg.remove", c.text)
		}
	case "yarn", "pnpm", "bun":
		if verb == "global" && len(ops) > 1 {
			verb = ops[1]
		}
		if in(verb, "remove", "rm", "uninstall", "un", "prune") {
			s.add("pkg.remove", c.text)
		}
		if name == "bun" && in(verb, "add", "install", "i") && hasFlag(args, "g", "--global") {
			s.add("pkg.npm_global", c.text)
		}
	case "conda", "mamba":
		if in(verb, "remove", "uninstall") || verb == "env" && len(ops) > 1 && ops[1] == "remove" {
			s.add("pkg.remove", c.text)
		}
	}
}

// killManyRule: kill with a computed list of pids, pkill/killall that
// match everything, killall5.
func (s *scanner) killManyRule(c *call) {
	if c.dynName != "" {
		return
	}
	switch c.name {
	case "killall5":
		s.add("process.kill_many", c.text)
	case "kill":
		if c.xargs {
			s.add("process.kill_many", c.text)
			return
		}
		for _, a := range c.args {
			if len(a.subs) > 0 {
				s.add("process.kill_many", c.text)
				return
			}
		}
	case "pkill", "killall":
		ops := operands(c.args, "sgGPtuUn")
		for _, o := range ops {
			if o == "." || o == ".*" || o == "^" || o == "" || o == ".+" || o == "$" {
				s.add("process.kill_many", c.text)
				return
			}
		}
		if len(ops) == 0 && hasFlag(c.args, "uU", "--user", "--euid", "--uid") {
			s.add("process.kill_many", c.text)
		}
	}
}
