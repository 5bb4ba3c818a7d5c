package migrate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/gateway/pairing"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/llm/pool"
	"github.com/hermes-go/hermes/internal/store"
)

const (
	fixtureORKey   = "sk-or-v1-fixture-0000000000000000000000000000000000"
	fixtureWorkKey = "sk-or-v1-fixture-pool-work-00000000000000000000"
)

func hermesSource(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	copyTree(t, "testdata/hermes-home", src)
	buildPyState(t, filepath.Join(src, home.StateDB))
	return src
}

func lockFile(rel string) bool { return strings.HasSuffix(rel, ".lock") }

func TestMigrateHermes(t *testing.T) {
	t.Parallel()
	src := hermesSource(t)
	before := snapshot(t, src, nil)
	h := newHome(t)
	empty := snapshot(t, h.Dir, lockFile)

	dry := run(t, h, src, "", true, false)
	if dry.From != FromHermes || !dry.Detected {
		t.Fatalf("detected %q (%v), want hermes", dry.From, dry.Detected)
	}
	if dry.Counts.WouldImport == 0 || dry.Counts.Imported != 0 {
		t.Fatalf("dry run counts %+v", dry.Counts)
	}
	sameSnapshot(t, "destination after --dry-run", empty, snapshot(t, h.Dir, lockFile))

	r := run(t, h, src, FromHermes, false, false)
	if r.Counts.Failed != 0 {
		t.Fatalf("failures:\n%s", dump(r))
	}
	if r.Counts.Imported != dry.Counts.WouldImport {
		t.Errorf("imported %d, the dry run said %d", r.Counts.Imported, dry.Counts.WouldImport)
	}
	sameSnapshot(t, "source", before, snapshot(t, src, nil))
	checkHermesResult(t, h, r)

	again := run(t, h, src, FromHermes, false, false)
	if !again.NothingToDo() || again.Counts.Imported != 0 {
		t.Fatalf("second run is not a no-op:\n%s", dump(again))
	}
	if !strings.Contains(dump(again), "Nothing to do") {
		t.Errorf("second run does not say nothing to do:\n%s", dump(again))
	}
	sameSnapshot(t, "source after the second run", before, snapshot(t, src, nil))
}

func checkHermesResult(t *testing.T, h *home.Home, r *Report) {
	t.Helper()
	// config
	want(t, r, "config", "model.default", Imported)
	want(t, r, "config", "terminal.docker_image", Imported)
	it := want(t, r, "config", "kanban.review_dispatch", NoEquivalent)
	if !strings.HasSuffix(it.Where, "config.yaml:33") {
		t.Errorf("kanban.review_dispatch is at %q, want config.yaml:33", it.Where)
	}
	want(t, r, "config", "terminal.lifetime_seconds", NoEquivalent)
	loaded, err := config.Load(h.Path(home.ConfigFile))
	if err != nil {
		t.Fatalf("the written config does not load: %v", err)
	}
	c := loaded.Config
	if c.Model.Default != "anthropic/claude-opus-4.6" || c.Model.Provider != "openrouter" || c.Terminal.Backend != "docker" ||
		c.Terminal.Docker.Image != "nousresearch/hermes-sandbox:desktop" || c.Compression.KeepLast != 20 || c.Agent.MaxTurns != 90 ||
		c.Providers["my-proxy"].KeyEnv != "MY_PROXY_KEY" {
		t.Errorf("config: %+v", c)
	}
	// .env: values come over, and are never in the report
	env, _, err := config.LoadEnv(h.Path(home.EnvFile))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := env.Lookup("OPENROUTER_API_KEY"); v != fixtureORKey {
		t.Errorf("OPENROUTER_API_KEY = %q", v)
	}
	if v, _ := env.Lookup("TELEGRAM_BOT_TOKEN"); v != "123456:fixture-telegram-token-000000000000" {
		t.Errorf("TELEGRAM_BOT_TOKEN = %q", v)
	}
	want(t, r, "env", "WANDB_API_KEY", NoEquivalent)
	if text := dump(r); strings.Contains(text, fixtureORKey) || strings.Contains(text, fixtureWorkKey) || strings.Contains(text, "fixture-telegram-token") {
		t.Errorf("a secret is in the report:\n%s", text)
	}
	if fi, err := os.Stat(h.Path(home.EnvFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf(".env mode: %v %v", fi, err)
	}
	// auth: the manual key comes over, the env one with .env, OAuth not at all
	pools, err := pool.Open(h.Path(home.AuthFile), nil).Pools()
	if err != nil {
		t.Fatal(err)
	}
	if e := pools["openrouter"].Entries; len(e) != 1 || e[0].Key != fixtureWorkKey || e[0].Label != "work" {
		t.Errorf("openrouter pool: %+v", e)
	}
	want(t, r, "auth", "nous me@example.com", NoEquivalent)
	// files
	for _, f := range []string{"SOUL.md", "memories/MEMORY.md", "memories/USER.md", "skills/devops/deploy-check/SKILL.md", "skills/devops/deploy-check/references/notes.md"} {
		a, _ := os.ReadFile(filepath.Join("testdata/hermes-home", f))
		b, err := os.ReadFile(h.Path(f))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s not copied: %v", f, err)
		}
	}
	checkHermesCron(t, h, r)
	checkHermesSessions(t, h)
	ps := pairing.Open(h.Path(home.PairingDir))
	for _, u := range []string{"111", "333"} {
		if ok, err := ps.IsApproved("telegram", u); !ok || err != nil {
			t.Errorf("telegram user %s not approved: %v", u, err)
		}
	}
}

