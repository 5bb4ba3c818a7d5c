package detect

import (
	"strings"
)

// operands returns the non-option arguments (GNU style: options may come
// after operands; everything after "--" is an operand). short lists the
// letters that take a separate value.
func operands(args []arg, short string) []string {
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
		case len(v) > 1 && v[0] == '-':
			for j := 1; j < len(v); j++ {
				if strings.IndexByte(short, v[j]) >= 0 {
					if j == len(v)-1 {
						i++
					}
					break
				}
			}
		default:
			out = append(out, v)
		}
	}
	return out
}

// hasShort reports whether a short option letter appears in any cluster
// before "--" (e.g. 'r' in -rf), or the long option is present.
func hasFlag(args []arg, short string, long ...string) bool {
	for _, a := range args {
		v := a.val
		if v == "--" {
			return false
		}
		if strings.HasPrefix(v, "--") {
			name, _, _ := strings.Cut(v, "=")
			for _, l := range long {
				// GNU getopt accepts any unambiguous prefix: --recu.
				if name == l || len(name) >= 3 && strings.HasPrefix(l, name) {
					return true
				}
			}
			continue
		}
		if len(v) > 1 && v[0] == '-' && short != "" && strings.ContainsAny(v[1:], short) {
			return true
		}
	}
	return false
}

var (
	sudoSpec = optSpec{short: "ugpCDhRrtTUac",
		long:  []string{"--user", "--group", "--prompt", "--close-from", "--chdir", "--host", "--role", "--type", "--command-timeout", "--other-user", "--auth-type", "--login-class", "--chroot"},
		flags: []string{"--askpass", "--background", "--bell", "--preserve-env", "--edit", "--help", "--set-home", "--login", "--remove-timestamp", "--reset-timestamp", "--list", "--non-interactive", "--preserve-groups", "--stdin", "--shell", "--version", "--validate"}}
	envSpec = optSpec{short: "uCSaP",
		long:  []string{"--unset", "--chdir", "--split-string", "--argv0"},
		flags: []string{"--ignore-environment", "--null", "--debug", "--help", "--version", "--list-signal-handling", "--block-signal", "--default-signal", "--ignore-signal"}}
	suSpec = optSpec{short: "cgGsw",
		long:  []string{"--command", "--session-command", "--group", "--supp-group", "--shell", "--whitelist-environment"},
		flags: []string{"--login", "--preserve-environment", "--pty", "--fast", "--help", "--version"}}
	runuserSpec = optSpec{short: "ucgGsw",
		long:  []string{"--user", "--command", "--session-command", "--group", "--supp-group", "--shell", "--whitelist-environment"},
		flags: []string{"--login", "--preserve-environment", "--pty", "--fast", "--help", "--version"}}
)

