package detect

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"sort"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// Limits that keep Scan linear-ish on hostile input. Beyond them the
// command is Unparseable, which the policy blocks.
const (
	MaxInput = 64 << 10 // bytes of command text
	MaxDepth = 8        // nested shells (sh -c inside eval inside ...)
	maxWork  = 1 << 20  // bytes parsed in total across nested shells
)

var parsers = sync.Pool{New: func() any { return syntax.NewParser(syntax.Variant(syntax.LangBash)) }}

// call is one simple command after static resolution of its words.
type call struct {
	lv        *level
	st        *syntax.Stmt
	text      string              // normalised source text of the whole simple command
	path      string              // the command word as resolved, e.g. ./run.sh or /bin/rm
	name      string              // base name of path, lower case
	dynName   string              // source text of a command word computed at run time
	args      []arg               // the words after the command word
	sudo      bool                // runs under sudo, doas, su or runuser
	xargs     bool                // its arguments come from xargs
	stdin     []string            // literal here-documents and here-strings it reads
	redirOut  []string            // targets of its output redirections
	notes     []string            // keys found while unwrapping (sudo -S, ...)
	scripts   []string            // shell text it runs (env -S, watch)
	stdinPS   []*syntax.ProcSubst // process substitutions it reads as stdin (< <(...))
	stdinFile string              // a file it reads as stdin (< FILE)
	xargsRepl string              // xargs -I's replacement string
	cwd       string              // working directory a wrapper sets for it (env -C, sudo -D, chroot)
}

type scanner struct {
	opts    Options
	home    string // Options.Home, cleaned, "" when unknown
	hermes  string // the hermes home in canonical form (~/... or absolute)
	res     Result
	seen    map[string]bool
	memo    map[*syntax.CmdSubst]evalResult
	piped   map[*syntax.BinaryCmd]bool
	kinds   map[*syntax.Stmt]kinds
	execs   map[string]bool // files made executable by chmod +x so far
	work    int
	nested  bool
	err     error
	pending []string                   // shell text piped into a shell, scanned after its level
	params  []string                   // positional parameters for the next nested script
	calls   int                        // calls of functions the command defines, followed so far
	inherit map[string]expand.Variable // variables for the next nested script
	fam     famState                   // what the family rules remember across commands
}

// Scan parses command and reports every hardline and dangerous pattern in
// it. It never panics, does no I/O and runs in time roughly linear in the
// command's length (nested shells are capped at MaxDepth levels, input at
// MaxInput bytes).
func Scan(command string, o Options) (res Result) {
	defer func() {
		if r := recover(); r != nil {
			res = Result{Unparseable: fmt.Errorf("the command could not be analysed (internal error: %v); it is blocked", r)}
		}
	}()
	if len(command) > MaxInput {
		return Result{Unparseable: fmt.Errorf("the command is %d bytes, more than the %d that can be checked; split it or put it in a script file", len(command), MaxInput)}
	}
	s := &scanner{
		opts:  o,
		seen:  map[string]bool{},
		memo:  map[*syntax.CmdSubst]evalResult{},
		piped: map[*syntax.BinaryCmd]bool{},
		kinds: map[*syntax.Stmt]kinds{},
		execs: map[string]bool{},
	}
	if o.Home != "" {
		s.home = path.Clean(o.Home)
	}
	hh := o.HermesHome
	if hh == "" {
		hh = "~/.hermes"
	}
	s.hermes = s.canon(hh)
	norm := Normalize(command)
	s.res.Normalized = norm
	s.script(norm, 0)
	if s.err != nil {
		return Result{Normalized: norm, Commands: s.res.Commands, Argvs: s.res.Argvs, Compound: s.res.Compound, Matches: s.res.Matches, Unparseable: s.err}
	}
	s.res.Compound = s.res.Compound || s.nested || len(s.res.Commands) > 1
	sort.SliceStable(s.res.Matches, func(i, j int) bool {
		return s.res.Matches[i].Hardline && !s.res.Matches[j].Hardline
	})
	return s.res
}

// script parses src (one nesting level deeper than its caller) and scans
// every statement in it.
func (s *scanner) script(src string, depth int) {
	if s.err != nil {
		return
	}
	if depth > MaxDepth {
		s.err = fmt.Errorf("the command nests shells more than %d levels deep; it is blocked because it cannot be checked", MaxDepth)
		return
	}
	s.work += len(src)
	if s.work > maxWork {
		s.err = errors.New("the command expands to too much nested shell text to check; it is blocked")
		return
	}
	p := parsers.Get().(*syntax.Parser)
	f, err := p.Parse(strings.NewReader(src), "")
	parsers.Put(p)
	if err != nil {
		s.err = fmt.Errorf("cannot parse the command as shell (%v); fix its quoting or syntax", err)
		return
	}
	lv := &level{src: src, depth: depth, sc: scope{params: s.params}}
	s.params = nil
	if len(s.inherit) > 0 {
		// Nested shells see the variables defined so far (exported or
		// not: assuming more is known only ever finds more).
		lv.sc.vars = maps.Clone(s.inherit)
		s.inherit = nil
	}
	mark := len(s.pending)
	syntax.Walk(f, func(n syntax.Node) bool { return s.visit(lv, n) })
	s.forkBombs(lv)
	// Text fed into a shell through a pipe runs after the pipeline's own
	// commands are listed.
	for len(s.pending) > mark {
		src := s.pending[mark]
		s.pending = append(s.pending[:mark], s.pending[mark+1:]...)
		s.nestedScript(lv, src)
	}
}

