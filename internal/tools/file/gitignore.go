package file

import (
	"regexp"
	"strings"
)

// ignoreRule is one line of a .gitignore.
type ignoreRule struct {
	re      *regexp.Regexp
	negate  bool
	dirOnly bool
}

// parseGitignore reads the basics of the .gitignore format: comments,
// blank lines, ! negation, a trailing / for directories only, patterns
// anchored to the file's directory when they contain a slash, and the
// wildcards * ? [...] **. Lines it cannot compile are skipped, as git does.
func parseGitignore(data string) []ignoreRule {
	var rules []ignoreRule
	for _, l := range strings.Split(data, "\n") {
		l = strings.TrimSuffix(l, "\r")
		if !strings.HasSuffix(l, `\ `) {
			l = strings.TrimRight(l, " \t")
		}
		if l == "" || l[0] == '#' {
			continue
		}
		var r ignoreRule
		if l[0] == '!' {
			r.negate, l = true, l[1:]
		} else if strings.HasPrefix(l, `\!`) || strings.HasPrefix(l, `\#`) {
			l = l[1:]
		}
		if strings.HasSuffix(l, "/") {
			r.dirOnly, l = true, strings.TrimRight(l, "/")
		}
		if l == "" {
			continue
		}
		anchored := strings.Contains(l, "/")
		l = strings.TrimPrefix(l, "/")
		re, err := globRegexp(l, anchored, false)
		if err != nil {
			continue
		}
		r.re = re
		rules = append(rules, r)
	}
	return rules
}

// ignored reports whether rel (slash separated, relative to the
// .gitignore's directory) is ignored by rules, and whether any rule
// decided it: the last matching rule wins.
func ignored(rules []ignoreRule, rel string, dir bool) (ignore, decided bool) {
	for _, r := range rules {
		if r.dirOnly && !dir {
			continue
		}
		if r.re.MatchString(rel) {
			ignore, decided = !r.negate, true
		}
	}
	return ignore, decided
}

// globRegexp translates a glob into a regular expression over slash
// separated paths. Anchored globs match from the start of the path, others
// match the last components. braces enables {a,b} alternatives (the
// search_files glob argument; .gitignore has none).
func globRegexp(glob string, anchored, braces bool) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	if !anchored {
		b.WriteString("(?:.*/)?")
	}
	depth := 0
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		switch {
		case strings.HasPrefix(glob[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(glob[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			end := strings.IndexByte(glob[i+1:], ']')
			if end < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := glob[i+1 : i+1+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += end + 1
		case c == '\\' && i+1 < len(glob):
			i++
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		case braces && c == '{':
			depth++
			b.WriteString("(?:")
		case braces && c == '}' && depth > 0:
			depth--
			b.WriteString(")")
		case braces && c == ',' && depth > 0:
			b.WriteString("|")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	for ; depth > 0; depth-- {
		b.WriteString(")")
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}
