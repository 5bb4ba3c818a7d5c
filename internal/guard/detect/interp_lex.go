package detect

import "strings"

// A small, linear lexer for the inline code of scripting languages
// (python -c, perl -e, ruby -e, node -e, php -r, lua -e, awk programs).
// It does not parse the languages: it splits code into names, string
// literals and punctuation, skipping comments, which is enough to find
// calls such as os.system("...") and read their literal arguments.

type tokKind uint8

const (
	tokName  tokKind = iota // identifier, possibly dotted: os.system, child_process.execSync
	tokStr                  // string literal; lit is false when it interpolates (f"{x}", `${x}`, "$x")
	tokShell                // a literal that the language runs as a shell command (`...`, qx{...}, %x(...))
	tokPunct                // one punctuation byte
)

type token struct {
	kind tokKind
	val  string
	lit  bool // for tokStr/tokShell: the value is fully known
}

type lang uint8

const (
	langPython lang = iota
	langPerl
	langRuby
	langJS
	langPHP
	langLua
	langAwk
	langAppleScript
)

// maxTokens bounds the tokens read from one piece of code; maxArgTokens
// the tokens of one argument list.
const (
	maxTokens    = 1 << 16
	maxArgTokens = 1 << 10
)

// lexCode splits code into tokens.
func lexCode(code string, l lang) []token {
	var toks []token
	i := 0
	n := len(code)
	for i < n && len(toks) < maxTokens {
		c := code[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' && (l == langPython || l == langPerl || l == langRuby || l == langAwk || l == langPHP):
			if l == langRuby && i+1 < n && code[i+1] == '{' {
				toks = append(toks, token{kind: tokPunct, val: "#"})
				i++
				continue
			}
			for i < n && code[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && code[i+1] == '/' && (l == langJS || l == langPHP):
			for i < n && code[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && code[i+1] == '*' && (l == langJS || l == langPHP):
			end := strings.Index(code[i+2:], "*/")
			if end < 0 {
				i = n
			} else {
				i += end + 4
			}
		case c == '-' && i+1 < n && code[i+1] == '-' && (l == langLua || l == langAppleScript):
			for i < n && code[i] != '\n' {
				i++
			}
		case isCodeNameStart(c):
			j := i + 1
			for j < n && (isCodeNameByte(code[j]) || code[j] == '.' && j+1 < n && isCodeNameStart(code[j+1]) || code[j] == ':' && j+2 < n && code[j+1] == ':' && l == langPerl) {
				if code[j] == ':' {
					j++
				}
				j++
			}
			name := code[i:j]
			// String prefixes: r"", b"", f"", rb"" in Python.
			if l == langPython && j < n && (code[j] == '\'' || code[j] == '"') && len(name) <= 2 && strings.Trim(strings.ToLower(name), "rbfu") == "" {
				tok, next := lexString(code, j, l, strings.ContainsAny(strings.ToLower(name), "r"), strings.ContainsAny(strings.ToLower(name), "f"))
				toks = append(toks, tok)
				i = next
				continue
			}
			if l == langPerl && (name == "qx" || name == "q" || name == "qq") {
				if j < n && strings.IndexByte("{([</|!'\"", code[j]) >= 0 {
					tok, next := lexDelimited(code, j)
					switch name {
					case "qx":
						tok.kind = tokShell
					case "qq":
						tok.lit = !strings.ContainsAny(tok.val, "$@")
					}
					toks = append(toks, tok)
					i = next
					continue
				}
			}
			toks = append(toks, token{kind: tokName, val: name})
			i = j
		case c == '%' && l == langRuby && i+2 < n && (code[i+1] == 'x' || code[i+1] == 'q' || code[i+1] == 'Q') && strings.IndexByte("{([<|!", code[i+2]) >= 0:
			tok, next := lexDelimited(code, i+2)
			if code[i+1] == 'x' {
				tok.kind = tokShell
			}
			if code[i+1] != 'q' {
				tok.lit = !strings.Contains(tok.val, "#{")
			}
			toks = append(toks, tok)
			i = next
		case c == '\'' || c == '"' || c == '`':
			tok, next := lexString(code, i, l, false, false)
			toks = append(toks, tok)
			i = next
		default:
			toks = append(toks, token{kind: tokPunct, val: code[i : i+1]})
			i++
		}
	}
	return toks
}

func isCodeNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$' || c == '@'
}

func isCodeNameByte(c byte) bool {
	return isCodeNameStart(c) || c >= '0' && c <= '9'
}

// lexString reads a quoted literal starting at code[i] (the quote).
func lexString(code string, i int, l lang, raw, fstr bool) (token, int) {
	q := code[i]
	n := len(code)
	triple := l == langPython && i+2 < n && code[i+1] == q && code[i+2] == q
	start := i + 1
	if triple {
		start = i + 3
	}
	var b strings.Builder
	j := start
	for j < n {
		c := code[j]
		if triple && c == q && j+2 < n && code[j+1] == q && code[j+2] == q {
			j += 3
			break
		}
		if !triple && c == q {
			j++
			break
		}
		if c == '\\' && j+1 < n && !raw && !(q == '\'' && (l == langPerl || l == langPHP || l == langRuby) && code[j+1] != '\'' && code[j+1] != '\\') {
			j++
			switch e := code[j]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
			j++
			continue
		}
		b.WriteByte(c)
		j++
	}
	v := b.String()
	tok := token{kind: tokStr, val: v, lit: true}
	switch {
	case q == '`' && (l == langPerl || l == langRuby || l == langPHP):
		tok.kind = tokShell
		tok.lit = !strings.Contains(v, "$") && !strings.Contains(v, "#{")
	case q == '`' && l == langJS:
		tok.lit = !strings.Contains(v, "${")
	case fstr:
		tok.lit = !strings.Contains(v, "{")
	case q == '"' && (l == langPerl || l == langPHP):
		tok.lit = !strings.ContainsAny(v, "$@")
	case q == '"' && l == langRuby:
		tok.lit = !strings.Contains(v, "#{")
	}
	return tok, j
}

// lexDelimited reads a Perl q/qq/qx or Ruby %q/%x literal whose opening
// delimiter is code[i].
func lexDelimited(code string, i int) (token, int) {
	open := code[i]
	closer := map[byte]byte{'{': '}', '(': ')', '[': ']', '<': '>'}[open]
	if closer == 0 {
		closer = open
	}
	depth := 1
	j := i + 1
	for ; j < len(code); j++ {
		c := code[j]
		if c == '\\' {
			j++
			continue
		}
		if c == closer {
			depth--
			if depth == 0 {
				break
			}
		} else if c == open && open != closer {
			depth++
		}
	}
	end := min(j, len(code))
	return token{kind: tokStr, val: code[i+1 : end], lit: true}, min(j+1, len(code))
}

// callArgs returns the tokens of the argument list that starts at
// toks[i] (an opening parenthesis), split at top-level commas, and the
// index after the closing parenthesis. Without parentheses (Perl and
// Ruby `system "x"`) the arguments run to the end of the statement.
func callArgs(toks []token, i int) ([][]token, int) {
	if i >= len(toks) {
		return nil, i
	}
	paren := toks[i].kind == tokPunct && toks[i].val == "("
	if paren {
		i++
	}
	var args [][]token
	var cur []token
	depth := 0
	// Nested calls (f(f(f(...)))) would make reading every argument list
	// quadratic: an argument list is read up to maxArgTokens tokens.
	limit := min(len(toks), i+maxArgTokens)
	for ; i < limit; i++ {
		t := toks[i]
		if t.kind == tokPunct {
			switch t.val {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				if depth == 0 {
					if paren && t.val == ")" {
						i++
					}
					return append(args, cur), i
				}
				depth--
			case ",":
				if depth == 0 {
					args = append(args, cur)
					cur = nil
					continue
				}
			case ";":
				if depth == 0 && !paren {
					return append(args, cur), i
				}
			}
		}
		cur = append(cur, t)
	}
	return append(args, cur), i
}

// literalArg returns the value of an argument made of one literal
// string, or of string literals joined with + or . or written side by
// side ("r" "m" in Python).
func literalArg(a []token) (string, bool) {
	if len(a) == 0 {
		return "", false
	}
	var b strings.Builder
	wantStr := true
	for _, t := range a {
		switch {
		case t.kind == tokStr && t.lit:
			b.WriteString(t.val)
			wantStr = false
		case !wantStr && t.kind == tokPunct && (t.val == "+" || t.val == "."):
			wantStr = true
		default:
			return "", false
		}
	}
	return b.String(), !wantStr
}

// listArg returns the words of a literal list argument ["rm", "-rf", "/"]
// (Python, JS, Ruby arrays), or of consecutive literal arguments
// (Perl/Ruby/PHP system("rm", "-rf", "/")).
func listArg(a []token) ([]string, bool) {
	if len(a) < 2 || a[0].kind != tokPunct || (a[0].val != "[" && a[0].val != "(") {
		return nil, false
	}
	var out []string
	for k := 1; k < len(a); k++ {
		t := a[k]
		switch {
		case t.kind == tokStr && t.lit:
			out = append(out, t.val)
		case t.kind == tokPunct && t.val == ",":
		case t.kind == tokPunct && (t.val == "]" || t.val == ")") && k == len(a)-1:
			return out, len(out) > 0
		default:
			return nil, false
		}
	}
	return nil, false
}

// quoteWords quotes words for the shell, so a list of argv words becomes
// one command line that the shell rules can judge.
func quoteWords(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// objectList returns the literal list under key in an object argument
// ({cmd: ["rm", "-rf", "/"]}).
func objectList(a []token, key string) ([]string, bool) {
	for k := 0; k+3 < len(a); k++ {
		if (a[k].kind == tokName || a[k].kind == tokStr) && a[k].val == key && a[k+1].kind == tokPunct && a[k+1].val == ":" {
			end := k + 2
			depth := 0
			for ; end < len(a); end++ {
				if a[end].kind != tokPunct {
					continue
				}
				if a[end].val == "[" {
					depth++
				} else if a[end].val == "]" {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if end < len(a) {
				return listArg(a[k+2 : end+1])
			}
		}
	}
	return nil, false
}
