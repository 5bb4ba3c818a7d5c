package deptest

import (
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/testenv"
)

const module = "github.com/hermes-go/hermes/"

// frontends are where a conversation comes from (docs/ARCHITECTURE.md):
// only internal/cli starts them, and they reach the agent, its tools and
// the sandbox through internal/runtime. A cron job's turn is started by
// internal/cron/agentrun; internal/cron itself (schedules, jobs.json, the
// run ledger) is a service the cronjob tool uses too, and opens no
// runtime.
var frontends = []string{"internal/chat", "internal/mcpserve", "internal/gateway", "internal/cron/agentrun"}

// base packages may be imported by every package and import only each
// other.
var base = []string{"internal/home", "internal/config", "internal/redact", "internal/clock", "internal/fileutil", "internal/lazyre", "internal/version",
	"internal/logging"} // logging: every subsystem may log through logging.For(component)

// rule: packages under from (the package or its sub-packages), other than
// those under exempt, must not import anything under deny, except what is
// under allow.
type rule struct {
	from, why           string
	deny, allow, exempt []string
}

func rules() []rule {
	rs := []rule{
		{from: "internal", deny: []string{"internal/cli"}, exempt: []string{"internal/cli"}, why: "only cmd/hermes starts the command tree"},
		{from: "internal", deny: []string{"internal/runtime"}, exempt: append([]string{"internal/cli", "internal/runtime"}, frontends...),
			why: "only frontends open a runtime"},
		{from: "internal/mcp", deny: []string{"internal/agent", "internal/store"}, why: "MCP clients are tools below the agent"},
		{from: "internal/tools", deny: []string{"internal/agent", "internal/mcp"}, why: "tools sit below the agent"},
		{from: "internal/agent", deny: []string{"internal/mcp", "internal/sandbox", "internal/guard"}, why: "the agent reaches commands only through tools"},
		{from: "internal/guard", deny: []string{"internal/tools", "internal/agent", "internal/store", "internal/mcp", "internal/sandbox", "internal/memory", "internal/skills"},
			why: "guard is pure decisions under the tools"},
		{from: "internal/sandbox", deny: []string{"internal/tools", "internal/agent", "internal/guard", "internal/llm", "internal/store", "internal/mcp"},
			why: "backends run commands and know nothing above them"},
		{from: "internal/llm", deny: []string{"internal/tools", "internal/agent", "internal/guard", "internal/sandbox", "internal/store", "internal/mcp", "internal/memory", "internal/skills"},
			why: "providers know nothing of what the agent does"},
		{from: "internal/store", deny: []string{"internal/agent", "internal/tools", "internal/guard", "internal/sandbox", "internal/mcp"}, why: "the store keeps sessions, nothing more"},
	}
	for _, f := range frontends {
		rs = append(rs,
			rule{from: "internal", deny: []string{f}, exempt: []string{"internal/cli", f}, why: "only internal/cli starts a frontend"},
			rule{from: f, deny: []string{"internal/tools/", "internal/sandbox/", "internal/mcp"},
				why: "a frontend reaches tool families, backends and MCP servers through internal/runtime"})
	}
	for _, b := range base {
		rs = append(rs, rule{from: b, deny: []string{"internal"}, allow: base, why: "base packages import only each other"})
	}
	return rs
}

// under reports whether pkg is p or below it; a p ending in "/" matches
// only the packages below it.
func under(pkg, p string) bool {
	if strings.HasSuffix(p, "/") {
		return strings.HasPrefix(pkg, p)
	}
	return pkg == p || strings.HasPrefix(pkg, p+"/")
}

func anyUnder(pkg string, ps []string) bool {
	for _, p := range ps {
		if under(pkg, p) {
			return true
		}
	}
	return false
}

// violations checks a graph (package -> its imports, module-relative).
func violations(graph map[string][]string) []string {
	var out []string
	for pkg, imps := range graph {
		for _, imp := range imps {
			for _, r := range rules() {
				if under(pkg, r.from) && !anyUnder(pkg, r.exempt) && anyUnder(imp, r.deny) && !anyUnder(imp, r.allow) && !sameTree(pkg, imp, r) {
					out = append(out, pkg+" imports "+imp+": "+r.why)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// sameTree: a package may import inside its own rule's tree (guard ->
// guard/detect) unless the rule names that tree itself.
func sameTree(pkg, imp string, r rule) bool {
	return under(imp, r.from) && under(pkg, r.from) && r.from != "internal"
}

func TestLayers(t *testing.T) {
	t.Parallel()
	root := testenv.RepoRoot(t)
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	graph := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], module)
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, module) {
				graph[pkg] = append(graph[pkg], strings.TrimPrefix(imp, module))
			}
		}
	}
	if len(graph) < 20 {
		t.Fatalf("only %d packages with module imports: %s", len(graph), out)
	}
	for _, v := range violations(graph) {
		t.Error(v)
	}
}

// TestRulesCatch: imports against the layers are found.
func TestRulesCatch(t *testing.T) {
	t.Parallel()
	bad := map[string][]string{
		"internal/mcp":           {"internal/runtime"},
		"internal/chat":          {"internal/tools/terminal"},
		"internal/config":        {"internal/llm"},
		"internal/tools/web":     {"internal/agent"},
		"internal/agent":         {"internal/chat"},
		"internal/sandbox/local": {"internal/guard"},
	}
	got := violations(bad)
	if len(got) < len(bad) {
		t.Errorf("found %d violations in %d bad imports: %q", len(got), len(bad), got)
	}
	good := map[string][]string{
		"internal/chat":    {"internal/runtime", "internal/agent", "internal/config"},
		"internal/guard":   {"internal/guard/detect", "internal/llm", "internal/config"},
		"internal/runtime": {"internal/tools/terminal", "internal/sandbox/backends", "internal/mcp"},
		"internal/cli":     {"internal/chat", "internal/mcpserve", "internal/runtime"},
	}
	if got := violations(good); len(got) != 0 {
		t.Errorf("allowed imports reported: %q", got)
	}
}