// nestedScript scans shell text that c runs (sh -c, eval, decoded data).
func (s *scanner) nestedScript(lv *level, src string) {
	s.nested = true
	s.inherit = lv.sc.vars
	s.script(Normalize(src), lv.depth+1)
}

func (s *scanner) visit(lv *level, n syntax.Node) bool {
	if s.err != nil {
		return false
	}
	switch n := n.(type) {
	case *syntax.Stmt:
		s.stmt(lv, n)
	case *syntax.CmdSubst, *syntax.ProcSubst:
		s.nested = true
	case *syntax.BinaryCmd:
		if (n.Op == syntax.Pipe || n.Op == syntax.PipeAll) && !s.piped[n] {
			s.pipeline(lv, n)
		}
	case *syntax.ForClause:
		if s.forLoop(lv, n) {
			return false
		}
	case *syntax.FuncDecl:
		s.funcDecl(lv, n)
		if n.Name != nil && n.Body != nil {
			if lv.sc.funcs == nil {
				lv.sc.funcs = map[string]*syntax.Stmt{}
			}
			lv.sc.funcs[n.Name.Value] = n.Body
		}
	case *syntax.DeclClause:
		for _, a := range n.Args {
			s.assign(lv, a, lv.slice(n.Pos(), n.End()))
			s.setVar(lv, a)
		}
	}
	return s.err == nil
}

// add records a match of key found in text, once per key and text.
func (s *scanner) add(key, text string) {
	id := key + "\x00" + text
	if s.seen[id] {
		return
	}
	s.seen[id] = true
	p, ok := patterns[key]
	if !ok {
		panic("detect: unknown pattern key " + key)
	}
	s.res.Matches = append(s.res.Matches, Match{
		Key: key, Category: p.Category, Description: p.Description,
		Command: text, Hardline: p.Hardline,
	})
}

func (s *scanner) stmt(lv *level, st *syntax.Stmt) {
	text := stmtText(lv, st)
	ce, ok := st.Cmd.(*syntax.CallExpr)
	if !ok {
		s.redirects(lv, st, text)
		return
	}
	s.res.Commands = append(s.res.Commands, text)
	s.defaultAssigns(lv, ce)
	for _, a := range ce.Assigns {
		s.assign(lv, a, text)
	}
	s.redirects(lv, st, text)
	if len(ce.Args) == 0 {
		for _, a := range ce.Assigns {
			s.setVar(lv, a)
		}
		return
	}
	c := s.light(lv, st, ce)
	s.runCall(c)
}

// stmtText is the source of a statement without its trailing ; or &, and
// without the bodies of its here-documents.
func stmtText(lv *level, st *syntax.Stmt) string {
	if st.Cmd == nil && len(st.Redirs) == 0 {
		return ""
	}
	start, end := st.Position, st.Position
	if st.Cmd != nil {
		end = st.Cmd.End()
		if ce, ok := st.Cmd.(*syntax.CallExpr); ok && (len(ce.Args) > 0 || len(ce.Assigns) > 0) {
			start = ce.Pos()
		}
	}
	for _, r := range st.Redirs {
		if r.Word != nil && r.Word.End().After(end) {
			end = r.Word.End()
		}
	}
	return strings.TrimSpace(lv.slice(start, end))
}

// light resolves a simple command and looks through its wrappers, with
// no side effects on the result.
func (s *scanner) light(lv *level, st *syntax.Stmt, ce *syntax.CallExpr) *call {
	c := &call{lv: lv, st: st, text: stmtText(lv, st)}
	words, ok := s.expandWords(lv, ce.Args)
	if ok {
		// Show what the words expanded to next to what was written.
		if exp := joinVals(words); len(exp) <= maxDynText {
			c.text += " (runs: " + exp + ")"
		}
	} else {
		for _, w := range ce.Args {
			words = append(words, s.resolve(lv, w)...)
		}
	}
	if len(words) == 0 {
		words = []arg{{}}
	}
	for _, r := range st.Redirs {
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			c.stdin = append(c.stdin, s.heredoc(lv, r.Hdoc))
		case syntax.WordHdoc:
			c.stdin = append(c.stdin, s.word(lv, r.Word).val+"\n")
		case syntax.RdrIn:
			if r.Word != nil && len(r.Word.Parts) == 1 {
				if ps, ok := r.Word.Parts[0].(*syntax.ProcSubst); ok {
					c.stdinPS = append(c.stdinPS, ps)
					continue
				}
			}
			c.stdinFile = s.word(lv, r.Word).val
		case syntax.RdrOut, syntax.AppOut, syntax.RdrClob, syntax.RdrAll, syntax.AppAll, syntax.RdrInOut, syntax.DplOut:
			c.redirOut = append(c.redirOut, s.word(lv, r.Word).val)
		}
	}
	c.setCommand(words[0], words[1:])
	return s.unwrap(c)
}

