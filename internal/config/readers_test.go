package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// readers says which packages read each part of the schema. Every key of
// config.yaml must have a reader: TestEveryKeyIsRead finds, for each leaf
// key, the Go selector of its field (`.MaxTurns` for agent.max_turns) in
// the non-test source of the packages listed for the longest listed prefix
// of the key (every entry of that prefix must hold); a token entry must
// appear as written instead. A key added to the schema
// without code that reads it fails the test, until it is read or listed
// in NotUsedYet (unused.go).
var readers = []struct {
	prefix string
	dirs   []string // relative to the module root; a directory includes its sub-packages
	token  string   // "" : the leaf field's selector
}{
	{"model", []string{"internal/llm", "internal/agent", "internal/cli"}, ""},
	{"providers", []string{"internal/llm"}, ""},
	{"fallback_providers", []string{"internal/llm"}, ""},
	{"auxiliary", []string{"internal/llm"}, ""},
	// Each side task has a caller that asks for its Router by name.
	{"auxiliary.compression", []string{"internal/agent"}, `Aux("compression")`},
	{"auxiliary.title", []string{"internal/runtime"}, `Aux("title")`},
	{"auxiliary.approval", []string{"internal/runtime"}, `Aux("approval")`},
	{"auxiliary.web_extract", []string{"internal/runtime"}, `summariser("web_extract")`},
	{"auxiliary.session_search", []string{"internal/runtime"}, `summariser("session_search")`},
	{"agent", []string{"internal/agent", "internal/llm", "internal/runtime"}, ""},
	{"agent.toolsets.mcp_serve", []string{"internal/cli"}, ""},
	{"terminal", []string{"internal/sandbox", "internal/tools/terminal"}, ""},
	{"approvals", []string{"internal/guard"}, ""},
	{"security", []string{"internal/cli", "internal/runtime"}, ""},
	{"compression", []string{"internal/agent"}, ""},
	{"memory", []string{"internal/memory", "internal/runtime", "internal/tools/memory"}, ""},
	{"skills", []string{"internal/skills", "internal/tools/skills", "internal/runtime"}, ""},
	{"delegation", []string{"internal/agent", "internal/runtime"}, ""},
	{"delegation.model", []string{"internal/llm"}, ""},
	{"delegation.model", []string{"internal/runtime"}, "llm.DelegationTask"},
	{"display", []string{"internal/chat"}, ""},
	{"mcp_servers", []string{"internal/mcp"}, ""},
	{"sessions", []string{"internal/runtime", "internal/cli"}, ""},
	{"command_allowlist", []string{"internal/guard"}, ""},
	// The gateway core reads the gateway section and the chat settings
	// every platform shares (home_channel, group_sessions_per_user,
	// unauthorized_dm_behavior); the adapters under internal/gateway/platforms
	// (telegram, api_server, webhooks) read their own.
	{"gateway", []string{"internal/cli"}, ""},
	{"platforms", []string{"internal/cli", "internal/gateway"}, ""},
	{"cron", []string{"internal/cron", "internal/cli", "internal/tools/cronjob"}, ""},
	{"agent.toolsets.cron", []string{"internal/cron"}, ""},
	{"update", []string{"internal/cli"}, ""},
	{"logging", []string{"internal/cli"}, ""},
}

func TestEveryKeyIsRead(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	sources := map[string]string{} // dir -> its non-test Go source
	source := func(dir string) string {
		if s, ok := sources[dir]; ok {
			return s
		}
		var b strings.Builder
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
				data, err := os.ReadFile(p)
				b.Write(data)
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		sources[dir] = b.String()
		return sources[dir]
	}
	leaves := schemaLeaves(reflect.TypeOf(Config{}), "", "")
	if len(leaves) < 200 {
		t.Fatalf("only %d keys found in the schema", len(leaves))
	}
	for _, l := range leaves {
		if _, ok := notUsedYet(l.path); ok {
			continue
		}
		// The entries of the longest listed prefix decide.
		longest := ""
		for _, r := range readers {
			if (l.path == r.prefix || strings.HasPrefix(l.path, r.prefix+".")) && len(r.prefix) > len(longest) {
				longest = r.prefix
			}
		}
		matched := false
		for _, r := range readers {
			if r.prefix != longest {
				continue
			}
			matched = true
			want := r.token
			var re *regexp.Regexp
			if want == "" {
				re = regexp.MustCompile(`\.` + l.goField + `\b`)
			}
			found := false
			for _, dir := range r.dirs {
				src := source(dir)
				if (re != nil && re.MatchString(src)) || (re == nil && strings.Contains(src, want)) {
					found = true
					break
				}
			}
			if !found {
				what := want
				if re != nil {
					what = "." + l.goField
				}
				t.Errorf("%s: no code in %s reads it (looked for %s); read it, or list it in NotUsedYet", l.path, strings.Join(r.dirs, ", "), what)
			}
		}
		if !matched {
			t.Errorf("%s: no reader listed; add its package to readers in this file, or the key to NotUsedYet", l.path)
		}
	}
	for k := range NotUsedYet {
		if !slicesContainsPrefix(leaves, k) {
			t.Errorf("NotUsedYet lists %s, which is not a key of the schema", k)
		}
	}
}

type leaf struct{ path, goField string }

// schemaLeaves lists every leaf key with the Go name of its field.
func schemaLeaves(t reflect.Type, prefix, goName string) []leaf {
	switch {
	case t.Kind() == reflect.Pointer:
		return schemaLeaves(t.Elem(), prefix, goName)
	case isStruct(t):
		var out []leaf
		for _, f := range fieldsOf(t) {
			sf := t.FieldByIndex(f.index)
			out = append(out, schemaLeaves(sf.Type, joinPath(prefix, f.name), sf.Name)...)
		}
		return out
	case t.Kind() == reflect.Map && isStruct(t.Elem()):
		return schemaLeaves(t.Elem(), prefix+".<name>", goName)
	case t.Kind() == reflect.Slice && isStruct(t.Elem()):
		return schemaLeaves(t.Elem(), prefix+".<n>", goName)
	}
	return []leaf{{prefix, goName}}
}

func slicesContainsPrefix(leaves []leaf, k string) bool {
	for _, l := range leaves {
		if l.path == k || strings.HasPrefix(l.path, k+".") {
			return true
		}
	}
	return false
}
