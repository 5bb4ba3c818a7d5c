package detect

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// More of what a command defines for itself: ${X:=val}, read from a
// literal here-string, printf -v, xargs fed literal data, make fed a
// literal makefile.

func init() {
	addRule((*scanner).makeRule, "make", "gmake")
}

// defaultAssigns records ${X:=val} and ${X=val} of variables the level
// does not know yet: the expansion assigns val.
func (s *scanner) defaultAssigns(lv *level, ce *syntax.CallExpr) {
	for _, w := range ce.Args {
		syntax.Walk(w, func(n syntax.Node) bool {
			switch n.(type) {
			case *syntax.CmdSubst, *syntax.ProcSubst, *syntax.ArithmExp:
				return false // their own statements are visited on their own: linear
			}
			pe, ok := n.(*syntax.ParamExp)
			if !ok || pe.Param == nil || pe.Exp == nil || pe.Exp.Word == nil {
				return true
			}
			if pe.Exp.Op != syntax.AssignUnset && pe.Exp.Op != syntax.AssignUnsetOrNull {
				return true
			}
			name := pe.Param.Value
			if _, known := lv.sc.vars[name]; known || lv.sc.poison[name] {
				return true
			}
			if _, all := knownParams(&lv.sc, pe.Exp.Word); !all {
				return true
			}
			if v, err := expand.Literal(s.config(lv), pe.Exp.Word); err == nil {
				s.setKnown(lv, name, v)
			}
			return true
		})
	}
}

// setKnown binds a variable to a value known statically.
func (s *scanner) setKnown(lv *level, name, val string) {
	if lv.sc.poison[name] || len(val) > maxEvalOutput {
		lv.sc.forget(name)
		return
	}
	if old, ok := lv.sc.vars[name]; ok && (old.Kind != expand.String || old.Str != val) {
		lv.sc.forget(name)
		return
	}
	if lv.sc.vars == nil {
		lv.sc.vars = map[string]expand.Variable{}
	}
	lv.sc.vars[name] = expand.Variable{Set: true, Kind: expand.String, Str: val}
}

var readSpec = optSpec{short: "adinNptu"}

// knownAssign handles `read [-r] A B <<< 'literal'` and `printf -v X FMT
// ARGS` with literal words: the variables get the values they will have.
func (s *scanner) knownAssign(c *call) bool {
	vals, ok := literalArgs(c.args)
	if !ok || c.dynName != "" {
		return false
	}
	switch c.name {
	case "read":
		opts, i := readSpec.parse(c.args)
		if len(c.stdin) != 1 || has(opts, "-a", "-d", "-n", "-N", "-u") || i >= len(vals) {
			return false
		}
		line, _, _ := strings.Cut(c.stdin[0], "\n")
		if !has(opts, "-r") {
			line = unescapeBare(line)
		}
		names := vals[i:]
		for k, name := range names {
			if !isAssignment(name + "=") {
				return false
			}
			line = strings.TrimLeft(line, " \t")
			field := line
			if k < len(names)-1 {
				if j := strings.IndexAny(line, " \t"); j >= 0 {
					field, line = line[:j], line[j:]
				} else {
					line = ""
				}
			} else {
				field = strings.TrimRight(field, " \t")
			}
			s.setKnown(c.lv, name, field)
		}
		return true
	case "printf":
		if len(vals) < 3 || vals[0] != "-v" || !isAssignment(vals[1]+"=") {
			return false
		}
		out, ok := printf(vals[2], vals[3:])
		if !ok {
			return false
		}
		s.setKnown(c.lv, vals[1], out)
		return true
	}
	return false
}

// maxXargsItems bounds the items of literal xargs input that are judged.
const maxXargsItems = 64

// xargsData judges an xargs command fed literal data (`echo / | xargs rm
// -rf`): the items become its arguments.
func (s *scanner) xargsData(c *call, data string) {
	var items []string
	if c.xargsRepl != "" {
		items = strings.Split(strings.TrimRight(data, "\n"), "\n")
	} else {
		items = strings.FieldsFunc(data, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == 0 })
	}
	if len(items) > maxXargsItems {
		items = items[:maxXargsItems]
	}
	run := func(args []arg) {
		cc := *c
		cc.args = args
		cc.text = c.text + " (runs: " + c.name + " " + joinVals(args) + ")"
		cc.notes, cc.scripts, cc.stdin, cc.stdinPS, cc.stdinFile = nil, nil, nil, nil, "" // judged once: no loop
		s.argv(&cc)
		s.rules(&cc)
	}
	if c.xargsRepl == "" {
		args := append([]arg(nil), c.args...)
		for _, it := range items {
			args = append(args, arg{val: it})
		}
		run(args)
		return
	}
	for _, it := range items {
		args := make([]arg, len(c.args))
		for k, a := range c.args {
			args[k] = arg{val: strings.ReplaceAll(a.val, c.xargsRepl, it)}
		}
		run(args)
	}
}

// makeStdin reports make reading its makefile from the standard input
// (make -f - / -f /dev/stdin).
func makeStdin(c *call) bool {
	if c.name != "make" && c.name != "gmake" {
		return false
	}
	opts, _ := optSpec{short: "fCIjlWoE", long: []string{"--file", "--makefile", "--directory", "--include-dir", "--jobs", "--eval", "--what-if", "--old-file"}}.parse(c.args)
	for _, o := range opts {
		if (o.name == "-f" || o.name == "--file" || o.name == "--makefile") && (o.val == "-" || stdinPath(o.val)) {
			return true
		}
	}
	return false
}

// makeEval returns the makefile text given with make -E / --eval.
func makeEval(c *call) []string {
	var out []string
	for i, a := range c.args {
		switch v := a.val; {
		case (v == "-E" || v == "--eval") && i+1 < len(c.args):
			out = append(out, c.args[i+1].val)
		case strings.HasPrefix(v, "--eval="):
			out = append(out, strings.TrimPrefix(v, "--eval="))
		case strings.HasPrefix(v, "-E") && len(v) > 2:
			out = append(out, v[2:])
		}
	}
	return out
}

// makeRecipes scans the recipe lines of a literal makefile as shell text.
func (s *scanner) makeRecipes(lv *level, makefile string) {
	var b strings.Builder
	for _, line := range strings.Split(makefile, "\n") {
		if !strings.HasPrefix(line, "\t") {
			// a rule with an inline recipe: target: deps ; cmd
			if _, after, ok := strings.Cut(line, ";"); ok && strings.Contains(line, ":") && !strings.HasPrefix(strings.TrimSpace(line), "#") {
				b.WriteString(after + "\n")
			}
			continue
		}
		b.WriteString(strings.TrimLeft(line, "\t@-+ ") + "\n")
	}
	if b.Len() > 0 {
		s.nestedScript(lv, b.String())
	}
}

// makeRule: make reading a literal makefile runs its recipes.
func (s *scanner) makeRule(c *call) {
	for _, e := range makeEval(c) {
		s.makeRecipes(c.lv, e)
	}
	if makeStdin(c) {
		for _, body := range c.stdin {
			s.makeRecipes(c.lv, body)
		}
	}
}

// homeOf returns the home directory of ~user, as far as it is known.
func homeOf(user string) string {
	if user == "root" {
		return "/root"
	}
	return path.Join("/home", user)
}