// wrapperOpts lists the commands that run their operands as a command,
// with their options.
var wrapperOpts = map[string]optSpec{
	"sudo":             sudoSpec,
	"doas":             {short: "uCa"},
	"pkexec":           {long: []string{"--user"}, flags: []string{"--disable-internal-agent", "--keep-cwd", "--help", "--version"}},
	"runuser":          runuserSpec,
	"su":               suSpec,
	"env":              envSpec,
	"nohup":            {},
	"setsid":           {flags: []string{"--ctty", "--fork", "--wait"}},
	"unbuffer":         {},
	"builtin":          {},
	"exec":             {short: "a"},
	"command":          {},
	"time":             {short: "fo", long: []string{"--format", "--output"}},
	"stdbuf":           {short: "ioe", long: []string{"--input", "--output", "--error"}},
	"nice":             {short: "n", long: []string{"--adjustment"}},
	"ionice":           {short: "cnpPu", long: []string{"--class", "--classdata", "--pid", "--pgid", "--uid"}},
	"timeout":          {short: "sk", long: []string{"--signal", "--kill-after"}, flags: []string{"--foreground", "--preserve-status", "--verbose"}},
	"watch":            {short: "nd", long: []string{"--interval"}},
	"chroot":           {long: []string{"--userspec", "--groups"}, flags: []string{"--skip-chdir"}},
	"xargs":            {short: "ILnPsdEa", long: []string{"--max-args", "--max-procs", "--max-chars", "--delimiter", "--arg-file", "--eof", "--process-slot-var", "--max-lines"}, flags: []string{"--replace", "--null", "--no-run-if-empty", "--verbose", "--interactive", "--open-tty", "--exit", "--show-limits"}},
	"busybox":          {},
	"toybox":           {},
	"flock":            {short: "wEc", long: []string{"--timeout", "--conflict-exit-code", "--command"}},
	"taskset":          {flags: []string{"--all-tasks", "--pid", "--cpu-list"}},
	"strace":           {short: "abeEIoOpPsSuXU", long: []string{"--output", "--attach", "--user", "--env", "--trace", "--signal", "--string-limit", "--columns", "--trace-path", "--summary-sort-by", "--absolute-timestamps", "--decode-fds", "--status", "--quiet", "--kvm", "--syscall-limit"}},
	"ltrace":           {short: "aAeFlnopsuwxD", long: []string{"--output", "--library", "--indent", "--align"}},
	"unshare":          {short: "SGRw", long: []string{"--setuid", "--setgid", "--root", "--wd", "--propagation", "--setgroups", "--map-user", "--map-group", "--map-users", "--map-groups", "--load-interp", "--monotonic", "--boottime"}},
	"nsenter":          {short: "tSG", long: []string{"--target", "--setuid", "--setgid"}},
	"systemd-run":      {short: "pHMEu", long: []string{"--unit", "--property", "--description", "--slice", "--uid", "--gid", "--nice", "--working-directory", "--setenv", "--host", "--machine", "--on-active", "--on-boot", "--on-startup", "--on-unit-active", "--on-unit-inactive", "--on-calendar", "--timer-property", "--path-property", "--socket-property", "--service-type", "--json", "--expand-environment"}},
	"fakeroot":         {short: "lfsib", long: []string{"--lib", "--faked", "--fd-base"}},
	"firejail":         {},
	"chrt":             {short: "TPD", long: []string{"--sched-runtime", "--sched-period", "--sched-deadline"}},
	"catchsegv":        {},
	"torsocks":         {short: "uPpa", long: []string{"--user", "--pass", "--port", "--address"}},
	"proxychains":      {short: "f"},
	"proxychains4":     {short: "f"},
	"dbus-run-session": {long: []string{"--config-file", "--dbus-daemon"}},
	"xvfb-run":         {short: "nsefpw", long: []string{"--server-num", "--server-args", "--error-file", "--auth-file", "--xauth-protocol", "--wait"}},
	"systemd-inhibit":  {long: []string{"--what", "--who", "--why", "--mode"}},
	"caffeinate":       {short: "wt"},
	"prlimit":          {short: "p", long: []string{"--pid", "--output"}},
	"setpriv":          {},
	"cgexec":           {short: "g"},
	"numactl":          {short: "iNCmpPw", long: []string{"--interleave", "--cpunodebind", "--physcpubind", "--membind", "--preferred", "--preferred-many", "--weighted-interleave"}},
	"faketime":         {},
	"sg":               {},
	"script":           {short: "cEIOBmTo", long: []string{"--command", "--log-in", "--log-out", "--log-io", "--log-timing", "--logging-format", "--echo", "--output-limit"}},
	"parallel":         parallelSpec,
	"sem":              parallelSpec,
	"ssh":              {short: "BbcDEeFIiJLlmOoPpQRSWw"},
}

const maxUnwrap = 16

// unwrap looks through wrappers (sudo, env, xargs, timeout, ...) to the
// command that actually runs. Keys found on the wrappers themselves go
// into c.notes, shell text they run into c.scripts.
func (s *scanner) unwrap(c *call) *call {
	for range maxUnwrap {
		spec, ok := wrapperOpts[c.name]
		if !ok || c.dynName != "" {
			return c
		}
		i, ok := s.unwrapOnce(c, spec)
		if !ok || i >= len(c.args) {
			return c
		}
		c.setCommand(c.args[i], c.args[i+1:])
	}
	return c
}

// unwrapOnce returns the index in c.args of the wrapped command word, or
// false when c runs no command of its own (shell text it runs goes to
// c.scripts).
func (s *scanner) unwrapOnce(c *call, spec optSpec) (int, bool) {
	opts, i := spec.parse(c.args)
	if dir, ok := value(opts, "-C", "--chdir", "-D", "--working-directory", "--wd", "-w"); ok && c.name != "flock" && c.name != "watch" && c.name != "ltrace" && c.name != "strace" {
		c.cwd = s.wrapperDir(dir)
	}
	switch c.name {
	case "sudo", "doas", "pkexec", "su", "runuser", "env":
		return s.unwrapPrivileged(c, opts, i)
	case "command":
		if has(opts, "-v", "-V") {
			return 0, false
		}
	case "timeout", "chroot", "faketime", "cgexec":
		if c.name == "chroot" && !has(opts, "--skip-chdir") {
			c.cwd = "/" // chroot starts its command at the new root
		}
		i++ // the duration, the new root, the time; chroot without a command starts a shell
	case "taskset":
		if has(opts, "-p", "--pid") {
			return 0, false
		}
		i++ // the mask or CPU list
	case "chrt":
		if has(opts, "-p", "--pid", "-m", "--max") {
			return 0, false
		}
		i++ // the priority
	case "strace", "ltrace", "prlimit", "caffeinate":
		if i >= len(c.args) {
			return 0, false // attached to a running process
		}
	case "watch", "sg":
		if c.name == "sg" {
			i++ // the group
			if i < len(c.args) && c.args[i].val == "-c" {
				i++
			}
		}
		if c.name == "sg" || !has(opts, "-x", "--exec") {
			c.scripts = append(c.scripts, joinVals(c.args[min(i, len(c.args)):]))
			return 0, false
		}
	case "script":
		if v, ok := value(opts, "-c", "--command"); ok {
			c.scripts = append(c.scripts, v)
		}
		return 0, false
	case "xargs":
		c.xargs = true
		if v, ok := value(opts, "-I", "--replace"); ok {
			c.xargsRepl = v
		} else if has(opts, "-i", "--replace") {
			c.xargsRepl = "{}"
		}
	case "flock":
		if v, ok := value(opts, "-c", "--command"); ok {
			c.scripts = append(c.scripts, v)
			return 0, false
		}
		i++ // the lock file; `flock FILE -c CMD` also runs shell text
		if i+1 < len(c.args) && (c.args[i].val == "-c" || c.args[i].val == "--command") {
			c.scripts = append(c.scripts, c.args[i+1].val)
			return 0, false
		}
	case "ionice":
		if has(opts, "-p", "-P", "-u", "--pid", "--pgid", "--uid") {
			return 0, false
		}
	case "parallel", "sem":
		return s.parallel(c, opts, i)
	case "ssh":
		s.sshScripts(c, opts, i)
		return 0, false
	}
	return i, true
}

