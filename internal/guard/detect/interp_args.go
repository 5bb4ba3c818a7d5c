package detect

import "strings"

// How an interpreter call carries inline code: python -c CODE, perl -e
// CODE (several -e join), node -e/-p/--eval, deno eval CODE, php -r, lua
// -e, awk's program operand, osascript -e; and what else it runs as a
// script (a here-document, <(...), $(...)).

// interpRule reads the inline code of an interpreter call.
func (s *scanner) interpRule(c *call) {
	l, ok := interpLang(c.name)
	if !ok || c.dynName != "" {
		return
	}
	codes, dyn := inlineCode(c, l)
	if dyn {
		s.add("opaque.eval", c.text)
		s.execSubst(c, c.args, false) // perl -e "$(curl ...)": remote code too
	}
	for _, code := range codes {
		s.scanCode(c, code, l, 0)
	}
	if len(codes) == 0 && l != langAwk {
		for _, a := range c.args {
			if strings.HasPrefix(a.val, "-") {
				continue
			}
			// python3 <(echo '...'): the substitution's output is the script.
			for _, sub := range a.subs {
				if !sub.proc {
					// python3 "$(curl ...)": a script named at run time.
					if f, _ := s.stmtsKinds(c.lv, sub.stmts); f {
						s.add("remote.cmd_subst", c.text)
					} else {
						s.add("opaque.eval", c.text)
					}
					continue
				}
				if len(sub.stmts) == 1 {
					if out, ok := s.staticOutput(c.lv, sub.stmts[0]); ok {
						s.scanCode(c, out, l, 0)
						continue
					}
				}
				switch f, d := s.stmtsKinds(c.lv, sub.stmts); {
				case f:
					s.add("remote.proc_subst", c.text)
				case d:
					s.add("decode.subst", c.text)
				default:
					s.add("opaque.shell_input", c.text)
				}
			}
			break
		}
	}
	if len(c.stdin) > 0 && l != langAwk && readsStdinScript(c) && len(codes) == 0 {
		for _, body := range c.stdin {
			s.scanCode(c, body, l, 0)
		}
	}
	if l == langAwk && awkInPlace(c.args) {
		// gawk -i inplace rewrites its file operands.
		ops := operands(c.args, "vFfi")
		if len(codes) == 0 && len(ops) > 0 {
			ops = ops[1:]
		}
		for _, t := range ops {
			for _, k := range s.sensitiveWrite(t) {
				s.add(k, c.text)
			}
		}
	}
	if l == langRuby && rubyInPlace(c.args) {
		targets := operands(c.args, "eIrCFE")
		if len(codes) == 0 && len(targets) > 0 {
			targets = targets[1:] // the script file
		}
		for _, t := range targets {
			for _, k := range s.sensitiveWrite(t) {
				s.add(k, c.text)
			}
		}
	}
}

// interpLetters are, per language, the short options that take inline
// code and the short options that take another value.
var interpLetters = map[lang][2]string{
	langPython: {"c", "WXm"}, langPerl: {"eE", "IMm"}, langRuby: {"e", "rICFE"},
	langJS: {"ep", "rC"}, langPHP: {"rBRE", "cdfzt"}, langLua: {"e", "l"},
	langAwk: {"e", "vFf"}, langAppleScript: {"e", "ls"},
}

// inlineCode returns the code an interpreter call gives on its command
// line; dyn reports code known only at run time.
func inlineCode(c *call, l lang) (codes []string, dyn bool) {
	take := func(a arg) {
		if a.dyn {
			dyn = true
			return
		}
		codes = append(codes, a.val)
	}
	args := c.args
	if c.name == "deno" {
		if len(args) == 0 || args[0].val != "eval" {
			return nil, false
		}
		for _, a := range args[1:] {
			if !strings.HasPrefix(a.val, "-") {
				take(a)
				break
			}
		}
		return codes, dyn
	}
	letters := interpLetters[l]
	codeLetters, valueLetters := letters[0], letters[1]
	awkFile := false
	for i := 0; i < len(args); i++ {
		v := args[i].val
		switch {
		case v == "--":
			if l == langAwk && len(codes) == 0 && !awkFile && i+1 < len(args) {
				take(args[i+1])
			}
			return codes, dyn
		case strings.HasPrefix(v, "--"):
			name, val, hasVal := strings.Cut(v, "=")
			switch name {
			case "--eval", "--print", "--source":
				if hasVal {
					codes = append(codes, val)
				} else if i+1 < len(args) {
					i++
					take(args[i])
				}
			case "--file":
				awkFile = true
				i++
			case "--require", "--import", "--loader", "--assign", "--field-separator":
				if !hasVal {
					i++
				}
			}
		case len(v) > 1 && v[0] == '-':
			for j := 1; j < len(v); j++ {
				ch := v[j]
				if l == langPerl || l == langRuby {
					if ch == 'i' {
						break // the rest is the backup extension
					}
					if ch == 'l' || ch == '0' || ch == 'C' && l == langPerl {
						for j+1 < len(v) && v[j+1] >= '0' && v[j+1] <= '9' {
							j++
						}
						continue
					}
				}
				if strings.IndexByte(codeLetters, ch) >= 0 {
					if j+1 < len(v) && l == langJS {
						continue // node -pe CODE: flags, the code is the next word
					}
					if j+1 < len(v) {
						codes = append(codes, v[j+1:])
					} else if i+1 < len(args) {
						i++
						take(args[i])
					}
					break
				}
				if strings.IndexByte(valueLetters, ch) >= 0 {
					if l == langAwk && ch == 'f' {
						awkFile = true
					}
					if l == langPython && ch == 'm' {
						return codes, dyn // python -m module: no inline code
					}
					if j+1 == len(v) {
						i++
					}
					break
				}
			}
		default:
			if l == langAwk && len(codes) == 0 && !awkFile {
				take(args[i])
			}
			return codes, dyn // the script operand: what follows is its argv
		}
	}
	return codes, dyn
}

// rubyInPlace reports ruby -i (also in clusters such as -pi), where the
// letters before it take no value.
func rubyInPlace(args []arg) bool {
	for _, a := range args {
		v := a.val
		if v == "--" {
			return false
		}
		if len(v) < 2 || v[0] != '-' || v[1] == '-' {
			continue
		}
		for j := 1; j < len(v); j++ {
			if v[j] == 'i' {
				return true
			}
			if strings.IndexByte("eIrCFEx", v[j]) >= 0 {
				break
			}
		}
	}
	return false
}

// awkInPlace reports gawk -i inplace (--include=inplace, -iinplace).
func awkInPlace(args []arg) bool {
	for i, a := range args {
		switch v := a.val; {
		case v == "-iinplace" || v == "--include=inplace" || v == "-i=inplace":
			return true
		case (v == "-i" || v == "--include") && i+1 < len(args) && strings.TrimSuffix(args[i+1].val, ".awk") == "inplace":
			return true
		}
	}
	return false
}
