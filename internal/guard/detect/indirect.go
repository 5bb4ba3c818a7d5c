package detect

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// Indirection: what a command string defines for itself (variables,
// arrays, positional parameters, IFS, functions) is expanded with
// mvdan.cc/sh/v3/expand before the rules see the words, so that
// `X='rm -rf /'; $X` is judged as `rm -rf /`. What stays unknown is
// left dynamic and reported under opaque.* by the callers.

// maxFuncCalls bounds how deep calls of functions defined in the command
// are followed.
const maxFuncCalls = 4

// maxCalls bounds how many calls of such functions are followed in all;
// a command that makes more is blocked.
const maxCalls = 256

// maxFields bounds the words a command's expansion, or an array it
// defines, may hold.
const maxFields = maxBraceWords * 16

// scope is what one level of shell text has defined so far.
type scope struct {
	vars   map[string]expand.Variable
	params []string // positional parameters; nil when unknown
	funcs  map[string]*syntax.Stmt
	calls  int
	poison map[string]bool // assigned more than one value, or at run time: never known again
}

// forget makes a variable unknown for the rest of the level.
func (sc *scope) forget(name string) {
	delete(sc.vars, name)
	if sc.poison == nil {
		sc.poison = map[string]bool{}
	}
	sc.poison[name] = true
}

// env answers expand's lookups from a scope.
type env struct{ sc *scope }

var errUnknown = errors.New("unknown")

func (e *env) Get(name string) expand.Variable {
	if v, ok := e.sc.vars[name]; ok {
		return v
	}
	switch name {
	case "IFS":
		return expand.Variable{Set: true, Kind: expand.String, Str: " \t\n"}
	case "HOME":
		return expand.Variable{Set: true, Kind: expand.String, Str: "~"}
	}
	if e.sc.params != nil {
		switch name {
		case "@", "*":
			return expand.Variable{Set: true, Kind: expand.Indexed, List: e.sc.params}
		case "#":
			return expand.Variable{Set: true, Kind: expand.String, Str: strconv.Itoa(len(e.sc.params))}
		}
		if n, err := strconv.Atoi(name); err == nil && n >= 1 {
			if n <= len(e.sc.params) {
				return expand.Variable{Set: true, Kind: expand.String, Str: e.sc.params[n-1]}
			}
			return expand.Variable{}
		}
	}
	return expand.Variable{}
}

func (e *env) Each(func(string, expand.Variable) bool) {}

// config returns an expand.Config over the level's scope.
func (s *scanner) config(lv *level) *expand.Config {
	return &expand.Config{
		Env: &env{sc: &lv.sc},
		CmdSubst: func(w io.Writer, cs *syntax.CmdSubst) error {
			out, ok := s.evalSubst(lv, cs)
			if !ok {
				return errUnknown
			}
			_, err := io.WriteString(w, out)
			return err
		},
		ProcSubst: func(*syntax.ProcSubst) (string, error) { return "", errUnknown },
	}
}

// knownParams reports whether the words refer to a parameter this level
// defines (found: expanding them statically can help), and whether every
// parameter they refer to is known and they hold no process or command
// substitution (all).
func knownParams(sc *scope, words ...*syntax.Word) (found, all bool) {
	all = true
	for _, w := range words {
		if w == nil {
			continue
		}
		syntax.Walk(w, func(n syntax.Node) bool {
			switch n := n.(type) {
			case *syntax.Lit:
				if strings.Contains(n.Value, "{") {
					all = false // brace expansion: resolve's capped one
				}
			case *syntax.ParamExp:
				if n.Repl != nil && n.Repl.With != nil && len(n.Repl.With.Parts) > 0 {
					if _, ok := n.Repl.With.Parts[0].(*syntax.Lit); !ok || len(n.Repl.With.Parts) > 1 {
						all = false // ${X//?/$X} multiplies sizes
					}
				}
				if n.Param == nil || n.Excl || n.Index != nil && sc.vars[n.Param.Value].Kind != expand.Indexed {
					all = false
					return true
				}
				name := n.Param.Value
				if _, ok := sc.vars[name]; ok || name == "IFS" && (n.Slice != nil || n.Repl != nil || n.Exp != nil) {
					found = true
				} else if sc.params != nil && (name == "@" || name == "*" || name == "#" || name[0] >= '1' && name[0] <= '9') {
					found = true
				} else if name != "HOME" && name != "IFS" {
					all = false
				}
			case *syntax.ProcSubst, *syntax.CmdSubst, *syntax.ArithmExp, *syntax.ExtGlob:
				all = false
			}
			return true
		})
	}
	return found, all
}