func skipAssignments(args []arg, i int) int {
	for i < len(args) && isAssignment(args[i].val) {
		i++
	}
	return i
}

// sudoFlags records the risky sudo and doas options.
func (s *scanner) sudoFlags(c *call, opts []opt) {
	for _, o := range opts {
		switch o.name {
		case "-S", "--stdin":
			c.notes = append(c.notes, "priv.sudo_stdin")
		case "-s", "-i", "--shell", "--login":
			c.notes = append(c.notes, "priv.sudo_shell")
		case "-A", "--askpass":
			if c.name == "sudo" {
				c.notes = append(c.notes, "priv.sudo_askpass")
			}
		}
	}
}

// suScripts handles su and runuser in su mode: options may come after
// the user (GNU getopt permutes), -c / --command / --session-command run
// shell text, `-` and -l open a login shell. It reports false: su runs no
// argv of its own.
func (s *scanner) suScripts(c *call) bool {
	spec := suSpec
	if c.name == "runuser" {
		spec = runuserSpec
	}
	rest := c.args
	for len(rest) > 0 {
		opts, i := spec.parse(rest)
		for _, o := range opts {
			switch o.name {
			case "-c", "--command", "--session-command":
				if o.hasVal {
					c.scripts = append(c.scripts, o.val)
				}
			case "-l", "--login":
				c.notes = append(c.notes, "priv.su_login")
			}
		}
		if i > 0 && rest[i-1].val == "--" {
			break
		}
		if i < len(rest) && rest[i].val == "-" {
			c.notes = append(c.notes, "priv.su_login")
		}
		if i >= len(rest) {
			break
		}
		rest = rest[i+1:]
	}
	return false
}

func isAssignment(v string) bool {
	name, _, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isNameByte(name[i]) {
			return false
		}
	}
	return name[0] < '0' || name[0] > '9'
}

func joinVals(args []arg) string {
	vals := make([]string, len(args))
	for i, a := range args {
		vals[i] = a.val
	}
	return strings.Join(vals, " ")
}

// wrapperDir resolves the directory a wrapper changes to; "" (unknown) for
// a relative one when the working directory is not known.
func (s *scanner) wrapperDir(dir string) string {
	if dir == "" || dir[0] != '/' && dir[0] != '~' && s.opts.Cwd == "" {
		return ""
	}
	return s.canon(dir)
}

// unwrapPrivileged is unwrapOnce for sudo, doas, pkexec, su, runuser and
// env: the wrappers that change who runs the command, or its environment.
func (s *scanner) unwrapPrivileged(c *call, opts []opt, i int) (int, bool) {
	switch c.name {
	case "sudo", "doas", "pkexec":
		c.sudo = true
		s.sudoFlags(c, opts)
		if c.name == "sudo" && has(opts, "-e", "--edit") {
			return 0, false // sudoedit: the operands are files
		}
		i = skipAssignments(c.args, i)
	case "su", "runuser":
		c.sudo = true
		if c.name == "runuser" && has(opts, "-u", "--user") {
			return i, true
		}
		return 0, s.suScripts(c)
	case "env":
		if v, ok := value(opts, "-S", "--split-string"); ok {
			c.scripts = append(c.scripts, v+" "+joinVals(c.args[i:]))
			return 0, false
		}
		for j := i; j < len(c.args) && isAssignment(c.args[j].val); j++ {
			name, val, _ := strings.Cut(c.args[j].val, "=")
			if name == "DOCKER_HOST" && remoteDockerHost(val) {
				c.notes = append(c.notes, "container.remote_host")
			}
			s.commandVar(c, name, val)
		}
		i = skipAssignments(c.args, i)
	}
	return i, true
}
