package detect

import (
	"regexp"
	"strings"
)

var pythonVersion = regexp.MustCompile(`^python[0-9.]*$`)

func mentionsHermes(args []arg) bool {
	for _, a := range args {
		if strings.Contains(strings.ToLower(a.val), "hermes") {
			return true
		}
	}
	return false
}

// killRule: kill -1 (every process) is hardline; pkill -9, killall, and
// killing hermes are dangerous.
func (s *scanner) killRule(c *call) {
	if mentionsHermes(c.args) {
		s.add("hermes.kill", c.text)
	}
	switch c.name {
	case "killall":
		if len(operands(c.args, "sougnyr")) == 0 && !hasFlag(c.args, "", "--user") {
			return // killall -l, -V, --help: nothing is killed
		}
		s.add("process.killall", c.text)
		return
	case "pkill":
		if forceSignal(c.args) {
			s.add("process.pkill_force", c.text)
		}
		return
	}
	args := c.args
	// An optional signal: -9, -KILL, -SIGKILL, -s SIG, -n NUM, --signal SIG.
	if len(args) > 0 {
		switch v := args[0].val; {
		case v == "-s" || v == "-n" || v == "--signal":
			if len(args) < 2 {
				return
			}
			args = args[2:]
		case v == "-l" || v == "-L" || v == "--list" || v == "--table":
			return
		case v == "--":
		case len(v) > 1 && v[0] == '-' && len(args) > 1:
			args = args[1:]
		}
	}
	for _, a := range args {
		if a.val == "-1" {
			s.add("hardline.kill_all", c.text)
			return
		}
	}
	// Signals to init: SIGINT is ctrl-alt-del (reboot), SIGRTMIN+3..6
	// halt, power off, reboot and kexec under systemd, SIGPWR/SIGUSR2 too.
	if len(args) < len(c.args) && slicesContains(args, "1") {
		sig := strings.TrimPrefix(strings.ToUpper(c.args[0].val), "-")
		if sig == "S" || sig == "N" || sig == "-SIGNAL" {
			sig = strings.ToUpper(c.args[1].val)
		}
		switch strings.TrimPrefix(sig, "SIG") {
		case "HUP", "1", "USR1", "10", "0", "TERM", "15", "CHLD", "17", "CONT", "18", "WINCH", "28":
		default:
			s.add("hardline.shutdown", c.text)
		}
	}
}

func slicesContains(args []arg, v string) bool {
	for _, a := range args {
		if a.val == v {
			return true
		}
	}
	return false
}

// forceSignal reports -9 / -KILL / --signal KILL among pkill's options.
func forceSignal(args []arg) bool {
	for i, a := range args {
		v := strings.ToUpper(a.val)
		switch v {
		case "-9", "-KILL", "-SIGKILL", "--SIGNAL=9", "--SIGNAL=KILL", "--SIGNAL=SIGKILL":
			return true
		case "--SIGNAL", "-S":
			if i+1 < len(args) {
				n := strings.ToUpper(args[i+1].val)
				if n == "9" || n == "KILL" || n == "SIGKILL" {
					return true
				}
			}
		}
	}
	return false
}

// powerRule: shutdown, reboot, halt, poweroff, init 0|6, telinit 0|6.
func (s *scanner) powerRule(c *call) {
	switch c.name {
	case "init", "telinit":
		for _, a := range c.args {
			if a.val == "0" || a.val == "6" {
				s.add("hardline.init_halt", c.text)
			}
		}
	default:
		if hasFlag(c.args, "", "--help") || c.name == "shutdown" && hasFlag(c.args, "c") && !hasFlag(c.args, "hrPHk", "--reboot", "--poweroff", "--halt") {
			return // shutdown -c cancels
		}
		s.add("hardline.shutdown", c.text)
	}
}

var systemctlOpts = optSpec{short: "HMtpsnoP", long: []string{"--host", "--machine", "--type", "--property", "--signal", "--lines", "--output",
	"--root", "--state", "--kill-whom", "--job-mode", "--what", "--timestamp", "--when", "--message", "--reboot-argument",
	"--boot-loader-entry", "--boot-loader-menu", "--kill-value", "--image", "--image-policy", "--preset-mode", "--check-inhibitors", "--drop-in"}}