// expandWords expands words with expand.Fields when they use parameters
// the level knows; ok is false when something stays unknown.
func (s *scanner) expandWords(lv *level, words []*syntax.Word) ([]arg, bool) {
	if len(lv.sc.vars) == 0 && lv.sc.params == nil && !usesIFS(lv, words) {
		return nil, false
	}
	if found, all := knownParams(&lv.sc, words...); !found || !all {
		return nil, false
	}
	fields, err := expand.Fields(s.config(lv), words...)
	if err != nil || len(fields) > maxFields {
		return nil, false
	}
	out := make([]arg, len(fields))
	for i, f := range fields {
		out[i] = arg{val: f}
	}
	return out, true
}

func usesIFS(lv *level, words []*syntax.Word) bool {
	for _, w := range words {
		if strings.Contains(lv.slice(w.Pos(), w.End()), "IFS") {
			return true
		}
	}
	return false
}

// setVar records an assignment; a value that cannot be known makes the
// variable unknown again.
func (s *scanner) setVar(lv *level, a *syntax.Assign) {
	if a == nil || a.Name == nil || a.Naked && a.Value == nil && a.Array == nil {
		return
	}
	name := a.Name.Value
	if lv.sc.vars == nil {
		lv.sc.vars = map[string]expand.Variable{}
	}
	cfg := s.config(lv)
	var v expand.Variable
	var err error
	var elems []*syntax.Word
	if a.Array != nil {
		for _, el := range a.Array.Elems {
			elems = append(elems, el.Value)
		}
	}
	switch _, all := knownParams(&lv.sc, append(elems, a.Value)...); {
	case !all:
		err = errUnknown
	case a.Index != nil:
		err = errUnknown
	case a.Array != nil:
		var list []string
		for _, el := range a.Array.Elems {
			if el.Index != nil || el.Value == nil {
				err = errUnknown
				break
			}
			f, ferr := expand.Fields(cfg, el.Value)
			if ferr != nil {
				err = ferr
				break
			}
			list = append(list, f...)
		}
		v = expand.Variable{Set: true, Kind: expand.Indexed, List: list}
		if n := len(strings.Join(list, " ")); n > maxEvalOutput {
			err = errUnknown
		}
	default:
		str := ""
		if a.Value != nil {
			str, err = expand.Literal(cfg, a.Value)
		}
		if a.Append {
			if old, ok := lv.sc.vars[name]; ok {
				str = old.String() + str
			} else {
				err = errUnknown
			}
		}
		v = expand.Variable{Set: true, Kind: expand.String, Str: str}
	}
	if err != nil || len(v.Str) > maxEvalOutput || len(v.List) > maxFields || lv.sc.poison[name] {
		lv.sc.forget(name)
		return
	}
	// A second, different value may or may not replace the first (if,
	// &&, loops): which one runs is not known.
	if old, ok := lv.sc.vars[name]; ok && (old.Kind != v.Kind || old.Str != v.Str || !slices.Equal(old.List, v.List)) {
		lv.sc.forget(name)
		return
	}
	lv.sc.vars[name] = v
}

