package detect

import (
	"encoding/base64"
	"encoding/hex"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Trivial evaluation: the output of `echo X`, `printf X`, and those piped
// through base64 -d or xxd -r -p, when every word is literal. This is what
// lets `$(echo rm) -rf /` and `echo cm0gLXJmIC8= | base64 -d | sh` be
// seen for what they run.

type evalResult struct {
	out string
	ok  bool
}

const maxEvalOutput = 64 << 10

// evalSubst returns the static output of a command substitution.
func (s *scanner) evalSubst(lv *level, cs *syntax.CmdSubst) (string, bool) {
	if r, ok := s.memo[cs]; ok {
		return r.out, r.ok
	}
	s.memo[cs] = evalResult{} // cycles cannot happen, but be safe
	out, ok := "", false
	if len(cs.Stmts) == 1 {
		out, ok = s.staticOutput(lv, cs.Stmts[0])
		out = strings.TrimRight(out, "\n")
	}
	s.memo[cs] = evalResult{out, ok}
	return out, ok
}

// staticOutput returns what a statement prints when that is known
// without running anything.
func (s *scanner) staticOutput(lv *level, st *syntax.Stmt) (string, bool) {
	if st.Negated || st.Background {
		return "", false
	}
	switch c := st.Cmd.(type) {
	case *syntax.CallExpr:
		if len(c.Args) == 0 {
			return "", false
		}
		cl := s.light(lv, st, c)
		if out, ok := s.pathName(cl); ok {
			return out, true
		}
		if out, ok := produce(cl); ok {
			return out, true
		}
		if len(cl.stdin) == 1 {
			return filter(cl, cl.stdin[0])
		}
	case *syntax.BinaryCmd:
		if c.Op != syntax.Pipe {
			return "", false
		}
		in, ok := s.staticOutput(lv, c.X)
		if !ok {
			return "", false
		}
		y, ok := c.Y.Cmd.(*syntax.CallExpr)
		if !ok || len(c.Y.Redirs) > 0 || len(y.Args) == 0 {
			return "", false
		}
		return filter(s.light(lv, c.Y, y), in)
	}
	return "", false
}

// literalArgs returns the values of args when none is dynamic.
func literalArgs(args []arg) ([]string, bool) {
	vals := make([]string, len(args))
	for i, a := range args {
		if a.dyn {
			return nil, false
		}
		vals[i] = a.val
	}
	return vals, true
}

// produce evaluates echo and printf with literal arguments.
func produce(c *call) (string, bool) {
	if c.dynName != "" || len(c.redirOut) > 0 {
		return "", false
	}
	args, ok := literalArgs(c.args)
	if !ok {
		return "", false
	}
	switch c.name {
	case "echo":
		escapes, newline := false, true
		for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && strings.Trim(args[0][1:], "neE") == "" {
			for _, f := range args[0][1:] {
				switch f {
				case 'n':
					newline = false
				case 'e':
					escapes = true
				case 'E':
					escapes = false
				}
			}
			args = args[1:]
		}
		out := strings.Join(args, " ")
		if escapes {
			out = ansiC(out, true)
		}
		if newline {
			out += "\n"
		}
		return out, true
	case "printf":
		if len(args) > 0 && args[0] == "--" {
			args = args[1:]
		}
		if len(args) == 0 {
			return "", false
		}
		return printf(args[0], args[1:])
	}
	return "", false
}

// printf formats like the shell's printf for %s, %b, %c, %d and %%.
func printf(format string, args []string) (string, bool) {
	var b strings.Builder
	for round := 0; round < 16; round++ {
		used := false
		for i := 0; i < len(format); i++ {
			c := format[i]
			if c == '\\' {
				j := i + 1
				for j < len(format) && j < i+4 && format[j] != '\\' && format[j] != '%' {
					j++
				}
				b.WriteString(ansiC(format[i:j], false))
				i = j - 1
				continue
			}
			if c != '%' || i+1 >= len(format) {
				b.WriteByte(c)
				continue
			}
			i++
			for i < len(format) && strings.IndexByte("-+ #0123456789.", format[i]) >= 0 {
				i++
			}
			if i >= len(format) {
				return "", false
			}
			verb := format[i]
			if verb == '%' {
				b.WriteByte('%')
				continue
			}
			a := ""
			if len(args) > 0 {
				a, args, used = args[0], args[1:], true
			}
			switch verb {
			case 's', 'd', 'i', 'u':
				b.WriteString(a)
			case 'b':
				b.WriteString(ansiC(a, true))
			case 'c':
				if a != "" {
					b.WriteByte(a[0])
				}
			default:
				return "", false
			}
			if b.Len() > maxEvalOutput {
				return "", false
			}
		}
		if len(args) == 0 || !used {
			break
		}
	}
	return b.String(), true
}

// filter passes data through a decoder (base64 -d, xxd -r -p, cat).
func filter(c *call, in string) (string, bool) {
	if c.dynName != "" {
		return "", false
	}
	switch {
	case isDecoder(c) && (c.name == "base64" || c.name == "openssl" || c.name == "base32"):
		if c.name == "base32" {
			return "", false
		}
		return decodeBase64(in)
	case isDecoder(c) && c.name == "xxd":
		h := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\t' || r == '\r' {
				return -1
			}
			return r
		}, in)
		out, err := hex.DecodeString(h)
		return string(out), err == nil
	case c.name == "cat" && stdinOnly(operands(c.args, "")):
		return in, true
	case c.name == "tee":
		return in, true // tee copies its input to its output as well
	}
	return "", false
}

// stdinOnly reports operands that all name the standard input (none, "-"
// or /dev/stdin).
func stdinOnly(ops []string) bool {
	for _, o := range ops {
		if o != "-" && !stdinPath(o) {
			return false
		}
	}
	return true
}

// decodeBase64 decodes standard or URL base64, padded or not, ignoring
// whitespace.
func decodeBase64(in string) (string, bool) {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\t' || r == '\r' {
			return -1
		}
		return r
	}, in)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if out, err := enc.DecodeString(clean); err == nil {
			return string(out), true
		}
	}
	return "", false
}

// pathName evaluates dirname and basename of a literal path. They work on
// the text, after the shell has expanded ~: with the home unknown, only
// `dirname ~` is answered (somewhere above the home).
func (s *scanner) pathName(c *call) (string, bool) {
	if c.name != "dirname" && c.name != "basename" || c.dynName != "" || len(c.redirOut) > 0 {
		return "", false
	}
	ops, ok := literalArgs(c.args)
	if len(ops) > 0 && ops[0] == "--" {
		ops = ops[1:]
	}
	if !ok || len(ops) != 1 || strings.HasPrefix(ops[0], "-") {
		return "", false
	}
	p := s.expandHome(s.tildeUser(ops[0]))
	if strings.HasPrefix(p, "~") {
		if p == "~" && c.name == "dirname" {
			return "~/..\n", true
		}
		return "", false
	}
	if c.name == "basename" {
		return path.Base(p) + "\n", true
	}
	return path.Dir(p) + "\n", true
}
