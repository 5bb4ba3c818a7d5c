package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/redact"
)

func TestMigrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var v int
	if err := s.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("fresh: version %d, %v; want %d", v, err, SchemaVersion())
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state.db mode: %v, %v; want 0600", fi.Mode(), err)
	}
	var mode string
	s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode %q, want wal", mode)
	}
	sess := newSession(t, s, Session{Title: "kept"})
	s.Close()

	s, err = Open(path, nil)
	if err != nil {
		t.Fatalf("re-open: %v", err)
	}
	var rows int
	s.db.QueryRow(`SELECT count(*) FROM schema_version`).Scan(&rows)
	if got, err := s.Session(ctx, sess.ID); err != nil || got.Title != "kept" || rows != 1 {
		t.Fatalf("re-open: %+v, %v, %d version rows", got, err, rows)
	}
	if _, err := s.db.Exec(`UPDATE schema_version SET version = ?`, SchemaVersion()+5); err != nil {
		t.Fatal(err)
	}
	s.Close()

	_, err = Open(path, nil)
	if err == nil || !strings.Contains(err.Error(), "upgrade hermes") {
		t.Fatalf("newer database: %v, want a refusal", err)
	}
}

func TestOpenBadPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "a?b", "state.db"), nil); err == nil {
		t.Error("a path with '?' opened")
	}
	if _, err := Open(filepath.Join(dir, "missing", "dir", "state.db"), nil); err == nil {
		t.Error("a path in a missing folder opened")
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTemp(t)
	sess := newSession(t, s, Session{Source: "telegram", Key: "telegram:42", Model: "m", Provider: "p"})
	if !strings.HasPrefix(sess.ID, sess.StartedAt.UTC().Format("20060102-150405")+"-") || len(sess.ID) != 22 {
		t.Errorf("id %q", sess.ID)
	}
	msgs := []llm.Message{
		user("list the files, please"),
		{Role: llm.RoleAssistant, Content: "Looking.", ToolCalls: []llm.ToolCall{
			{ID: "call_1", Name: "terminal", Arguments: `{"command":"ls -la"}`},
			{ID: "call_2", Name: "read_file", Arguments: `{"path":"a\nb"}`},
		}},
		{Role: llm.RoleTool, ToolCallID: "call_1", Content: "a.txt\nb.txt"},
		{Role: llm.RoleTool, ToolCallID: "call_2", Content: "no such file", IsError: true},
	}
	appendMsgs(t, s, sess.ID, msgs[:2]...)
	appendMsgs(t, s, sess.ID, msgs[2:]...)
	got, err := s.Messages(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, msgs) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, msgs)
	}
	recs, _ := s.Records(ctx, sess.ID)
	for i, r := range recs {
		if r.Seq != i+1 || r.CreatedAt.IsZero() || r.Tokens == 0 && r.Content != "" {
			t.Errorf("record %d: %+v", i, r)
		}
	}
	back, _ := s.Session(ctx, sess.ID)
	if back.MessageCount != 4 || back.Key != "telegram:42" || back.Ended() {
		t.Errorf("session after append: %+v", back)
	}
	if err := s.AppendMessages(ctx, sess.ID, user("ok"), llm.Message{Role: "system"}); err == nil {
		t.Error("a message with an unknown role was stored")
	}
	if n, _ := s.Messages(ctx, sess.ID); len(n) != 4 {
		t.Errorf("a failed append stored %d messages", len(n)-4)
	}
	if err := s.AppendMessages(ctx, "nope", user("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("append to a missing session: %v", err)
	}
	if _, err := s.Messages(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("messages of a missing session: %v", err)
	}
}

