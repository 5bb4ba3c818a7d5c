package detect

import (
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

var shellNames = map[string]bool{"sh": true, "bash": true, "zsh": true, "dash": true, "ksh": true, "mksh": true, "ash": true, "fish": true, "busybox": true}

var interpreters = regexp.MustCompile(`^(python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node|nodejs|php[0-9.]*|lua[0-9.]*|deno|bun|tclsh|osascript)$`)

var fetchers = map[string]bool{"curl": true, "wget": true, "fetch": true, "aria2c": true, "http": true, "https": true, "xh": true, "lwp-request": true, "get": true}

// isFetcher reports a command that downloads.
func isFetcher(c *call) bool {
	if c.name == "get" {
		return c.path == "GET"
	}
	return fetchers[c.name]
}

// isDecoder reports base64 -d, base32 -d, xxd -r, openssl base64 -d /
// openssl enc -d and uudecode.
func isDecoder(c *call) bool {
	switch c.name {
	case "base64", "base32", "basenc":
		return hasFlag(c.args, "dD", "--decode")
	case "xxd":
		return hasFlag(c.args, "r", "--revert")
	case "openssl":
		return len(c.args) > 0 && (c.args[0].val == "base64" || c.args[0].val == "enc") && hasFlag(c.args[1:], "d")
	case "uudecode":
		return true
	}
	return false
}

// readsStdinScript reports a shell or interpreter that runs the script on
// its standard input (no script operand, or "-", or sh -s).
func readsStdinScript(c *call) bool {
	if !shellNames[c.name] && !interpreters.MatchString(c.name) {
		return false
	}
	args := c.args
	if c.name == "busybox" {
		if len(args) == 0 || !shellNames[args[0].val] {
			return false
		}
		args = args[1:]
	}
	for i := 0; i < len(args); i++ {
		v := args[i].val
		switch {
		case v == "-" || v == "-s":
			return true
		case v == "--":
			return i+1 >= len(args) || args[i+1].val == "-"
		case v == "-o" || v == "+o" || v == "-O" || v == "+O" || v == "-W" || v == "-X" || v == "-I" || v == "-r" || v == "--rcfile" || v == "--init-file":
			i++
		case strings.HasPrefix(v, "--"):
			if v == "--eval" || v == "--print" || v == "--command" {
				return false
			}
		case len(v) > 1 && (v[0] == '-' || v[0] == '+'):
			if strings.ContainsAny(v[1:], "cemp") && !shellNames[c.name] || strings.Contains(v[1:], "c") {
				return false
			}
			if shellNames[c.name] && strings.Contains(v, "s") {
				return true
			}
		default:
			return stdinPath(v)
		}
	}
	return true
}

// substKinds reports whether the substitutions in args download or
// decode.
func (s *scanner) substKinds(lv *level, args []arg, procOnly bool) (fetch, decode bool) {
	for _, a := range args {
		for _, sub := range a.subs {
			if procOnly && !sub.proc {
				continue
			}
			f, d := s.stmtsKinds(lv, sub.stmts)
			fetch, decode = fetch || f, decode || d
		}
	}
	return fetch, decode
}

// stmtsKinds reports whether any simple command in stmts downloads or
// decodes.
func (s *scanner) stmtsKinds(lv *level, stmts []*syntax.Stmt) (fetch, decode bool) {
	for _, st := range stmts {
		k := s.stmtKinds(lv, st)
		fetch, decode = fetch || k.fetch, decode || k.decode
	}
	return fetch, decode
}

type kinds struct{ fetch, decode bool }

// stmtKinds is stmtsKinds for one statement, memoised per statement so
// nested substitutions are looked at once: linear, not quadratic.
func (s *scanner) stmtKinds(lv *level, root *syntax.Stmt) kinds {
	if k, ok := s.kinds[root]; ok {
		return k
	}
	var k kinds
	syntax.Walk(root, func(n syntax.Node) bool {
		st, ok := n.(*syntax.Stmt)
		if !ok {
			return true
		}
		if st != root {
			sub := s.stmtKinds(lv, st)
			k.fetch, k.decode = k.fetch || sub.fetch, k.decode || sub.decode
			return false
		}
		if ce, ok := st.Cmd.(*syntax.CallExpr); ok && len(ce.Args) > 0 {
			c := s.light(lv, st, ce)
			k.fetch = k.fetch || isFetcher(c)
			k.decode = k.decode || isDecoder(c)
		}
		return true
	})
	s.kinds[root] = k
	return k
}

// shellRule: sh -c / bash -c / su -c text is scanned as a nested script;
// a shell running a download or decoded data through a substitution is
// remote code or decode-and-execute; su - is a login shell.
func (s *scanner) shellRule(c *call) {
	args := c.args
	if c.name == "busybox" && len(args) > 0 {
		args = args[1:]
	}
	for i := 0; i < len(args); i++ {
		v := args[i].val
		isOpt := len(v) > 1 && (v[0] == '-' || v[0] == '+') && v != "--"
		if v == "--command" || v == "-c" || (isOpt && v[1] != '-' && strings.Contains(v, "c")) {
			if i+1 < len(args) {
				if args[i+1].dyn || c.xargs && strings.Contains(args[i+1].val, "{}") {
					s.add("opaque.eval", c.text)
				}
				if i+3 <= len(args) {
					s.params, _ = literalArgs(args[i+3:])
				}
				s.execText(c, args[i+1:i+2], false)
				s.params = nil
			}
			return
		}
		if strings.HasPrefix(v, "--command=") {
			s.nestedScript(c.lv, strings.TrimPrefix(v, "--command="))
			return
		}
		if isOpt || v == "--" {
			if v == "-o" || v == "+o" || v == "-O" || v == "+O" || v == "--rcfile" || v == "--init-file" {
				i++
			}
			continue
		}
		// A script operand: a download or decoded data through <( ).
		s.execSubst(c, args[i:i+1], true)
		s.procScripts(c, args[i:i+1])
		return
	}
}

// evalRule: eval's arguments are a nested script; source/. of a
// substitution that downloads or decodes is remote code.
func (s *scanner) evalRule(c *call) {
	if c.name == "eval" {
		if _, ok := literalArgs(c.args); !ok {
			s.add("opaque.eval", c.text)
		}
		s.execText(c, c.args, false)
		return
	}
	if ops := operands(c.args, ""); len(ops) > 0 {
		s.execSubst(c, c.args, true)
		s.procScripts(c, c.args)
		if stdinPath(ops[0]) {
			for _, body := range c.stdin {
				s.nestedScript(c.lv, body)
			}
		}
	}
}

// execText scans the words a shell runs as text, and flags downloads or
// decoded data inside them.
func (s *scanner) execText(c *call, words []arg, procOnly bool) {
	s.execSubst(c, words, procOnly)
	if len(words) > 0 {
		s.nestedScript(c.lv, joinVals(words))
	}
}

func (s *scanner) execSubst(c *call, words []arg, procOnly bool) {
	fetch, decode := s.substKinds(c.lv, words, procOnly)
	proc := false
	for _, w := range words {
		for _, sub := range w.subs {
			proc = proc || sub.proc
		}
	}
	if fetch {
		if proc {
			s.add("remote.proc_subst", c.text)
		} else {
			s.add("remote.cmd_subst", c.text)
		}
	}
	if decode {
		s.add("decode.subst", c.text)
	}
}

// stdinRule: a shell fed a literal here-document or here-string runs it;
// a SQL client fed one runs that SQL.
func (s *scanner) stdinRule(c *call) {
	if c.stdinFile != "" && c.stdinFile != "/dev/null" && (readsStdinScript(c) || makeStdin(c)) {
		s.add("opaque.shell_input", c.text)
	}
	if c.xargs && len(c.stdin) == 1 {
		s.xargsData(c, c.stdin[0])
	}
	if len(c.stdinPS) > 0 && readsStdinScript(c) {
		for _, ps := range c.stdinPS {
			s.procScript(c, ps.Stmts)
		}
	}
	if len(c.stdin) == 0 {
		return
	}
	switch {
	case readsStdinScript(c) && shellNames[c.name]:
		for _, body := range c.stdin {
			s.nestedScript(c.lv, body)
		}
	case isDecoder(c):
	default:
		if sqlClientSet[c.name] {
			for _, body := range c.stdin {
				s.sqlText(body, c.text)
			}
		}
	}
}

// pipeline flattens a | b | c and looks for downloads or decoded data
// flowing into a shell, and literal text flowing into a shell or SQL
// client.
func (s *scanner) pipeline(lv *level, b *syntax.BinaryCmd) {
	var stages []*syntax.Stmt
	var flatten func(st *syntax.Stmt)
	flatten = func(st *syntax.Stmt) {
		if bc, ok := st.Cmd.(*syntax.BinaryCmd); ok && (bc.Op == syntax.Pipe || bc.Op == syntax.PipeAll) && len(st.Redirs) == 0 && !st.Negated {
			s.piped[bc] = true
			flatten(bc.X)
			flatten(bc.Y)
			return
		}
		stages = append(stages, st)
	}
	s.piped[b] = true
	flatten(b.X)
	flatten(b.Y)
	text := strings.TrimSpace(lv.slice(b.Pos(), b.End()))

	s.pipelineFamilies(lv, stages, text)
	var fetch, decode, known bool
	var data string
	for _, st := range stages {
		ce, ok := st.Cmd.(*syntax.CallExpr)
		if !ok || len(ce.Args) == 0 {
			f, d := s.stmtsKinds(lv, []*syntax.Stmt{st})
			fetch, decode, known = fetch || f, decode || d, false
			continue
		}
		c := s.light(lv, st, ce)
		switch {
		case readsStdinScript(c):
			if fetch {
				s.add("remote.pipe_shell", text)
			}
			if decode {
				s.add("decode.pipe_shell", text)
			}
			if known && shellNames[c.name] {
				s.pending = append(s.pending, data)
			} else if l, ok := interpLang(c.name); known && ok {
				s.scanCode(c, data, l, 0)
			} else if !known && !fetch && !decode {
				s.add("opaque.shell_input", text)
			}
			known = false
		case sqlClientSet[c.name]:
			if known {
				s.sqlText(data, text)
			}
			known = false
		case c.xargs && known:
			s.xargsData(c, data)
			known = false
		case makeStdin(c):
			if known {
				s.makeRecipes(lv, data)
			} else {
				s.add("opaque.shell_input", text)
			}
			known = false
		case isDecoder(c):
			decode = true
			if len(c.stdin) == 1 {
				data, known = filter(c, c.stdin[0])
			} else if known {
				data, known = filter(c, data)
			}
		case isFetcher(c):
			fetch, known = true, false
		default:
			if out, ok := produce(c); ok {
				data, known = out, true
			} else if len(c.stdin) == 1 && (c.name == "cat" || c.name == "tee") {
				data, known = filter(c, c.stdin[0])
			} else if out, ok := filter(c, data); ok && known {
				data = out
			} else {
				known = false
			}
		}
	}
}
