package redact

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// extraPattern is a user pattern. prefix, when not empty, is a literal
// every match starts with, used to skip lines cheaply.
type extraPattern struct {
	re     *regexp.Regexp
	prefix []byte
}

// minExtraLen is the shortest match a user pattern may allow: shorter ones
// would mask fragments of ordinary words.
const minExtraLen = 3

// maxExtraCoverage is the share of ordinary text (probeText) a user pattern
// may mask before it is refused as matching almost anything.
const maxExtraCoverage = 0.10

// probeText is ordinary tool output that no sensible secret pattern should
// mask much of.
const probeText = `the quick brown fox jumps over the lazy dog; nothing to see here.
--- PASS: TestParse (0.00s)
ok  	github.com/hermes-go/hermes/internal/config	0.412s
-rw-r--r-- 1 root root  4096 Jan  2 15:04 main.go
commit 3f1c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39
Author: Jane Doe <jane@example.com>
{"id": 42, "name": "widget", "tags": ["a", "b"], "ok": true}
func main() { fmt.Println("hello, world") }
for i in range(10): print(i * 2)
2024-05-01T12:00:00Z INFO server started port=8080 pid=1234
`

func compileExtra(p string) (*extraPattern, error) {
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("bad regular expression: %w; fix the syntax (Go RE2)", err)
	}
	if re.MatchString("") {
		return nil, errors.New("it matches the empty string, so it would match everywhere; make it require the secret's own characters, e.g. `myco_[A-Za-z0-9]{32}`")
	}
	parsed, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("bad regular expression: %w; fix the syntax (Go RE2)", err)
	}
	if n := minLen(parsed.Simplify()); n < minExtraLen {
		return nil, fmt.Errorf("it can match as few as %d characters, which would mask pieces of ordinary words; require at least %d, e.g. a prefix and a length like `myco_[A-Za-z0-9]{32}`", n, minExtraLen)
	}
	if c := coverage(re); c > maxExtraCoverage {
		return nil, fmt.Errorf("it matches almost anything (%.0f%% of ordinary text, like `.*`, `.+` or `\\S+`); anchor it to what only the secret has, e.g. `myco_[A-Za-z0-9]{32}`", c*100)
	}
	x := &extraPattern{re: re}
	if lit, _ := re.LiteralPrefix(); lit != "" {
		x.prefix = []byte(lit)
	}
	return x, nil
}

// minLen is the fewest characters a parsed expression can match.
func minLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minLen(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minLen(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += minLen(s)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, s := range re.Sub {
			if m := minLen(s); n < 0 || m < n {
				n = m
			}
		}
		return max(n, 0)
	}
	return 0
}

// coverage is the share of probeText's bytes the pattern matches.
func coverage(re *regexp.Regexp) float64 {
	covered := 0
	for line := range strings.Lines(probeText) {
		for _, loc := range re.FindAllStringIndex(line, -1) {
			covered += loc[1] - loc[0]
		}
	}
	return float64(covered) / float64(len(probeText))
}

func (x *extraPattern) run(text []byte, add func(match)) {
	if x.prefix != nil && !bytes.Contains(text, x.prefix) {
		return
	}
	for _, loc := range x.re.FindAllSubmatchIndex(text, -1) {
		m := match{s: loc[0], e: loc[1], cs: loc[0], ce: loc[1]}
		if len(loc) >= 4 && loc[2] >= 0 {
			m.s, m.e = loc[2], loc[3]
		}
		if m.s < m.e {
			add(m)
		}
	}
}
