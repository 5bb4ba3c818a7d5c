package detect

import (
	"strings"
)

// optSpec describes a command's options: which short letters and long
// names take a separate value.
type optSpec struct {
	short string
	long  []string
}

func (o optSpec) longTakesValue(name string) bool {
	for _, l := range o.long {
		if l == name {
			return true
		}
	}
	return false
}

// firstOperand returns the index of the first operand in args (after
// options and a "--"), or len(args). flags receives every option seen.
func (o optSpec) firstOperand(args []arg, flags func(opt string)) int {
	for i := 0; i < len(args); i++ {
		v := args[i].val
		switch {
		case v == "--":
			return i + 1
		case strings.HasPrefix(v, "--"):
			if flags != nil {
				flags(v)
			}
			if !strings.Contains(v, "=") && o.longTakesValue(v) {
				i++
			}
		case len(v) > 1 && v[0] == '-':
			if flags != nil {
				flags(v)
			}
			for j := 1; j < len(v); j++ {
				if strings.IndexByte(o.short, v[j]) >= 0 {
					if j == len(v)-1 {
						i++
					}
					break
				}
			}
		default:
			return i
		}
	}
	return len(args)
}

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

var wrapperOpts = map[string]optSpec{
	"sudo":     {short: "ugpCDhRrtTU", long: []string{"--user", "--group", "--prompt", "--close-from", "--chdir", "--host", "--role", "--type", "--command-timeout", "--other-user"}},
	"doas":     {short: "uC"},
	"runuser":  {short: "ugGw", long: []string{"--user", "--group", "--supp-group", "--whitelist-environment"}},
	"env":      {short: "uCS", long: []string{"--unset", "--chdir", "--split-string"}},
	"nohup":    {},
	"setsid":   {},
	"unbuffer": {},
	"builtin":  {},
	"exec":     {short: "a"},
	"command":  {},
	"time":     {short: "fo", long: []string{"--format", "--output"}},
	"stdbuf":   {short: "ioe", long: []string{"--input", "--output", "--error"}},
	"nice":     {short: "n", long: []string{"--adjustment"}},
	"ionice":   {short: "cnpPu", long: []string{"--class", "--classdata", "--pid", "--pgid", "--uid"}},
	"timeout":  {short: "sk", long: []string{"--signal", "--kill-after"}},
	"watch":    {short: "nd", long: []string{"--interval"}},
	"chroot":   {long: []string{"--userspec", "--groups"}},
	"xargs":    {short: "ILnPsdEa", long: []string{"--max-args", "--max-procs", "--max-chars", "--delimiter", "--arg-file", "--eof", "--process-slot-var"}},
	"busybox":  {},
	"flock":    {short: "wEc", long: []string{"--timeout", "--conflict-exit-code", "--command"}},
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
// false when c runs no command of its own.
func (s *scanner) unwrapOnce(c *call, spec optSpec) (int, bool) {
	var opts []string
	i := spec.firstOperand(c.args, func(o string) { opts = append(opts, o) })
	switch c.name {
	case "sudo", "doas", "runuser":
		c.sudo = true
		if c.name == "sudo" {
			for _, o := range opts {
				s.sudoFlags(c, o)
			}
		} else if c.name == "doas" && hasFlag(c.args[:i], "s") {
			c.notes = append(c.notes, "priv.sudo_shell")
		}
		for i < len(c.args) && isAssignment(c.args[i].val) {
			i++
		}
	case "env":
		for _, o := range opts {
			if o == "-S" || strings.HasPrefix(o, "--split-string") {
				if v, ok := optValue(c.args, o); ok {
					c.scripts = append(c.scripts, v+" "+joinVals(c.args[i:]))
					return 0, false
				}
			}
		}
		for i < len(c.args) && isAssignment(c.args[i].val) {
			name, val, _ := strings.Cut(c.args[i].val, "=")
			if name == "DOCKER_HOST" && remoteDockerHost(val) {
				c.notes = append(c.notes, "container.remote_host")
			}
			i++
		}
	case "command":
		if hasFlag(c.args[:i], "vV") {
			return 0, false
		}
	case "timeout":
		i++ // the duration
	case "chroot":
		i++ // the new root; without a command it starts a shell
	case "watch":
		if !hasFlag(c.args[:i], "x", "--exec") {
			c.scripts = append(c.scripts, joinVals(c.args[i:]))
			return 0, false
		}
	case "xargs":
		c.xargs = true
	case "flock":
		for _, o := range opts {
			if o == "-c" || o == "--command" {
				if v, ok := optValue(c.args, o); ok {
					c.scripts = append(c.scripts, v)
				}
				return 0, false
			}
		}
		i++ // the lock file
	case "ionice":
		if hasFlag(c.args[:i], "pP", "--pid", "--pgid") {
			return 0, false
		}
	}
	return i, true
}

// sudoFlags records the risky sudo options in one option word.
func (s *scanner) sudoFlags(c *call, o string) {
	switch o {
	case "--stdin":
		c.notes = append(c.notes, "priv.sudo_stdin")
		return
	case "--shell", "--login":
		c.notes = append(c.notes, "priv.sudo_shell")
		return
	case "--askpass":
		c.notes = append(c.notes, "priv.sudo_askpass")
		return
	}
	if strings.HasPrefix(o, "--") {
		return
	}
	spec := wrapperOpts["sudo"]
	for j := 1; j < len(o); j++ {
		switch o[j] {
		case 'S':
			c.notes = append(c.notes, "priv.sudo_stdin")
		case 's', 'i':
			c.notes = append(c.notes, "priv.sudo_shell")
		case 'A':
			c.notes = append(c.notes, "priv.sudo_askpass")
		}
		if strings.IndexByte(spec.short, o[j]) >= 0 {
			return
		}
	}
}

// optValue returns the value of option o: attached (-Sx, --o=x) or the
// next argument.
func optValue(args []arg, o string) (string, bool) {
	if strings.HasPrefix(o, "--") {
		if _, v, ok := strings.Cut(o, "="); ok {
			return v, true
		}
	} else if len(o) > 2 {
		return o[2:], true
	}
	for i, a := range args {
		if a.val == o && i+1 < len(args) {
			return args[i+1].val, true
		}
	}
	return "", false
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