// runtimeAssign forgets the variables a command assigns at run time
// (read X, mapfile X, printf -v X, getopts o X, unset X).
func (s *scanner) runtimeAssign(c *call) {
	switch c.name {
	case "read", "mapfile", "readarray", "printf", "getopts", "unset", "let", "declare", "typeset", "local", "export", "readonly":
	default:
		return
	}
	if s.knownAssign(c) {
		return
	}
	for _, a := range c.args {
		name, _, _ := strings.Cut(strings.TrimLeft(a.val, "-"), "=")
		if name != "" && isAssignment(name+"=") {
			c.lv.sc.forget(name)
		}
	}
}

// setParams handles `set -- a b c` and `set a b c`.
func (s *scanner) setParams(c *call) {
	if c.name != "set" || c.dynName != "" {
		return
	}
	args := c.args
	if len(args) > 0 && args[0].val == "--" {
		args = args[1:]
	} else if len(args) == 0 || strings.HasPrefix(args[0].val, "-") || strings.HasPrefix(args[0].val, "+") {
		return
	}
	c.lv.sc.params, _ = literalArgs(args) // nil when not all literal
}

// callFunc scans the body of a function the command defined, with the
// call's arguments as positional parameters.
func (s *scanner) callFunc(c *call) bool {
	body, ok := c.lv.sc.funcs[c.path]
	if !ok || c.dynName != "" {
		return false
	}
	if c.lv.sc.calls >= maxFuncCalls {
		return true
	}
	saved := c.lv.sc.params
	c.lv.sc.params, _ = literalArgs(c.args)
	// Every call costs the size of the body, against the same budget as
	// nested shells: a command that fans out too far is blocked.
	s.work += int(body.End().Offset() - body.Pos().Offset())
	s.calls++
	if s.work > maxWork || s.calls > maxCalls {
		s.err = errors.New("the command calls its functions too many times to check; it is blocked")
		return true
	}
	c.lv.sc.calls++
	s.rewalk(c.lv, body)
	c.lv.sc.calls--
	c.lv.sc.params = saved
	return true
}

// rewalk scans st again, under the bindings the level has now (a function
// call's parameters, a loop's item). What was memoised per node (the
// output of $(echo $1), whether $($c x) fetches) was worked out under
// other bindings and is forgotten.
func (s *scanner) rewalk(lv *level, st *syntax.Stmt) {
	clear(s.memo)
	clear(s.kinds)
	syntax.Walk(st, func(n syntax.Node) bool {
		if b, ok := n.(*syntax.BinaryCmd); ok {
			delete(s.piped, b)
		}
		return s.visit(lv, n)
	})
}

// stdinPath reports a path that names the standard input.
func stdinPath(p string) bool {
	switch p {
	case "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0":
		return true
	}
	return false
}

// procScripts scans the static output of process substitutions a shell
// or source runs as a script (`source <(echo 'rm -rf /')`).
func (s *scanner) procScripts(c *call, words []arg) {
	for _, w := range words {
		for _, sub := range w.subs {
			if !sub.proc {
				continue
			}
			s.procScript(c, sub.stmts)
		}
	}
}

// procScript scans what a process substitution c runs as a script
// prints: static text is scanned, a download or decoded data is remote
// code, anything else is opaque.
func (s *scanner) procScript(c *call, stmts []*syntax.Stmt) {
	if len(stmts) == 1 {
		if out, ok := s.staticOutput(c.lv, stmts[0]); ok {
			s.nestedScript(c.lv, out)
			return
		}
	}
	fetch, decode := s.stmtsKinds(c.lv, stmts)
	if fetch {
		s.add("remote.proc_subst", c.text)
	}
	if decode {
		s.add("decode.subst", c.text)
	}
	if !fetch && !decode {
		s.add("opaque.shell_input", c.text)
	}
}

// mattersArgs are commands whose computed arguments decide whether they
// are dangerous: unknown arguments to them are opaque.
var mattersArgs = map[string]bool{
	"rm": true, "rmdir": true, "chmod": true, "chown": true, "chgrp": true, "dd": true, "shred": true,
	"mkfs": true, "wipefs": true, "blkdiscard": true, "sgdisk": true, "kill": true, "pkill": true,
	"killall": true, "shutdown": true, "reboot": true, "systemctl": true, "init": true, "telinit": true,
	"truncate": true,
}

