package detect

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// arg is one shell word resolved statically. Parts only known at run time
// (parameters, non-trivial substitutions) keep their source text and set
// dyn, so `$(curl x)` stays visible to the rules.
type arg struct {
	val  string
	dyn  bool
	subs []subst // command and process substitutions inside the word
}

// subst is a command or process substitution found in a word.
type subst struct {
	stmts []*syntax.Stmt
	proc  bool
}

// level is one parsed script: the top-level command or the text of a
// nested shell (sh -c, eval, decoded payloads).
type level struct {
	src   string
	depth int
	sc    scope
	funcs map[string]funcInfo // call graph of the functions defined, for fork bombs
}

// slice returns the source text between two positions, or "" when they
// do not belong to this level's text.
func (lv *level) slice(from, to syntax.Pos) string {
	a, b := int(from.Offset()), int(to.Offset())
	if !from.IsValid() || !to.IsValid() || a < 0 || b > len(lv.src) || a > b {
		return ""
	}
	return lv.src[a:b]
}

// Brace expansion limits: more groups than maxBraceGroups in one word
// are left unexpanded, and no word expands to more than maxBraceWords.
const (
	maxBraceWords  = 64
	maxBraceGroups = 6
)

// resolve returns the words w expands to (more than one only for brace
// expansion, capped at maxBraceWords).
func (s *scanner) resolve(lv *level, w *syntax.Word) []arg {
	if w == nil || len(w.Parts) == 0 {
		return []arg{{}}
	}
	// SplitBraces rewrites the word; work on a copy so the tree (still
	// to be walked) keeps no brace nodes syntax.Walk does not know.
	if hasBrace(w) {
		split := &syntax.Word{Parts: append([]syntax.WordPart(nil), w.Parts...)}
		syntax.SplitBraces(split)
		groups := 0
		for _, p := range split.Parts {
			if _, ok := p.(*syntax.BraceExp); ok {
				groups++
			}
		}
		if groups <= maxBraceGroups {
			w = split
		}
	}
	out := []arg{{}}
	for _, p := range w.Parts {
		be, ok := p.(*syntax.BraceExp)
		if !ok {
			for i := range out {
				out[i].val += s.part(lv, p, false, &out[i])
			}
			continue
		}
		alts := s.braceAlts(lv, be)
		if len(alts) == 0 || len(out)*len(alts) > maxBraceWords {
			text := dynText(lv.slice(be.Pos(), be.End()))
			for i := range out {
				out[i].val += text
			}
			continue
		}
		next := make([]arg, 0, len(out)*len(alts))
		for _, o := range out {
			for _, a := range alts {
				subs := append(append([]subst(nil), o.subs...), a.subs...)
				next = append(next, arg{val: o.val + a.val, dyn: o.dyn || a.dyn, subs: subs})
			}
		}
		out = next
	}
	return out
}

func hasBrace(w *syntax.Word) bool {
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok && strings.Contains(l.Value, "{") {
			return true
		}
	}
	return false
}

// braceAlts lists the alternatives of {a,b} or a small {x..y} sequence.
func (s *scanner) braceAlts(lv *level, be *syntax.BraceExp) []arg {
	if be.Sequence {
		if len(be.Elems) < 2 {
			return nil
		}
		from, err1 := strconv.Atoi(be.Elems[0].Lit())
		to, err2 := strconv.Atoi(be.Elems[1].Lit())
		if err1 != nil || err2 != nil || to-from > maxBraceWords || from-to > maxBraceWords {
			return nil
		}
		step := 1
		if to < from {
			step = -1
		}
		var alts []arg
		for i := from; ; i += step {
			alts = append(alts, arg{val: strconv.Itoa(i)})
			if i == to {
				break
			}
		}
		return alts
	}
	var alts []arg
	for _, e := range be.Elems {
		alts = append(alts, s.resolve(lv, e)...)
		if len(alts) > maxBraceWords {
			return nil
		}
	}
	return alts
}

// word resolves w to a single string (the first brace alternative).
func (s *scanner) word(lv *level, w *syntax.Word) arg {
	return s.resolve(lv, w)[0]
}

func (s *scanner) part(lv *level, p syntax.WordPart, quoted bool, a *arg) string {
	switch p := p.(type) {
	case *syntax.Lit:
		if quoted {
			return unescapeDouble(p.Value)
		}
		return unescapeBare(p.Value)
	case *syntax.SglQuoted:
		if p.Dollar {
			return ansiC(p.Value, false)
		}
		return p.Value
	case *syntax.DblQuoted:
		var b strings.Builder
		for _, q := range p.Parts {
			b.WriteString(s.part(lv, q, true, a))
		}
		return b.String()
	case *syntax.ParamExp:
		if p.Param != nil && !p.Length && !p.Excl && p.Index == nil && p.Repl == nil && p.Slice == nil {
			switch p.Param.Value {
			case "HOME":
				return "~"
			case "IFS":
				return " "
			}
		}
	case *syntax.CmdSubst:
		a.subs = append(a.subs, subst{stmts: p.Stmts})
		if v, ok := s.evalSubst(lv, p); ok {
			return v
		}
	case *syntax.ProcSubst:
		a.subs = append(a.subs, subst{stmts: p.Stmts, proc: true})
	case *syntax.BraceExp:
		// Nested inside quotes braces do not expand.
	}
	a.dyn = true
	return dynText(lv.slice(p.Pos(), p.End()))
}

// maxDynText bounds the source text kept for a part only known at run
// time, so nested substitutions cost linear, not quadratic, time.
const maxDynText = 512

// dynText returns src, or when it is long its first maxDynText bytes with
// every character that could change how the shell reads it replaced by
// %: still one shell word, and still showing the command names in it.
func dynText(src string) string {
	if len(src) <= maxDynText {
		return src
	}
	b := []byte(src[:maxDynText])
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '/' || c == ':') {
			b[i] = '%'
		}
	}
	return string(b)
}

// unescapeBare removes the backslashes of an unquoted literal.
func unescapeBare(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unescapeDouble removes the backslashes that are special inside double
// quotes.
func unescapeDouble(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ansiC decodes the backslash escapes of $'...' (echo -e when echo is
// true: octal needs a leading \0 there).
func ansiC(s string, echo bool) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'e', 'E':
			b.WriteByte(0x1b)
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'x', 'u', 'U':
			limit := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			j, v := i+1, 0
			for ; j < len(s) && j <= i+limit; j++ {
				h, ok := hexVal(s[j])
				if !ok {
					break
				}
				v = v<<4 | int(h)
			}
			if j == i+1 {
				b.WriteByte('\\')
				b.WriteByte(e)
				continue
			}
			if e == 'x' {
				b.WriteByte(byte(v))
			} else if utf8.ValidRune(rune(v)) {
				b.WriteRune(rune(v))
			}
			i = j - 1
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			if echo {
				if e != '0' {
					b.WriteByte('\\')
					b.WriteByte(e)
					continue
				}
				j++
			}
			v, start := 0, j
			for ; j < len(s) && j < start+3 && s[j] >= '0' && s[j] <= '7'; j++ {
				v = v<<3 | int(s[j]-'0')
			}
			b.WriteByte(byte(v))
			i = j - 1
		default:
			if echo && e != '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(e)
		}
	}
	return b.String()
}