func checkHermesCron(t *testing.T, h *home.Home, r *Report) {
	t.Helper()
	js, _ := cron.OpenJobs(h.Path(home.CronDir))
	jobs, err := js.List()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]cron.Job{}
	for _, j := range jobs {
		byName[j.Name] = j
	}
	m := byName["morning brief"]
	if m.ID != "a1b2c3d4e5f6" || m.Schedule.Kind != cron.KindCron || m.Schedule.Expr != "0 9 * * *" ||
		m.Deliver != "origin" || m.Origin != "telegram:111" || m.NextRunAt == nil || !m.Enabled {
		t.Errorf("morning brief: %+v", m)
	}
	d := byName["disk watch"]
	if d.Schedule.Kind != cron.KindInterval || d.Schedule.Expr != "30m0s" || d.Enabled || d.State != cron.StatePaused {
		t.Errorf("disk watch: %+v", d)
	}
	if len(jobs) != 2 {
		t.Errorf("%d jobs, want 2", len(jobs))
	}
	want(t, r, "cron", "backup script", NoEquivalent)
	if it := want(t, r, "cron", "weird", NoEquivalent); !strings.Contains(it.Reason, "lunar") {
		t.Errorf("weird job reason: %q", it.Reason)
	}
}

func checkHermesSessions(t *testing.T, h *home.Home) {
	t.Helper()
	st, err := store.Open(h.Path(home.StateDB), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	list, err := st.List(ctx, store.ListOptions{Limit: 10})
	if err != nil || len(list) != 2 {
		t.Fatalf("sessions: %v %v", list, err)
	}
	var first, second store.Session
	for _, s := range list {
		if s.Source == "cli" {
			first = s
		} else {
			second = s
		}
	}
	if first.Title != "Deploy plan" || first.InputTokens != 1200 || !strings.HasPrefix(first.ID, "20261120-100000-") {
		t.Errorf("first session: %+v", first)
	}
	if second.Source != "telegram" || second.ParentID != first.ID {
		t.Errorf("second session: %+v (parent want %s)", second, first.ID)
	}
	msgs, err := st.Messages(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 || msgs[0].Role != llm.RoleUser || len(msgs[1].ToolCalls) != 1 ||
		msgs[1].ToolCalls[0].Name != "terminal" || msgs[1].ToolCalls[0].Arguments != `{"command":"git log -1"}` ||
		msgs[2].Role != llm.RoleTool || msgs[2].ToolCallID != "call_9" || msgs[3].Content != "Deploy to staging first, then production." {
		t.Errorf("messages: %+v", msgs)
	}
}

func TestConflictsNeedForce(t *testing.T) {
	t.Parallel()
	src := hermesSource(t)
	h := newHome(t)
	ours := []byte("My own soul.\n")
	if err := os.WriteFile(h.Path(home.SoulFile), ours, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := config.Set(h.Path(home.ConfigFile), "agent.max_turns", "40"); err != nil {
		t.Fatal(err)
	}
	oldEnv := "# mine\nOPENROUTER_API_KEY=sk-or-v1-mine-0000000000000000000000000\nKEEP_ME=1\n"
	if err := os.WriteFile(h.Path(home.EnvFile), []byte(oldEnv), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, h, src, FromHermes, false, false)
	want(t, r, "env", "OPENROUTER_API_KEY", Skipped)
	if it := want(t, r, "soul", "SOUL.md", Skipped); !strings.Contains(it.Reason, "--force") {
		t.Errorf("reason %q does not mention --force", it.Reason)
	}
	want(t, r, "config", "agent.max_turns", Skipped)
	if b, _ := os.ReadFile(h.Path(home.SoulFile)); string(b) != string(ours) {
		t.Fatalf("SOUL.md overwritten without --force")
	}
	f := run(t, h, src, FromHermes, false, true)
	want(t, f, "soul", "SOUL.md", Imported)
	want(t, f, "config", "agent.max_turns", Imported)
	want(t, f, "env", "OPENROUTER_API_KEY", Imported)
	env, _, _ := config.LoadEnv(h.Path(home.EnvFile))
	if v, _ := env.Lookup("OPENROUTER_API_KEY"); v != fixtureORKey {
		t.Errorf("OPENROUTER_API_KEY not replaced: %q", v)
	}
	if v, _ := env.Lookup("KEEP_ME"); v != "1" {
		t.Errorf("KEEP_ME lost")
	}
	if b, _ := os.ReadFile(filepath.Join(f.BackupDir, ".env")); !strings.HasPrefix(string(b), oldEnv) {
		t.Errorf("the old .env is not in the backup: %q", b)
	}
	if f.BackupDir == "" || f.BackupDir == r.BackupDir {
		t.Fatalf("backup dirs: %q then %q", r.BackupDir, f.BackupDir)
	}
	if b, err := os.ReadFile(filepath.Join(f.BackupDir, "SOUL.md")); err != nil || string(b) != string(ours) {
		t.Errorf("the old SOUL.md is not in the backup: %q %v", b, err)
	}
	if b, _ := os.ReadFile(h.Path(home.SoulFile)); !strings.Contains(string(b), "terse and careful") {
		t.Errorf("SOUL.md not replaced with --force: %q", b)
	}
}

func TestSourceIsOurHome(t *testing.T) {
	t.Parallel()
	h := newHome(t)
	_, err := Run(context.Background(), Options{Source: h.Dir, Home: h})
	if err == nil || !strings.Contains(err.Error(), "active hermes home") {
		t.Fatalf("got %v", err)
	}
	if _, err := ResolveSource(FromHermes, "", filepath.Dir(h.Root), &home.Home{Root: filepath.Join(filepath.Dir(h.Root), ".hermes"), Dir: filepath.Join(filepath.Dir(h.Root), ".hermes")}); err == nil {
		t.Fatal("~/.hermes as both source and home accepted")
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dir, want string
	}{{"testdata/hermes-home", FromHermes}, {"testdata/openclaw-home", FromOpenClaw}} {
		got, err := Detect(tc.dir)
		if err != nil || got != tc.want {
			t.Errorf("Detect(%s) = %q, %v", tc.dir, got, err)
		}
	}
	if _, err := Detect(t.TempDir()); err == nil {
		t.Error("an empty folder was detected")
	}
}
