package detect

import (
	"strings"
	"testing"
)

// FuzzInterpCode: the inline-code scanner never panics, on any code in
// any language, and code that runs `rm -rf /` as a literal stays
// hardline whatever is appended to it.
func FuzzInterpCode(f *testing.F) {
	for _, l := range readCorpus(f, "families.txt", true) {
		if i := strings.IndexAny(l.command, "'\""); i > 0 {
			f.Add(uint8(0), l.command[i+1:])
		}
	}
	for _, seed := range []string{
		`import os; os.system("rm -rf /")`, `system "x"`, "`id`", `qx{ls}`, `%x(ls)`, `"unterminated`,
		`exec(b64decode("aW1wb3J0IG9z"))`, `{cmd: ["a"`, `spawn("a", [`, `"""x`, `q{`, "\\", `f"{x}"`,
	} {
		for l := range uint8(8) {
			f.Add(l, seed)
		}
	}
	f.Fuzz(func(t *testing.T, l uint8, code string) {
		lg := lang(l % 8)
		toks := lexCode(code, lg)
		if len(toks) > maxTokens {
			t.Fatalf("%d tokens, more than the %d bound", len(toks), maxTokens)
		}
		for i := range toks {
			callArgs(toks, i)
			literalArg(toks[i:min(i+5, len(toks))])
			listArg(toks[i:min(i+7, len(toks))])
		}
		interp := []string{"python3 -c", "perl -e", "ruby -e", "node -e", "php -r", "lua -e", "awk", "osascript -e"}[lg]
		quoted := "'" + strings.ReplaceAll(code, "'", `'\''`) + "'"
		r := Scan(interp+" "+quoted, corpusOpts)
		for _, m := range r.Matches {
			if _, ok := patterns[m.Key]; !ok {
				t.Fatalf("unknown key %q", m.Key)
			}
		}
		if lg == langPython && !strings.ContainsAny(code, "\x00\"'\\#") && !strings.Contains(code, "\n") {
			hard := Scan("python3 -c "+quoteWords([]string{`import os; os.system("rm -rf /"); ` + code}), corpusOpts)
			if hard.Unparseable == nil && !hard.Hardline() {
				t.Fatalf("appending %q made os.system(\"rm -rf /\") %v", code, hard.Keys())
			}
		}
	})
}
