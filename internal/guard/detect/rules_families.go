package detect

import (
	"path"
	"strings"
)

// Dangerous (ask) families: infrastructure destruction, persistence and
// evasion, account changes, package removal, killing many processes,
// and the hermes home tampered with. Exfiltration and reverse shells are
// in rules_exfil.go, inline interpreter code in rules_interp.go.

const (
	catInfra       = "infrastructure"
	catPersistence = "persistence"
	catExfil       = "exfiltration"
	catRevShell    = "reverse_shell"
	catInterp      = "interpreter"
)

// familyPatterns are the keys this file and its siblings add to patterns.
var familyPatterns = map[string]Pattern{
	"exfil.secret_file":    {Category: catExfil, Description: "a secret file (.env, auth.json, SSH keys, cloud or kube credentials, .netrc, the hermes home's secrets) sent to a network tool"},
	"exfil.environment":    {Category: catExfil, Description: "the environment (env, printenv, /proc/*/environ) sent to a network tool"},
	"revshell.dev_tcp":     {Category: catRevShell, Description: "a command wired to a raw network socket through /dev/tcp or /dev/udp"},
	"revshell.socket_exec": {Category: catRevShell, Description: "nc -e, ncat --exec or socat EXEC:/SYSTEM: runs a program on a network connection"},
	"revshell.pipe":        {Category: catRevShell, Description: "a shell piped to or from a raw network socket (mkfifo ... | sh | nc)"},
	"revshell.interpreter": {Category: catRevShell, Description: "inline interpreter code that opens a socket and runs a shell"},

	"infra.destroy":        {Category: catInfra, Description: "terraform, tofu or pulumi destroy (or apply -destroy) tears down managed infrastructure"},
	"infra.kubectl_delete": {Category: catInfra, Description: "kubectl delete of namespaces, or of everything (--all, -A)"},
	"infra.helm_uninstall": {Category: catInfra, Description: "helm uninstall removes a release and its resources"},
	"infra.cloud_delete":   {Category: catInfra, Description: "delete cloud resources (aws s3 rb / rm --recursive, terminate-instances, gcloud ... delete, az ... delete)"},
	"container.privileged": {Category: catContainers, Description: "a container with the host's privileges, root filesystem, namespaces or docker socket"},

	"hermes.self_tamper": {Category: catSelf, Description: "change the hermes home's configuration, secrets, soul, state, memories, skills, cron jobs or platforms (how an agent could turn its own approvals off)"},

	"persist.crontab":    {Category: catPersistence, Description: "replace or remove the crontab (crontab FILE, crontab -, crontab -r)"},
	"persist.autostart":  {Category: catPersistence, Description: "write a unit, agent or job that starts by itself (systemd units, XDG autostart, LaunchAgents, cron spools)"},
	"persist.at":         {Category: catPersistence, Description: "schedule a command for later with at or batch"},
	"persist.git_config": {Category: catPersistence, Description: "global git settings that run commands (core.sshCommand, core.pager, core.hooksPath, alias.*)"},
	"persist.immutable":  {Category: catPersistence, Description: "make files immutable or append-only with chattr"},
	"evade.history":      {Category: catPersistence, Description: "erase or disable the shell history"},
	"evade.firewall":     {Category: catPersistence, Description: "flush or disable the firewall or SELinux"},
	"account.change":     {Category: catPersistence, Description: "add, change, delete or unlock user accounts and passwords"},

	"process.kill_many": {Category: catSystem, Description: "kill a computed list of processes or every process a pattern matches (kill $(pgrep ...), pkill -f ., killall5)"},

	"interp.shell":           {Category: catInterp, Description: "inline interpreter code runs a shell command built at run time"},
	"interp.eval":            {Category: catInterp, Description: "inline interpreter code evaluates code built at run time"},
	"interp.delete":          {Category: catInterp, Description: "inline interpreter code deletes a file whose path is built at run time"},
	"interp.write_protected": {Category: catInterp, Description: "inline interpreter code writes to a protected file (/etc, ~/.ssh, shell startup files, the hermes home)"},
}