// systemctlRule: systemctl poweroff/reboot/halt/kexec are hardline;
// stop/restart/disable/mask/kill (and `service X stop`) are dangerous.
func (s *scanner) systemctlRule(c *call) {
	if c.name == "service" {
		ops := operands(c.args, "")
		if len(ops) >= 2 {
			switch ops[1] {
			case "stop", "restart", "force-reload":
				s.add("service.stop", c.text)
				if strings.Contains(strings.ToLower(ops[0]), "hermes") {
					s.add("hermes.stop", c.text)
				}
			}
		}
		return
	}
	i := systemctlOpts.firstOperand(c.args, nil)
	if i >= len(c.args) {
		return
	}
	switch c.args[i].val {
	case "poweroff", "reboot", "halt", "kexec", "soft-reboot", "emergency", "rescue":
		s.add("hardline.systemctl_power", c.text)
	case "start", "isolate", "restart", "try-restart", "reload-or-restart", "try-reload-or-restart", "enqueue-marked-jobs":
		for _, op := range operands(c.args[i+1:], "") {
			if isPowerUnit(op) {
				s.add("hardline.systemctl_power", c.text)
			}
		}
	}
	switch c.args[i].val {
	case "stop", "restart", "disable", "mask", "kill", "try-restart", "reload-or-restart", "isolate":
		s.add("service.stop", c.text)
		if mentionsHermes(c.args[i+1:]) {
			s.add("hermes.stop", c.text)
		}
	}
}

// hermesRule: hermes updating or stopping itself.
func (s *scanner) hermesRule(c *call) {
	ops := operands(c.args, "p")
	if len(ops) == 0 {
		return
	}
	switch ops[0] {
	case "update", "upgrade", "uninstall":
		s.add("hermes.update", c.text)
	case "gateway", "service", "daemon":
		if len(ops) > 1 && (ops[1] == "stop" || ops[1] == "restart" || ops[1] == "uninstall" || ops[1] == "kill") {
			s.add("hermes.stop", c.text)
		}
	case "stop", "shutdown":
		s.add("hermes.stop", c.text)
	}
}

var dockerOpts = optSpec{short: "Hcl", long: []string{"--host", "--context", "--config", "--log-level", "--tlscacert", "--tlscert", "--tlskey", "--url", "--connection", "--identity", "--root", "--runroot", "--storage-driver", "--cgroup-manager", "--file", "--project-name", "--project-directory", "--env-file", "--profile"}}

// dockerRule: destructive container commands, compose down, and
// remote-daemon redirects.
func (s *scanner) dockerRule(c *call) {
	var remote bool
	i := dockerOpts.firstOperand(c.args, nil)
	for j := 0; j < i && j < len(c.args); j++ {
		v := c.args[j].val
		host := ""
		switch {
		case v == "-H" || v == "--host" || v == "--url":
			if j+1 < len(c.args) {
				host = c.args[j+1].val
			}
		case strings.HasPrefix(v, "-H"):
			host = strings.TrimPrefix(v, "-H")
		case strings.HasPrefix(v, "--host=") || strings.HasPrefix(v, "--url="):
			_, host, _ = strings.Cut(v, "=")
		}
		if host != "" && remoteDockerHost(host) {
			remote = true
		}
	}
	if remote {
		s.add("container.remote_host", c.text)
	}
	ops := operands(c.args[min(i, len(c.args)):], "fpt")
	if c.name == "docker-compose" || c.name == "podman-compose" {
		ops = append([]string{"compose"}, ops...)
	}
	if len(ops) == 0 {
		return
	}
	sub, obj := ops[0], ""
	if len(ops) > 1 {
		obj = ops[1]
	}
	switch sub {
	case "stop", "kill", "rm", "rmi":
		s.add("container.destructive", c.text)
	case "system", "container", "image", "volume", "network", "builder", "buildx", "pod":
		switch obj {
		case "prune", "rm", "remove", "stop", "kill", "reset":
			s.add("container.destructive", c.text)
		}
	case "compose":
		c2 := operands(c.args[min(i, len(c.args)):], "fp")
		for _, v := range c2 {
			switch v {
			case "down":
				s.add("container.compose_down", c.text)
			case "rm", "kill", "stop":
				s.add("container.destructive", c.text)
			}
		}
	}
}

var gitOpts = optSpec{short: "Cc", long: []string{"--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env", "--super-prefix", "--list-cmds"}}

