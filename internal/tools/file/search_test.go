package file

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/testenv"
	"github.com/hermes-go/hermes/internal/tools"
)

// searchTree lays out a project with ignored, hidden, vendored and binary
// files.
func searchTree(t *testing.T, env *tools.Env) {
	t.Helper()
	files := map[string]string{
		"main.go":                 "package main\n// TODO: one\nfunc main() {}\n",
		"lib/util.go":             "package lib\n// TODO: two\n// todo lower\n",
		"lib/util_test.go":        "package lib\n// TODO: three\n",
		"docs/readme.md":          "# TODO four\n",
		".gitignore":              "*.log\nbuild/\n!keep.log\n",
		"debug.log":               "TODO ignored log\n",
		"keep.log":                "TODO kept log\n",
		"build/out.go":            "TODO ignored build\n",
		"lib/.gitignore":          "gen_*.go\n",
		"lib/gen_x.go":            "TODO generated\n",
		".git/config":             "TODO git internals\n",
		"node_modules/m/index.js": "TODO vendored\n",
		"image.bin":               "TODO\x00binary",
		".hidden/notes.txt":       "TODO hidden five\n",
		"long.txt":                "TODO " + strings.Repeat("z", 500) + "\n",
	}
	for p, c := range files {
		writeTestFile(t, filepath.Join(env.Cwd, p), c)
	}
}

func TestSearchFiles(t *testing.T) {
	t.Parallel()
	impls := map[string]SearchFiles{"walker": {RgPath: "-"}}
	if rg := testenv.Ripgrep(t); rg != "" {
		impls["ripgrep"] = SearchFiles{RgPath: rg}
	}
	env := testEnv(t)
	searchTree(t, env)
	allTODO := ".hidden/notes.txt:1:TODO hidden five\n" +
		"docs/readme.md:1:# TODO four\n" +
		"keep.log:1:TODO kept log\n" +
		"lib/util.go:2:// TODO: two\n" +
		"lib/util_test.go:2:// TODO: three\n" +
		"long.txt:1:TODO " + strings.Repeat("z", MaxMatchChars-5) + "…\n" +
		"main.go:2:// TODO: one\n"
	tests := []struct {
		name    string
		args    obj
		want    string
		isError bool
	}{
		{"everything", obj{"pattern": "TODO"}, allTODO, false},
		{"glob name", obj{"pattern": "TODO", "glob": "*.go"}, "lib/util.go:2:// TODO: two\nlib/util_test.go:2:// TODO: three\nmain.go:2:// TODO: one\n", false},
		{"glob path", obj{"pattern": "TODO", "glob": "lib/*_test.go"}, "lib/util_test.go:2:// TODO: three\n", false},
		{"sub directory", obj{"pattern": "(?i)todo", "path": "lib"}, "lib/util.go:2:// TODO: two\nlib/util.go:3:// todo lower\nlib/util_test.go:2:// TODO: three\n", false},
		{"one file", obj{"pattern": "TODO", "path": "main.go"}, "main.go:2:// TODO: one\n", false},
		{"capped", obj{"pattern": "TODO", "max_results": 2}, ".hidden/notes.txt:1:TODO hidden five\ndocs/readme.md:1:# TODO four\n[the first 2 matches shown; there are more", false},
		{"no match", obj{"pattern": "NOPE"}, `no matches for "NOPE" in the working directory`, false},
		{"bad regex", obj{"pattern": "a("}, "pattern is not a valid regular expression", true},
		{"no pattern", obj{}, "pattern is missing", true},
		{"bad max", obj{"pattern": "x", "max_results": 5000}, "max_results 5000 is out of range", true},
		{"missing path", obj{"pattern": "x", "path": "nope"}, "nope does not exist", true},
	}
	for name, impl := range impls {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				m := call(t, env, impl, tt.args)
				if m.IsError != tt.isError || !strings.HasPrefix(m.Content, strings.TrimPrefix(tt.want, "error: ")) && !strings.Contains(m.Content, tt.want) {
					t.Errorf("got (error %v):\n%s\nwant:\n%s", m.IsError, m.Content, tt.want)
				}
				if !tt.isError && !strings.HasSuffix(tt.want, "there are more") && !strings.HasPrefix(tt.want, "no matches") && m.Content != tt.want {
					t.Errorf("got:\n%s\nwant exactly:\n%s", m.Content, tt.want)
				}
			})
		}
	}
}

func TestGitignoreRules(t *testing.T) {
	t.Parallel()
	rules := parseGitignore("# c\n*.log\n!keep.log\nbuild/\n/top.txt\ndocs/*.tmp\n**/gen/**\n[ab]?.c\n\\!bang\n")
	for _, tt := range []struct {
		path   string
		dir    bool
		ignore bool
	}{
		{"x.log", false, true},
		{"a/b/x.log", false, true},
		{"keep.log", false, false},
		{"build", true, true},
		{"build", false, false},
		{"top.txt", false, true},
		{"sub/top.txt", false, false},
		{"docs/a.tmp", false, true},
		{"docs/sub/a.tmp", false, false},
		{"x/gen/y.go", false, true},
		{"a1.c", false, true},
		{"c1.c", false, false},
		{"!bang", false, true},
		{"main.go", false, false},
	} {
		if got, _ := ignored(rules, tt.path, tt.dir); got != tt.ignore {
			t.Errorf("ignored(%q, dir %v) = %v", tt.path, tt.dir, got)
		}
	}
}

// TestSearchSkipsHomeSecrets: a search over the hermes home never shows
// its .env or auth.json, and searching one of them directly is refused.
func TestSearchSkipsHomeSecrets(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	impls := []SearchFiles{{RgPath: "-"}}
	if rg := testenv.Ripgrep(t); rg != "" {
		impls = append(impls, SearchFiles{RgPath: rg})
	}
	for _, impl := range impls {
		m := call(t, env, impl, obj{"pattern": "SECRET", "path": env.Home})
		if m.IsError || m.Content != "config.yaml:1:SECRET=1\n" && !strings.HasSuffix(m.Content, "/config.yaml:1:SECRET=1\n") {
			t.Errorf("%s: %+v", impl.RgPath, m)
		}
		m = call(t, env, impl, obj{"pattern": "SECRET", "path": filepath.Join(env.Home, ".env")})
		if !m.IsError || !strings.Contains(m.Content, "hermes home's .env") {
			t.Errorf("%s: %+v", impl.RgPath, m)
		}
	}
}