// heredoc resolves a here-document body (its parameters and
// substitutions stay as source text unless trivially known).
func (s *scanner) heredoc(lv *level, w *syntax.Word) string {
	if w == nil {
		return ""
	}
	var a arg
	var b strings.Builder
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok {
			b.WriteString(l.Value)
			continue
		}
		b.WriteString(s.part(lv, p, true, &a))
	}
	return b.String()
}

// setCommand makes w the command word of c and rest its arguments.
func (c *call) setCommand(w arg, rest []arg) {
	c.path = w.val
	c.args = rest
	c.dynName = ""
	if w.dyn {
		c.dynName = w.val
	}
	c.name = strings.ToLower(path.Base(strings.TrimRight(w.val, "/")))
	if w.val == "" {
		c.name = ""
	}
}

// assign checks a variable assignment (DOCKER_HOST redirects docker).
func (s *scanner) assign(lv *level, a *syntax.Assign, text string) {
	s.assignFamilies(lv, a, text)
	if a == nil || a.Name == nil || a.Value == nil {
		return
	}
	if commandVars[a.Name.Value] {
		if v := s.word(lv, a.Value); strings.TrimSpace(v.val) != "" {
			s.nestedScript(lv, v.val)
		}
	}
	if a.Name.Value == "DOCKER_HOST" {
		if v := s.word(lv, a.Value).val; remoteDockerHost(v) {
			s.add("container.remote_host", text)
		}
	}
}

func remoteDockerHost(v string) bool {
	v = strings.Trim(v, `"'`)
	return v != "" && !strings.HasPrefix(v, "unix://") && !strings.HasPrefix(v, "npipe://")
}

// runCall matches one simple command against every rule.
func (s *scanner) runCall(c *call) {
	for _, k := range c.notes {
		s.add(k, c.text)
	}
	s.argv(c)
	for _, sc := range c.scripts {
		s.nestedScript(c.lv, sc)
	}
	if c.dynName != "" {
		s.add("opaque.command", c.text)
		s.dynamicCall(c)
		return
	}
	s.setParams(c)
	s.runtimeAssign(c)
	s.chdir(c)
	if c.name == "alias" {
		// An alias's text runs wherever its name is used: judge it now.
		for _, a := range c.args {
			if _, v, ok := strings.Cut(a.val, "="); ok && isAssignment(a.val) {
				s.nestedScript(c.lv, v)
			}
		}
	}
	if s.callFunc(c) {
		return
	}
	s.opaqueArgs(c)
	if c.cwd != "" {
		// The wrapper runs it elsewhere: its relative paths resolve there.
		saved := s.opts.Cwd
		s.opts.Cwd = c.cwd
		defer func() { s.opts.Cwd = saved }()
	}
	s.rules(c)
}

// dynamicCall handles a command word computed at run time: every known
// command name that appears in its text is tried, and the hardline rm
// rules always apply to its arguments (`$X -rf /` is blocked whatever X
// turns out to be).
func (s *scanner) dynamicCall(c *call) {
	s.rulesArgsOnly(c)
	rm := *c
	rm.name = "rm"
	s.rmRule(&rm, true)
	seen := map[string]bool{}
	for _, tok := range strings.FieldsFunc(c.dynName, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_')
	}) {
		tok = strings.ToLower(tok)
		if !knownNames[tok] || seen[tok] {
			continue
		}
		seen[tok] = true
		if tok == "rm" {
			continue // below, with the non-hardline rm rules too
		}
		cc := *c
		cc.name = tok
		cc.dynName = ""
		s.rules(&cc)
	}
	if seen["rm"] {
		cc := *c
		cc.dynName = ""
		s.rmRule(&cc, false)
		s.xargsRule(&cc)
	}
}

// maxArgvs bounds the resolved argv lists kept for deny globs.
const maxArgvs = 4096

// argv records the command c runs as one normalised line: its base name
// (sudo, env, busybox, \rm, /bin/rm and $G all looked through) and its
// resolved arguments one space apart.
func (s *scanner) argv(c *call) {
	if len(s.res.Argvs) >= maxArgvs {
		return
	}
	name := c.name
	if c.dynName != "" {
		name = c.dynName
	}
	if name == "" {
		return
	}
	line := name
	if len(c.args) > 0 {
		line += " " + joinVals(c.args)
	}
	if c.xargs {
		line += " <stdin>" // xargs adds arguments read at run time
	}
	s.res.Argvs = append(s.res.Argvs, line)
}
