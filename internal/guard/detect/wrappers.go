package detect

import (
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// Wrappers whose operands are not simply an argv: GNU parallel, ssh,
// git's -c settings and variables that hold a command (GIT_SSH_COMMAND).

var parallelSpec = optSpec{short: "aEdIjLnNPsS",
	long: []string{"--jobs", "--sshlogin", "--arg-file", "--delimiter", "--eof", "--max-args", "--max-replace-args",
		"--max-procs", "--max-chars", "--colsep", "--joblog", "--results", "--tmpdir", "--timeout", "--delay", "--retries",
		"--halt", "--memfree", "--load", "--basefile", "--transferfile", "--return", "--workdir", "--env", "--tag-string",
		"--tagstring", "--header", "--limit", "--block", "--recstart", "--recend", "--sshloginfile", "--nice", "--profile",
		"--termseq", "--id", "--semaphorename", "--fg"},
	flags: []string{"--pipe", "--keep-order", "--verbose", "--quote", "--null", "--eta", "--bar", "--progress", "--dry-run",
		"--ungroup", "--line-buffer", "--tag", "--xargs", "--semaphore", "--will-cite", "--bibtex", "--no-notice"}}

// maxParallelJobs bounds the jobs of one parallel command that are judged
// one by one.
const maxParallelJobs = 32

// parallel judges `parallel CMD ::: ARGS`: every job's command line is
// shell text; without ::: the arguments come from the standard input, as
// with xargs.
func (s *scanner) parallel(c *call, opts []opt, i int) (int, bool) {
	args := c.args[min(i, len(c.args)):]
	sep := len(args)
	for j, a := range args {
		if strings.HasPrefix(a.val, ":::") {
			sep = j
			break
		}
	}
	template := args[:sep]
	if sep == len(args) {
		c.xargs = true
		return i, true // judged as the command it runs
	}
	// Input sources: ::: words, :::: files (unknown), ::: + linked.
	var sources [][]string
	unknown := false
	for j := sep; j < len(args); {
		marker := args[j].val
		j++
		var items []string
		for j < len(args) && !strings.HasPrefix(args[j].val, ":::") {
			if args[j].dyn {
				unknown = true
			}
			items = append(items, args[j].val)
			j++
		}
		if strings.HasPrefix(marker, "::::") {
			unknown = true
			continue
		}
		sources = append(sources, items)
	}
	tmpl := joinVals(template)
	jobs := [][]string{{}}
	for _, src := range sources {
		var next [][]string
		for _, j := range jobs {
			for _, it := range src {
				if len(next) >= maxParallelJobs {
					break
				}
				next = append(next, append(append([]string(nil), j...), it))
			}
		}
		jobs = next
	}
	for _, job := range jobs {
		if tmpl == "" {
			c.scripts = append(c.scripts, strings.Join(job, " "))
			continue
		}
		line := tmpl
		quoted := make([]string, len(job))
		for k, v := range job {
			quoted[k] = quoteWord(v)
			line = strings.ReplaceAll(line, "{"+itoa(k+1)+"}", quoted[k])
		}
		all := strings.Join(quoted, " ")
		for _, r := range []string{"{}", "{.}", "{/}", "{//}", "{/.}"} {
			line = strings.ReplaceAll(line, r, all)
		}
		if line == tmpl {
			line += " " + all
		}
		c.scripts = append(c.scripts, line)
	}
	if unknown && len(template) > 0 {
		c.xargs = true
		return i, true
	}
	return 0, false
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

// shellQuote quotes v as one shell word.
func quoteWord(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@%~") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// sshLocalOptions are ssh settings whose value runs as a local command.
var sshLocalOptions = map[string]bool{"proxycommand": true, "localcommand": true, "knownhostscommand": true, "remotecommand": true}

// sshScripts judges what ssh runs: the remote command as if it ran here
// (a wiped server is as bad as a wiped laptop), and ProxyCommand,
// LocalCommand and KnownHostsCommand, which run locally.
func (s *scanner) sshScripts(c *call, opts []opt, i int) {
	for _, o := range opts {
		if o.name != "-o" || !o.hasVal {
			continue
		}
		k, v, ok := strings.Cut(o.val, "=")
		if !ok {
			k, v, ok = strings.Cut(o.val, " ")
		}
		if ok && sshLocalOptions[strings.ToLower(strings.TrimSpace(k))] && strings.TrimSpace(v) != "none" {
			c.scripts = append(c.scripts, v)
		}
	}
	if i+1 < len(c.args) {
		// ssh reads options after the host too: ssh host -v -- CMD.
		more, j := wrapperOpts["ssh"].parse(c.args[i+1:])
		s.sshScripts(c, more, len(c.args))
		if rest := c.args[i+1+j:]; len(rest) > 0 {
			c.scripts = append(c.scripts, joinVals(rest))
		}
	}
}

// commandVars are environment variables whose value a program runs as a
// shell command.
var commandVars = map[string]bool{
	"GIT_SSH_COMMAND": true, "GIT_PAGER": true, "GIT_EDITOR": true, "GIT_SEQUENCE_EDITOR": true,
	"GIT_EXTERNAL_DIFF": true, "PAGER": true, "EDITOR": true, "VISUAL": true, "MANPAGER": true,
	"GIT_PROXY_COMMAND": true, "RSYNC_RSH": true, "PROMPT_COMMAND": true,
}

// commandVar judges the value of a variable that holds a command.
func (s *scanner) commandVar(c *call, name, val string) {
	if commandVars[name] && strings.TrimSpace(val) != "" {
		c.scripts = append(c.scripts, val)
	}
}

// gitCommandKeys are git settings whose value runs as a shell command.
var gitCommandKeys = map[string]bool{
	"core.pager": true, "core.sshcommand": true, "core.editor": true, "core.askpass": true, "core.fsmonitor": true,
	"sequence.editor": true, "diff.external": true, "gpg.program": true, "gpg.ssh.program": true, "gpg.x509.program": true,
	"interactive.difffilter": true, "core.gitproxy": true, "uploadpack.packobjectshook": true,
}

// gitConfigScripts judges `git -c KEY=CMD` and `git --config-env
// KEY=VAR`: pagers, ssh commands, editors, `!` aliases and credential
// helpers run as shell text. It returns the subcommand an alias stands
// for, if any.
func (s *scanner) gitConfigScripts(c *call, opts []opt, sub string) []string {
	var expand []string
	for _, o := range opts {
		if !o.hasVal || (o.name != "-c" && o.name != "--config-env") {
			continue
		}
		k, v, _ := strings.Cut(o.val, "=")
		k = strings.ToLower(k)
		if o.name == "--config-env" {
			if !gitConfigRuns(k, "!") {
				continue
			}
			val, ok := s.stringVar(c, v)
			if !ok {
				// The command is whatever VAR holds when git runs.
				s.add("opaque.eval", c.text)
				continue
			}
			v = val
		}
		switch {
		case gitConfigRuns(k, v) && strings.HasPrefix(k, "alias."):
			s.nestedScript(c.lv, v[1:])
		case strings.HasPrefix(k, "alias."):
			if k[len("alias."):] == strings.ToLower(sub) {
				expand = strings.Fields(v)
			}
		case strings.HasPrefix(k, "credential."):
			if gitConfigRuns(k, v) {
				s.nestedScript(c.lv, v[1:])
			}
		case gitConfigRuns(k, v):
			if v != "" && v != "true" && v != "false" {
				s.nestedScript(c.lv, v)
			}
		}
	}
	return expand
}

// gitConfigRuns reports whether git runs the value v of setting k as
// shell text (for aliases and credential helpers only a `!` value does).
func gitConfigRuns(k, v string) bool {
	switch {
	case strings.HasPrefix(k, "alias."), strings.HasPrefix(k, "credential.") && strings.HasSuffix(k, "helper"):
		return strings.HasPrefix(v, "!")
	}
	return gitCommandKeys[k] || strings.HasPrefix(k, "pager.") || strings.HasPrefix(k, "diff.") && strings.HasSuffix(k, ".command") ||
		strings.HasPrefix(k, "filter.") && (strings.HasSuffix(k, ".clean") || strings.HasSuffix(k, ".smudge") || strings.HasSuffix(k, ".process"))
}

// stringVar returns the value of the variable name when the command
// string assigns it a known value: as a prefix of this command (VAR=x git
// ...) or earlier in the same script.
func (s *scanner) stringVar(c *call, name string) (string, bool) {
	if c.st != nil {
		if ce, ok := c.st.Cmd.(*syntax.CallExpr); ok {
			for _, a := range ce.Assigns {
				if a.Name == nil || a.Name.Value != name {
					continue
				}
				if a.Value == nil || a.Append || a.Array != nil {
					return "", a.Value == nil && a.Array == nil && !a.Append
				}
				w := s.word(c.lv, a.Value)
				return w.val, !w.dyn
			}
		}
	}
	if c.lv == nil || c.lv.sc.poison[name] {
		return "", false
	}
	if v, ok := c.lv.sc.vars[name]; ok && v.Kind == expand.String {
		return v.Str, true
	}
	return "", false
}