func init() {
	for k, p := range familyPatterns {
		p.Key = k
		p.Hardline = p.Category == catHardline
		patterns[k] = p
	}
	addRule((*scanner).infraRule, "terraform", "tofu", "terragrunt", "pulumi", "kubectl", "oc", "helm", "aws", "gcloud", "az", "doctl", "hcloud", "flyctl", "fly", "eksctl", "gh", "heroku")
	addRule((*scanner).containerRunRule, "docker", "podman", "nerdctl")
	addRule((*scanner).persistRule, "crontab", "at", "batch", "history", "unset", "export", "set", "git", "ln")
	addRule((*scanner).firewallRule, "iptables", "ip6tables", "iptables-legacy", "iptables-nft", "nft", "ufw", "setenforce",
		"chattr", "firewall-cmd", "pfctl")
	addRule((*scanner).accountRule, "passwd", "userdel", "usermod", "useradd", "adduser", "deluser", "chpasswd", "groupdel",
		"groupmod", "gpasswd", "newusers", "chage", "pw", "dscl")
	addRule((*scanner).pkgRemoveRule, "pip", "pip3", "python", "npm", "yarn", "pnpm", "bun", "cargo", "gem", "pipx", "conda", "mamba", "uv")
	addRule((*scanner).killManyRule, "kill", "pkill", "killall", "killall5")
	addRule((*scanner).findTamperRule, "find")
	addRule((*scanner).selfTamperRule, "ln", "rm", "rmdir", "unlink", "mv", "shred", "hermes", "yq", "sd", "ed", "ex", "vi", "vim", "nvim",
		"nano", "emacs", "patch", "dos2unix", "unix2dos", "crudini", "dasel", "sqlite3", "tar", "unzip", "chmod", "chown", "touch", "git")
}

// hermesHomes lists the canonical spellings of the hermes home.
func (s *scanner) hermesHomes() []string {
	if s.hermes == "~/.hermes" || s.hermes == "" {
		return []string{"~/.hermes"}
	}
	return []string{s.hermes, "~/.hermes"}
}

// hermesEntries are the files and directories of a hermes home (or of a
// profile below it) whose change alters what the agent may do.
var hermesEntries = map[string]bool{
	"config.yaml": true, "config.yml": true, ".env": true, "auth.json": true, "soul.md": true, "state.db": true,
	"state.db-wal": true, "state.db-shm": true, "state.db-journal": true, "memories": true, "skills": true,
	"cron": true, "platforms": true, "profiles": true, "approvals.json": true, "allowlist.json": true,
}

// hermesProtected reports a path that is the hermes home itself, one of
// its protected entries, or one inside a profile.
func (s *scanner) hermesProtected(p string) bool {
	if p == "" {
		return false
	}
	for _, v := range []string{"${HERMES_HOME}", "$HERMES_HOME"} {
		// The variable hermes itself sets: whatever it holds, it is the home.
		if i := strings.Index(p, v); i >= 0 {
			p = "~/.hermes" + p[i+len(v):]
		}
	}
	c := s.canon(p)
	for _, h := range s.hermesHomes() {
		if c == h {
			return true
		}
		rest, ok := strings.CutPrefix(c, h+"/")
		if !ok {
			continue
		}
		for range 4 {
			first, more, _ := strings.Cut(rest, "/")
			if first != "profiles" {
				return hermesEntries[strings.ToLower(first)] || globOnly(first)
			}
			// profiles, profiles/NAME and profiles/NAME/<entry>.
			if more == "" {
				return true
			}
			_, inner, ok := strings.Cut(more, "/")
			if !ok || inner == "" {
				return true
			}
			rest = inner
		}
		return true
	}
	return false
}

// selfTamperRule: deleting, moving, editing in place, extracting into or
// re-permissioning the hermes home's protected files; hermes commands that
// change its configuration.
func (s *scanner) selfTamperRule(c *call) {
	if c.dynName != "" {
		return
	}
	switch c.name {
	case "hermes":
		s.hermesCLITamper(c)
		return
	case "tar":
		for i, a := range c.args {
			v := a.val
			dir := ""
			switch {
			case v == "-C" || v == "--directory":
				if i+1 < len(c.args) {
					dir = c.args[i+1].val
				}
			case strings.HasPrefix(v, "--directory="):
				dir = strings.TrimPrefix(v, "--directory=")
			}
			if dir != "" && s.hermesProtected(dir) && !hasFlag(c.args, "tc", "--list", "--create") {
				s.add("hermes.self_tamper", c.text)
			}
		}
		return
	case "unzip":
		for i, a := range c.args {
			if a.val == "-d" && i+1 < len(c.args) && s.hermesProtected(c.args[i+1].val) {
				s.add("hermes.self_tamper", c.text)
			}
		}
		return
	case "git":
		s.gitTamper(c)
		return
	case "sqlite3":
		ops := operands(c.args, "")
		if len(ops) > 0 && s.hermesProtected(ops[0]) {
			sql := strings.ToLower(strings.Join(append(ops[1:], c.stdin...), " "))
			if len(ops) == 1 && len(c.stdin) == 0 || containsAnyOf(sql, []string{"insert", "update", "delete", "drop", "alter", "replace", "create", "attach", ".restore", ".import", "vacuum", "pragma"}) {
				s.add("hermes.self_tamper", c.text)
			}
		}
		return
	case "chmod", "chown", "touch":
		if c.name == "touch" {
			return // an empty file where there was none changes nothing that matters
		}
	}
	for _, op := range operands(c.args, "") {
		if s.hermesProtected(op) {
			s.add("hermes.self_tamper", c.text)
			return
		}
	}
}