func TestSessionUpdates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTemp(t)
	sess := newSession(t, s, Session{})
	child := newSession(t, s, Session{ParentID: sess.ID})
	if _, err := s.CreateSession(ctx, Session{Source: "cli", ParentID: "missing"}); err == nil {
		t.Error("a session with a missing parent was created")
	}
	if _, err := s.CreateSession(ctx, Session{}); err == nil {
		t.Error("a session without a source was created")
	}
	must(t, s.AddUsage(ctx, sess.ID, llm.Usage{InputTokens: 100, OutputTokens: 20}, 0.5))
	must(t, s.AddUsage(ctx, sess.ID, llm.Usage{InputTokens: 1, OutputTokens: 2}, 0.25))
	must(t, s.SetTitle(ctx, sess.ID, "Fixing the build"))
	must(t, s.SetModel(ctx, sess.ID, "gpt-x", "openai"))
	must(t, s.EndSession(ctx, sess.ID))
	got, _ := s.Session(ctx, sess.ID)
	if got.InputTokens != 101 || got.OutputTokens != 22 || got.CostUSD != 0.75 || got.Title != "Fixing the build" ||
		got.Model != "gpt-x" || got.Provider != "openai" || !got.Ended() {
		t.Errorf("after updates: %+v", got)
	}
	first := got.EndedAt
	must(t, s.EndSession(ctx, sess.ID))
	if again, _ := s.Session(ctx, sess.ID); !again.EndedAt.Equal(first) {
		t.Error("ending twice moved the end time")
	}
	for name, err := range map[string]error{
		"usage": s.AddUsage(ctx, "x", llm.Usage{}, 0), "title": s.SetTitle(ctx, "x", "t"),
		"end": s.EndSession(ctx, "x"), "delete": s.Delete(ctx, "x"),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s on a missing session: %v", name, err)
		}
	}
	must(t, s.Delete(ctx, sess.ID))
	if c, err := s.Session(ctx, child.ID); err != nil || c.ParentID != "" {
		t.Errorf("child after its parent was deleted: %+v, %v", c, err)
	}
}

func TestResolveListLatest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTemp(t)
	base := time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC)
	a := newSession(t, s, Session{ID: "20261130-223000-aaaaaa", StartedAt: base})
	b := newSession(t, s, Session{ID: "20261130-223000-aabbbb", Source: "cron", StartedAt: base.Add(time.Minute)})
	c := newSession(t, s, Session{ID: "20261201-080000-cccccc", StartedAt: base.Add(time.Hour)})
	tests := []struct {
		in, want, err string
	}{
		{"latest", c.ID, ""},
		{a.ID, a.ID, ""},
		{"20261130-223000-aab", b.ID, ""},
		{"2026120", c.ID, ""},
		{"20261130-223000-aa", "", "ambiguous"},
		{"2025", "", "no such session"},
		{"zzz", "", "no such session"},
		{" ", "", "empty session id"},
	}
	for _, tt := range tests {
		got, err := s.ResolveID(ctx, tt.in)
		if got != tt.want || (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ResolveID(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
	if l, err := s.Latest(ctx, "cron"); err != nil || l.ID != b.ID {
		t.Errorf("Latest(cron) = %v, %v", l.ID, err)
	}
	if _, err := s.Latest(ctx, "telegram"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Latest(telegram): %v", err)
	}
	list, _ := s.List(ctx, ListOptions{})
	if ids(list) != c.ID+","+b.ID+","+a.ID {
		t.Errorf("List: %s", ids(list))
	}
	list, _ = s.List(ctx, ListOptions{Source: "cli", Limit: 1})
	if ids(list) != c.ID {
		t.Errorf("List(cli, 1): %s", ids(list))
	}
	list, _ = s.List(ctx, ListOptions{Since: base.Add(time.Second)})
	if ids(list) != c.ID+","+b.ID {
		t.Errorf("List(since): %s", ids(list))
	}
}

func ids(list []Session) string {
	var out []string
	for _, s := range list {
		out = append(out, s.ID)
	}
	return strings.Join(out, ",")
}

func TestPruneAndStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTemp(t)
	now := time.Now()
	old := newSession(t, s, Session{StartedAt: now.Add(-50 * 24 * time.Hour), EndedAt: now.Add(-40 * 24 * time.Hour)})
	oldOpen := newSession(t, s, Session{Source: "cron", StartedAt: now.Add(-50 * 24 * time.Hour)})
	recent := newSession(t, s, Session{StartedAt: now.Add(-2 * 24 * time.Hour), EndedAt: now.Add(-24 * time.Hour)})
	appendMsgs(t, s, old.ID, user("ancient history"), assistant("indeed"))
	appendMsgs(t, s, recent.ID, user("fresh news"))
	must(t, s.AddUsage(ctx, recent.ID, llm.Usage{InputTokens: 7, OutputTokens: 3}, 0.01))

	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sessions != 3 || st.Open != 1 || st.Messages != 3 || st.BySource["cli"] != 2 || st.BySource["cron"] != 1 ||
		st.InputTokens != 7 || st.OutputTokens != 3 || st.DBBytes == 0 {
		t.Errorf("stats: %+v", st)
	}
	n, err := s.Prune(ctx, 30*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("prune: %d, %v; want 1", n, err)
	}
	for id, want := range map[string]bool{old.ID: false, oldOpen.ID: true, recent.ID: true} {
		if _, err := s.Session(ctx, id); (err == nil) != want {
			t.Errorf("after prune, session %s present=%v, want %v", id, err == nil, want)
		}
	}
	if hits, _ := s.Search(ctx, "ancient", SearchOptions{}); len(hits) != 0 {
		t.Errorf("pruned messages still found: %+v", hits)
	}
	var left int
	s.db.QueryRow(`SELECT count(*) FROM messages WHERE session_id = ?`, old.ID).Scan(&left)
	if left != 0 {
		t.Errorf("%d messages of a pruned session left", left)
	}
}

func TestExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTemp(t)
	sess := newSession(t, s, Session{Title: "Export me", Model: "m1", Provider: "openai"})
	appendMsgs(t, s, sess.ID, user("hello"), llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
		{ID: "c1", Name: "terminal", Arguments: "{\"command\":\"echo ```\"}"}}},
		llm.Message{Role: llm.RoleTool, ToolCallID: "c1", Content: "```", IsError: true})
	var js strings.Builder
	must(t, s.Export(ctx, sess.ID, &js, FormatJSON))
	for _, want := range []string{`"title": "Export me"`, `"tool_call_id": "c1"`, `"seq": 3`, `"is_error": true`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("json export lacks %s:\n%s", want, js.String())
		}
	}
	var md strings.Builder
	must(t, s.Export(ctx, sess.ID, &md, FormatMarkdown))
	for _, want := range []string{"# Export me\n", "## user\n\nhello\n", "Tool call `terminal` (c1):\n\n````json\n", "## tool (result of c1), error"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown export lacks %q:\n%s", want, md.String())
		}
	}
	if err := s.Export(ctx, sess.ID, &md, "html"); err == nil {
		t.Error("format html accepted")
	}
	if err := s.Export(ctx, "nope", &md, FormatJSON); !errors.Is(err, ErrNotFound) {
		t.Errorf("export of a missing session: %v", err)
	}
}