// gitRule: reset --hard, force pushes, clean -f, branch -D.
func (s *scanner) gitRule(c *call) {
	opts, i := gitOpts.parse(c.args)
	if i >= len(c.args) {
		s.gitConfigScripts(c, opts, "")
		return
	}
	sub, rest := c.args[i].val, c.args[i+1:]
	if alias := s.gitConfigScripts(c, opts, sub); len(alias) > 0 && !c.xargs {
		// git -c alias.p='push --force' p: judged as what it stands for.
		expanded := *c
		expanded.xargs = true // no second expansion
		expanded.args = nil
		for _, a := range alias {
			expanded.args = append(expanded.args, arg{val: a})
		}
		expanded.args = append(expanded.args, rest...)
		s.gitRule(&expanded)
	}
	switch sub {
	case "reset":
		if hasFlag(rest, "", "--hard", "--merge", "--keep") && hasFlag(rest, "", "--hard") {
			s.add("git.reset_hard", c.text)
		}
	case "push":
		// --force-with-lease is the safe way to force: it refuses to
		// overwrite work it has not seen.
		force := hasFlag(rest, "fd", "--force", "--mirror", "--delete", "--prune")
		for _, op := range operands(rest, "o") {
			if strings.HasPrefix(op, "+") || strings.HasPrefix(op, ":") {
				force = true
			}
		}
		if force {
			s.add("git.push_force", c.text)
		}
	case "clean":
		if hasFlag(rest, "f", "--force") && !hasFlag(rest, "n", "--dry-run") {
			s.add("git.clean_force", c.text)
		}
	case "branch":
		if hasFlag(rest, "D") || (hasFlag(rest, "d", "--delete") && hasFlag(rest, "f", "--force")) {
			s.add("git.branch_delete", c.text)
		}
	}
}

// pkgRule: system package installation and removal; global npm; pip and
// gem into the system.
func (s *scanner) pkgRule(c *call) {
	name, args := c.name, c.args
	if pythonVersion.MatchString(name) {
		// python -m pip ...
		if len(args) < 2 || args[0].val != "-m" || (args[1].val != "pip" && args[1].val != "pip3") {
			return
		}
		name, args = "pip", args[2:]
	}
	ops := operands(args, "oterRcCp")
	verb := ""
	if len(ops) > 0 {
		verb = ops[0]
	}
	install, remove := false, false
	switch name {
	case "apt", "apt-get", "aptitude":
		install = in(verb, "install", "reinstall", "upgrade", "full-upgrade", "dist-upgrade", "build-dep", "safe-upgrade")
		remove = in(verb, "remove", "purge", "autoremove", "autopurge")
	case "dpkg":
		install = hasFlag(args, "i", "--install", "--unpack")
		remove = hasFlag(args, "rP", "--remove", "--purge")
	case "rpm":
		install = hasFlag(args, "iUF", "--install", "--upgrade", "--freshen")
		remove = hasFlag(args, "e", "--erase")
	case "dnf", "yum", "microdnf":
		install = in(verb, "install", "reinstall", "upgrade", "update", "groupinstall", "localinstall", "distro-sync", "downgrade")
		remove = in(verb, "remove", "erase", "autoremove", "groupremove")
	case "pacman", "yay", "paru":
		install, remove = pacman(args)
	case "apk":
		install = in(verb, "add", "upgrade")
		remove = in(verb, "del")
	case "zypper":
		install = in(verb, "in", "install", "up", "update", "dup", "dist-upgrade", "patch")
		remove = in(verb, "rm", "remove")
	case "snap", "flatpak", "port":
		install = in(verb, "install", "refresh", "upgrade", "update")
		remove = in(verb, "remove", "uninstall")
	case "brew":
		install = in(verb, "install", "reinstall", "upgrade")
		remove = in(verb, "uninstall", "remove", "rm")
	case "npm", "pnpm":
		if in(verb, "install", "i", "add", "uninstall", "un", "remove", "rm", "update", "up", "link") && hasFlag(args, "g", "--global", "--location") {
			s.add("pkg.npm_global", c.text)
		}
	case "yarn":
		if verb == "global" {
			s.add("pkg.npm_global", c.text)
		}
	case "pip", "pip3":
		if in(verb, "install", "uninstall") && (c.sudo || hasFlag(args, "", "--break-system-packages")) {
			s.add("pkg.pip_system", c.text)
		}
	case "gem":
		if in(verb, "install", "uninstall", "update") && c.sudo {
			s.add("pkg.gem_system", c.text)
		}
	}
	if install {
		s.add("pkg.install", c.text)
	}
	if remove {
		s.add("pkg.remove", c.text)
	}
}

// pacman decodes pacman's operation flags: -S (not a query such as -Ss,
// -Si), -U install; -R removes.
func pacman(args []arg) (install, remove bool) {
	for _, a := range args {
		v := a.val
		switch {
		case v == "--sync" || v == "--upgrade":
			install = true
		case v == "--remove":
			remove = true
		case len(v) > 1 && v[0] == '-' && v[1] != '-':
			if strings.Contains(v, "R") {
				remove = true
			}
			if strings.Contains(v, "U") {
				install = true
			}
			if strings.Contains(v, "S") && !strings.ContainsAny(v, "silgpc") {
				install = true
			}
		}
	}
	return install, remove
}

func in(v string, set ...string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}