// gitReadOnly are the git subcommands that change neither the work tree
// nor the repository.
var gitReadOnly = map[string]bool{
	"status": true, "log": true, "diff": true, "show": true, "ls-files": true, "ls-tree": true, "blame": true,
	"grep": true, "rev-parse": true, "describe": true, "shortlog": true, "cat-file": true, "whatchanged": true,
	"help": true, "version": true, "rev-list": true, "name-rev": true,
}

// gitTamper: git run in the hermes home (cwd, -C, --git-dir, --work-tree)
// with a subcommand that can rewrite its files (checkout config.yaml,
// reset --hard, stash, pull, ...), and checkout/restore/clone naming a
// protected path.
func (s *scanner) gitTamper(c *call) {
	opts, i := gitOpts.parse(c.args)
	sub := ""
	if i < len(c.args) {
		sub = c.args[i].val
	}
	dir := s.opts.Cwd
	for _, o := range opts {
		switch o.name {
		case "-C":
			if o.val != "" && !strings.HasPrefix(o.val, "/") && !strings.HasPrefix(o.val, "~") {
				o.val = path.Join(dir, o.val)
			}
			dir = o.val
		case "--git-dir", "--work-tree":
			if s.inHermesHome(o.val) && sub != "" && !gitReadOnly[sub] {
				s.add("hermes.self_tamper", c.text)
				return
			}
		}
	}
	if s.inHermesHome(dir) && sub != "" && !gitReadOnly[sub] {
		s.add("hermes.self_tamper", c.text)
		return
	}
	if sub == "checkout" || sub == "restore" || sub == "clone" {
		for _, o := range operands(c.args[i+1:], "") {
			if s.hermesProtected(o) {
				s.add("hermes.self_tamper", c.text)
				return
			}
		}
	}
}

// inHermesHome reports a path that is a hermes home or lies inside one.
func (s *scanner) inHermesHome(p string) bool {
	if p == "" {
		return false
	}
	c := s.canon(p)
	for _, h := range s.hermesHomes() {
		if c == h || strings.HasPrefix(c, h+"/") {
			return true
		}
	}
	return false
}

// hermesCLITamper: hermes subcommands that change its configuration,
// keys, memory, skills, profiles or MCP servers.
func (s *scanner) hermesCLITamper(c *call) {
	ops := operands(c.args, "p")
	if len(ops) < 2 {
		if len(ops) == 1 && ops[0] == "setup" {
			s.add("hermes.self_tamper", c.text)
		}
		return
	}
	changing := map[string][]string{
		"config":  {"set", "edit", "unset", "reset", "migrate"},
		"auth":    {"add", "remove", "rm", "reset", "priority", "strategy", "login", "logout"},
		"memory":  {"edit", "add", "remove", "clear", "forget"},
		"skills":  {"create", "remove", "install", "edit", "rm"},
		"profile": {"create", "use", "delete", "rm"},
		"mcp":     {"add", "remove", "rm"},
		"cron":    {"add", "create", "remove", "rm", "edit"},
	}
	if in(ops[1], changing[ops[0]]...) {
		s.add("hermes.self_tamper", c.text)
	}
}