// TestSecretsNeverStored writes secrets in every text field and then
// reads the raw bytes of every file of the database.
func TestSecretsNeverStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "state.db"), redact.Default())
	if err != nil {
		t.Fatal(err)
	}
	const key = "sk-proj-Zq8mW3xT5vL1nR7kP2sY9dF4gH6jK0aB"
	pemBody := "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
	pem := "-----BEGIN RSA PRIVATE KEY-----\n" + pemBody + "\nVbPJ1UuWLpX1aTHnmF2sG3sQcGzXvYbNtEJgEYn1ddKZxjsHnc0FhO1pmhKvEg0k\n-----END RSA PRIVATE KEY-----"
	sess := newSession(t, s, Session{Title: "key " + key})
	appendMsgs(t, s, sess.ID,
		user("my key is OPENAI_API_KEY="+key+" and my cert:\n"+pem),
		llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "c", Name: "terminal",
			Arguments: `{"command":"curl -H 'Authorization: Bearer ` + key + `' https://api.example.com"}`}}})
	must(t, s.SetTitle(ctx, sess.ID, "again "+key))
	got, _ := s.Messages(ctx, sess.ID)
	if !strings.Contains(got[0].Content, "BEGIN RSA PRIVATE KEY") || !strings.Contains(got[0].Content, "my key is") {
		t.Errorf("redaction lost the text around the secret: %q", got[0].Content)
	}
	s.Close()
	secrets := []string{key, key[8:30], pemBody, pemBody[10:40]}
	if found := secretsIn(t, dir, secrets); len(found) > 0 {
		t.Errorf("the database files hold %q", found)
	}

	// The control: without redaction the same check finds every secret.
	plain, _ := redact.New(redact.Options{Disabled: true})
	ctl := t.TempDir()
	s, err = Open(filepath.Join(ctl, "state.db"), plain)
	if err != nil {
		t.Fatal(err)
	}
	sess = newSession(t, s, Session{})
	appendMsgs(t, s, sess.ID, user(key+"\n"+pem))
	s.Close()
	if found := secretsIn(t, ctl, secrets); len(found) != len(secrets) {
		t.Errorf("control: found only %q", found)
	}
}

// secretsIn returns the secrets found in the raw bytes of the database
// files in dir (the database, its WAL and shared memory).
func secretsIn(t *testing.T, dir string, secrets []string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "state.db*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	var found []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range secrets {
			if strings.Contains(string(b), secret) {
				found = append(found, secret)
			}
		}
	}
	return found
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