// opaqueArgs: a command that matters with arguments known only at run time.
func (s *scanner) opaqueArgs(c *call) {
	if interpreters.MatchString(c.name) {
		// python -c "$CODE", node -e "$X": code known only at run time.
		for i := 0; i+1 < len(c.args); i++ {
			switch c.args[i].val {
			case "-c", "-e", "-E", "--eval", "-p", "--print", "-r":
				if c.args[i+1].dyn {
					s.add("opaque.eval", c.text)
				}
				return
			}
		}
		return
	}
	if !mattersArgs[c.name] && !strings.HasPrefix(c.name, "mkfs.") {
		return
	}
	for _, a := range c.args {
		if a.dyn {
			s.add("opaque.args", c.text)
			return
		}
	}
}

// chdir follows `cd DIR` and `pushd DIR` with a literal DIR, so later
// relative paths (`cd / && rm -rf *`) resolve where they will run. Any
// other cd makes the working directory unknown.
func (s *scanner) chdir(c *call) {
	if c.name != "cd" && c.name != "pushd" || c.dynName != "" {
		return
	}
	ops := operands(c.args, "")
	switch {
	case len(ops) == 0 && c.name == "cd":
		s.opts.Cwd = "~"
	case len(ops) == 1 && !c.args[len(c.args)-1].dyn && ops[0] != "-" && !strings.HasPrefix(ops[0], "+"):
		p := ops[0]
		if p != "" && p[0] != '/' && p[0] != '~' && s.opts.Cwd == "" {
			return // still unknown
		}
		s.opts.Cwd = s.canon(p)
	default:
		s.opts.Cwd = ""
	}
}

// maxLoopItems bounds the items of a for loop that are followed one by one.
const maxLoopItems = 32

// forLoop scans the body of `for x in a b c` once per literal item, with
// x set to it; it reports false when the items are not all known (the
// body is then walked once, with x unknown).
func (s *scanner) forLoop(lv *level, fc *syntax.ForClause) bool {
	wi, ok := fc.Loop.(*syntax.WordIter)
	if !ok || wi.Name == nil {
		return false
	}
	lv.sc.forget(wi.Name.Value) // unless followed item by item below
	if !wi.InPos.IsValid() || len(wi.Items) == 0 {
		return false
	}
	var items []string
	globbed := false
	for _, w := range wi.Items {
		if found, all := knownParams(&lv.sc, w); found && !all {
			return false
		}
		ws, ok := s.expandWords(lv, []*syntax.Word{w})
		if !ok {
			ws = s.resolve(lv, w)
		}
		for _, a := range ws {
			if a.dyn || len(a.subs) > 0 {
				return false
			}
			// A glob item stands for the paths it matches: followed
			// as the pattern (for f in /*; do rm -rf "$f") and, below,
			// once more as unknown (for f in *; do $f).
			globbed = globbed || strings.ContainsAny(a.val, "*?[")
			items = append(items, a.val)
		}
	}
	if len(items) > maxLoopItems {
		return false
	}
	if lv.sc.vars == nil {
		lv.sc.vars = map[string]expand.Variable{}
	}
	delete(lv.sc.poison, wi.Name.Value)
	for _, it := range items {
		s.calls++
		for _, st := range fc.Do {
			s.work += int(st.End().Offset() - st.Pos().Offset())
		}
		if s.work > maxWork || s.calls > maxCalls {
			s.err = errors.New("the command runs its loops too many times to check; it is blocked")
			return true
		}
		lv.sc.vars[wi.Name.Value] = expand.Variable{Set: true, Kind: expand.String, Str: it}
		for _, st := range fc.Do {
			s.rewalk(lv, st)
		}
	}
	if globbed {
		lv.sc.forget(wi.Name.Value)
		clear(s.memo)
		clear(s.kinds)
		return false
	}
	return true
}