// infraRule: terraform/tofu/pulumi destroy, kubectl delete of namespaces
// or everything, helm uninstall, cloud deletions.
func (s *scanner) infraRule(c *call) {
	if c.dynName != "" {
		return
	}
	ops := operands(c.args, "nlcf")
	switch c.name {
	case "terraform", "tofu", "terragrunt", "pulumi":
		for _, o := range ops {
			if o == "destroy" || o == "down" && c.name == "pulumi" {
				s.add("infra.destroy", c.text)
				return
			}
		}
		if len(ops) > 0 && in(ops[0], "apply", "run-all", "up") {
			for _, a := range c.args {
				if a.val == "-destroy" || a.val == "--destroy" || a.val == "-destroy=true" {
					s.add("infra.destroy", c.text)
				}
			}
		}
	case "kubectl", "oc":
		ops = specOperands(c.args, kubectlOpts)
		if len(ops) == 0 || ops[0] != "delete" {
			return
		}
		all := hasFlag(c.args, "A", "--all", "--all-namespaces")
		for _, o := range ops[1:] {
			r := strings.ToLower(o)
			if r == "ns" || r == "namespace" || r == "namespaces" || strings.HasPrefix(r, "ns/") || strings.HasPrefix(r, "namespace/") || r == "pv" || r == "persistentvolumes" || r == "crd" || r == "customresourcedefinitions" || r == "nodes" || r == "node" {
				all = true
			}
		}
		if all {
			s.add("infra.kubectl_delete", c.text)
		}
	case "helm":
		ops = specOperands(c.args, kubectlOpts)
		if len(ops) > 0 && in(ops[0], "uninstall", "delete", "del", "un") {
			s.add("infra.helm_uninstall", c.text)
		}
	case "aws":
		s.awsRule(c)
	case "gh":
		if len(ops) >= 2 && ops[0] == "repo" && ops[1] == "delete" {
			s.add("infra.cloud_delete", c.text)
		}
	case "heroku":
		if len(ops) > 0 && (ops[0] == "apps:destroy" || ops[0] == "pg:reset" || ops[0] == "addons:destroy") {
			s.add("infra.cloud_delete", c.text)
		}
	case "gcloud", "az", "doctl", "hcloud", "flyctl", "fly", "eksctl":
		for _, o := range ops {
			if o == "delete" || o == "destroy" || o == "purge" || o == "rb" || o == "remove" && c.name == "az" {
				s.add("infra.cloud_delete", c.text)
				return
			}
		}
	}
}

func (s *scanner) awsRule(c *call) {
	ops := specOperands(c.args, awsOpts)
	if len(ops) < 2 {
		return
	}
	svc, op := ops[0], ops[1]
	switch {
	case svc == "s3" && op == "rb":
		s.add("infra.cloud_delete", c.text)
	case svc == "s3" && op == "rm" && hasFlag(c.args, "", "--recursive"):
		s.add("infra.cloud_delete", c.text)
	case svc == "s3" && op == "sync" && hasFlag(c.args, "", "--delete"):
		s.add("infra.cloud_delete", c.text)
	case op == "terminate-instances" || strings.HasPrefix(op, "delete-") || strings.HasPrefix(op, "remove-") || strings.HasPrefix(op, "deregister-") || op == "delete":
		if op == "delete-object" || op == "delete-message" || op == "remove-tags" || op == "delete-tags" {
			return
		}
		s.add("infra.cloud_delete", c.text)
	}
}

// containerRunRule: docker run/create/exec with --privileged, the host's
// root or docker socket mounted, or the host's namespaces.
func (s *scanner) containerRunRule(c *call) {
	if c.dynName != "" {
		return
	}
	i := dockerOpts.firstOperand(c.args, nil)
	if i >= len(c.args) {
		return
	}
	sub := c.args[i].val
	rest := c.args[i+1:]
	if sub == "container" && len(rest) > 0 {
		sub, rest = rest[0].val, rest[1:]
	}
	if sub != "run" && sub != "create" && sub != "exec" {
		return
	}
	for j := 0; j < len(rest); j++ {
		v := rest[j].val
		if !strings.HasPrefix(v, "-") {
			break // the image: what follows is the container's command
		}
		name, val, hasVal := strings.Cut(v, "=")
		if !hasVal && j+1 < len(rest) && in(name, "-v", "--volume", "--mount", "--pid", "--network", "--net", "--ipc", "--uts", "--userns", "--cap-add", "--security-opt", "--device") {
			val = rest[j+1].val
			j++
		}
		switch {
		case name == "--privileged" && val != "false":
			s.add("container.privileged", c.text)
		case name == "-v" || name == "--volume":
			src, _, _ := strings.Cut(val, ":")
			if s.hostCritical(src) {
				s.add("container.privileged", c.text)
			}
		case name == "--mount":
			for _, kv := range strings.Split(val, ",") {
				k, v, _ := strings.Cut(kv, "=")
				if (k == "source" || k == "src") && s.hostCritical(v) {
					s.add("container.privileged", c.text)
				}
			}
		case in(name, "--pid", "--network", "--net", "--ipc", "--uts", "--userns") && val == "host":
			s.add("container.privileged", c.text)
		case name == "--cap-add" && (strings.EqualFold(val, "ALL") || strings.EqualFold(val, "SYS_ADMIN") || strings.EqualFold(val, "CAP_SYS_ADMIN")):
			s.add("container.privileged", c.text)
		case name == "--security-opt" && (strings.Contains(val, "unconfined") || strings.Contains(val, "label=disable")):
			s.add("container.privileged", c.text)
		case name == "--device" && isBlockDevice(strings.SplitN(val, ":", 2)[0]):
			s.add("container.privileged", c.text)
		}
	}
}

