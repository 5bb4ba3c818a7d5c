package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/redact"
	"github.com/hermes-go/hermes/internal/store"
)

// sessionsCLI runs the real command tree.
func sessionsCLI(t *testing.T, home string, args ...string) result {
	t.Helper()
	return hermes(t, home, nil, args...)
}

// seedSessions fills a home's state.db: an old ended cli session, an
// open telegram one with a tool call, and returns their ids.
func seedSessions(t *testing.T, home string) (old, tg string) {
	t.Helper()
	s, err := store.Open(filepath.Join(home, "state.db"), redact.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Now()
	a, err := s.CreateSession(ctx, store.Session{Source: "cli", Title: "Docker cleanup", StartedAt: now.Add(-60 * 24 * time.Hour), EndedAt: now.Add(-45 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateSession(ctx, store.Session{Source: "telegram", Key: "telegram:7", Title: "Trip plan", Model: "m", Provider: "openai"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string][]llm.Message{
		a.ID: {{Role: llm.RoleUser, Content: "remove the stopped docker containers"},
			{Role: llm.RoleAssistant, Content: "Done: three containers removed."}},
		b.ID: {{Role: llm.RoleUser, Content: "plan a train trip to Lyon"},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "web_search", Arguments: `{"query":"train Lyon"}`}}},
			{Role: llm.RoleTool, ToolCallID: "c1", Content: "TGV every hour"}},
	}
	for id, m := range msgs {
		if err := s.AppendMessages(ctx, id, m...); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddUsage(ctx, b.ID, llm.Usage{InputTokens: 120, OutputTokens: 30}, 0.002); err != nil {
		t.Fatal(err)
	}
	return a.ID, b.ID
}

func TestSessionsListShowStats(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	old, tg := seedSessions(t, home)

	r := sessionsCLI(t, home, "sessions", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "ID ") || strings.Index(r.stdout, tg) > strings.Index(r.stdout, old) ||
		!strings.Contains(r.stdout, "(open) Trip plan") {
		t.Errorf("list: %+v", r)
	}
	r = sessionsCLI(t, home, "sessions", "list", "--json", "--source", "cli")
	var list []store.Session
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 || list[0].ID != old {
		t.Errorf("list --json --source cli: %v %+v", err, r)
	}
	r = sessionsCLI(t, home, "sessions", "list", "--json", "--source", "cron")
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("empty list --json: %q", r.stdout)
	}
	r = sessionsCLI(t, home, "sessions", "show", "latest")
	for _, want := range []string{"session  " + tg, "telegram (telegram:7)", "#2 assistant", "→ web_search [c1]", "#3 tool [c1]", "TGV every hour", "120 tokens in"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show latest lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := sessionsCLI(t, home, "sessions", "show", old[:len(old)-3]); r.code != 0 || !strings.Contains(r.stdout, "Docker cleanup") {
		t.Errorf("show by prefix: %+v", r)
	}
	if r := sessionsCLI(t, home, "sessions", "show", "1999"); r.code != 1 || !strings.Contains(r.stderr, "no such session") {
		t.Errorf("show missing: %+v", r)
	}
	r = sessionsCLI(t, home, "sessions", "stats", "--json")
	var st store.Stats
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Sessions != 2 || st.Messages != 5 || st.BySource["telegram"] != 1 || st.DBBytes == 0 {
		t.Errorf("stats --json: %v %+v", err, r)
	}
	if r := sessionsCLI(t, home, "sessions", "stats"); !strings.Contains(r.stdout, "sessions  2 (1 open)") || !strings.Contains(r.stdout, "telegram   1 session\n") {
		t.Errorf("stats: %+v", r)
	}
}

func TestSessionsSearch(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	old, tg := seedSessions(t, home)
	r := sessionsCLI(t, home, "sessions", "search", "docker", "container")
	if r.code != 0 || !strings.Contains(r.stdout, old+" #1 user") || !strings.Contains(r.stdout, "»docker«") {
		t.Errorf("search: %+v", r)
	}
	r = sessionsCLI(t, home, "sessions", "search", "--json", "--limit", "5", "train", "OR", "(")
	var hits []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &hits); err != nil || r.code != 0 {
		t.Fatalf("search --json: %v %+v", err, r)
	}
	if len(hits) != 0 {
		t.Errorf("OR was taken as an operator: %+v", hits)
	}
	r = sessionsCLI(t, home, "sessions", "search", "--json", "train", "lyon")
	if err := json.Unmarshal([]byte(r.stdout), &hits); err != nil || len(hits) != 1 || hits[0]["session_id"] != tg ||
		hits[0]["role"] != "user" || hits[0]["snippet"] == "" || hits[0]["created_at"] == nil {
		t.Errorf("search --json train lyon: %v %s", err, r.stdout)
	}
	if r := sessionsCLI(t, home, "sessions", "search", `"`, "*"); r.code != 0 || r.stdout != "no matches\n" {
		t.Errorf("search of punctuation: %+v", r)
	}
	if r := sessionsCLI(t, home, "sessions", "search"); r.code != 2 {
		t.Errorf("search without words: %+v", r)
	}
}

func TestSessionsExport(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	_, tg := seedSessions(t, home)
	file := filepath.Join(t.TempDir(), "out.md")
	r := sessionsCLI(t, home, "sessions", "export", "latest", "--format", "markdown", "-o", file)
	b, err := os.ReadFile(file)
	if r.code != 0 || err != nil || !strings.HasPrefix(string(b), "# Trip plan\n") || !strings.Contains(string(b), "Tool call `web_search`") {
		t.Errorf("export markdown: %+v, %v, %q", r, err, b)
	}
	r = sessionsCLI(t, home, "sessions", "export", tg)
	var ex store.Export
	if err := json.Unmarshal([]byte(r.stdout), &ex); err != nil || ex.Session.ID != tg || len(ex.Messages) != 3 || ex.Messages[1].ToolCalls[0].Name != "web_search" {
		t.Errorf("export json: %v %+v", err, r)
	}
	if r := sessionsCLI(t, home, "sessions", "export", tg, "--format", "pdf"); r.code != 2 {
		t.Errorf("export --format pdf: %+v", r)
	}
}

func TestSessionsDeletePrune(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	old, tg := seedSessions(t, home)
	if r := sessionsCLI(t, home, "sessions", "delete", tg); r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("delete without --yes: %+v", r)
	}
	if r := sessionsCLI(t, home, "sessions", "delete", tg, "--yes"); r.code != 0 || !strings.Contains(r.stdout, "deleted session "+tg) {
		t.Errorf("delete --yes: %+v", r)
	}
	if r := sessionsCLI(t, home, "sessions", "search", "lyon"); r.stdout != "no matches\n" {
		t.Errorf("deleted session still found: %+v", r)
	}
	for _, bad := range []string{"30", "-3d", "xd", "soon"} {
		if r := sessionsCLI(t, home, "sessions", "prune", "--older-than", bad); r.code != 2 {
			t.Errorf("prune --older-than %s: %+v", bad, r)
		}
	}
	if r := sessionsCLI(t, home, "sessions", "prune"); r.code != 2 || !strings.Contains(r.stderr, "--older-than 30d") {
		t.Errorf("prune without an age: %+v", r)
	}
	if r := sessionsCLI(t, home, "sessions", "prune", "--older-than", "50d"); r.code != 0 || !strings.Contains(r.stdout, "pruned 0 sessions") {
		t.Errorf("prune 50d: %+v", r)
	}
	if r := sessionsCLI(t, home, "sessions", "prune", "50d"); r.code != 0 || !strings.Contains(r.stdout, "pruned 0 sessions") {
		t.Errorf("prune 50d as an argument: %+v", r)
	}
	if r := sessionsCLI(t, home, "sessions", "prune", "soon"); r.code != 2 || !strings.Contains(r.stderr, `age "soon"`) {
		t.Errorf("prune soon: %+v", r)
	}
	if r := sessionsCLI(t, home, "sessions", "prune", "30d", "--older-than", "2d"); r.code != 2 || !strings.Contains(r.stderr, "two ages") {
		t.Errorf("prune with two ages: %+v", r)
	}
	if r := sessionsCLI(t, home, "sessions", "prune", "30d"); r.code != 0 || !strings.Contains(r.stdout, "pruned 1 session ") {
		t.Errorf("prune 30d: %+v", r)
	}
	if r := sessionsCLI(t, home, "sessions", "show", old); r.code != 1 {
		t.Errorf("pruned session still shown: %+v", r)
	}
}

func TestParseAge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true}, {"0d", 0, true}, {"12h", 12 * time.Hour, true}, {"90m", 90 * time.Minute, true},
		{"30", 0, false}, {"-1d", 0, false}, {"-1h", 0, false}, {"1.5d", 0, false}, {"d", 0, false}, {"99999d", 0, false},
	}
	for _, tt := range tests {
		got, err := parseAge(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseAge(%q) = %v, %v", tt.in, got, err)
		}
	}
}