// hostCritical reports a host path whose mount gives a container the
// machine: /, a system directory, the home, the docker socket.
func (s *scanner) hostCritical(p string) bool {
	if p == "" || !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "~") && !strings.HasPrefix(p, "$") {
		return false
	}
	c := path.Clean(s.expandHome(p))
	return s.critical(p) != "" || strings.HasSuffix(c, "docker.sock") || strings.HasSuffix(c, "containerd.sock") || strings.HasSuffix(c, "podman.sock")
}

// specOperands returns the operands of args under spec: long options
// that take a value skip it, short letters in spec.short take the next
// argument when they end a cluster.
func specOperands(args []arg, spec optSpec) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		v := args[i].val
		switch {
		case v == "--":
			for _, a := range args[i+1:] {
				out = append(out, a.val)
			}
			return out
		case strings.HasPrefix(v, "--"):
			if !strings.Contains(v, "=") && spec.longTakesValue(v) {
				i++
			}
		case len(v) > 1 && v[0] == '-':
			if strings.IndexByte(spec.short, v[len(v)-1]) >= 0 && (len(v) == 2 || !strings.ContainsAny(v[1:len(v)-1], spec.short)) {
				i++
			}
		default:
			out = append(out, v)
		}
	}
	return out
}

var (
	kubectlOpts = optSpec{short: "nlfcsLo", long: []string{"--context", "--namespace", "--kubeconfig", "--cluster", "--user", "--selector", "--field-selector", "--output", "--server", "--token", "--filename", "--as", "--as-group", "--request-timeout", "--grace-period", "--timeout", "--cascade", "--kube-context", "--repo", "--version"}}
	awsOpts     = optSpec{long: []string{"--profile", "--region", "--output", "--endpoint-url", "--query", "--color", "--ca-bundle", "--cli-read-timeout", "--cli-connect-timeout", "--cli-input-json", "--cli-binary-format"}}
	npmOpts     = optSpec{short: "wC", long: []string{"--prefix", "--registry", "--cache", "--userconfig", "--workspace", "--loglevel", "--dir", "--cwd", "--filter", "--global-folder", "--modules-folder"}}
)

// findTamperRule: find over the hermes home (or a protected part of it)
// that deletes or runs a command on what it finds.
func (s *scanner) findTamperRule(c *call) {
	acts := false
	for _, a := range c.args {
		if in(a.val, "-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprintf", "-fls") {
			acts = true
		}
	}
	if !acts {
		return
	}
	for _, a := range c.args {
		if strings.HasPrefix(a.val, "-") || a.val == "(" || a.val == "!" {
			break
		}
		if s.hermesProtected(a.val) {
			s.add("hermes.self_tamper", c.text)
			return
		}
	}
}

// familyWriteKeys returns the family keys for writing to the canonical
// path c: the hermes home's protected files, autostart locations, the
// global git configuration.
func (s *scanner) familyWriteKeys(c string) []string {
	var keys []string
	if s.hermesProtected(c) {
		keys = append(keys, "hermes.self_tamper")
	}
	for _, d := range autostartDirs {
		if c == d || strings.HasPrefix(c, d+"/") {
			keys = append(keys, "persist.autostart")
			break
		}
	}
	if base := path.Base(c); base == ".gitconfig" || strings.HasSuffix(c, "/.config/git/config") || c == "/etc/gitconfig" {
		keys = append(keys, "persist.git_config")
	}
	return keys
}

// autostartDirs hold what starts by itself: units, autostart entries,
// launch agents and daemons, cron spools.
var autostartDirs = []string{
	"~/.config/systemd", "~/.config/autostart", "~/Library/LaunchAgents", "/Library/LaunchAgents",
	"/Library/LaunchDaemons", "/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system",
	"/etc/cron.d", "/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly", "/etc/crontab",
	"/var/spool/cron", "/etc/init.d", "/etc/rc.local", "/etc/xdg/autostart", "~/.local/share/systemd",
}
