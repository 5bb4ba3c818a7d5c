package migrate

import (
	"context"
	"os"
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

func TestMigrateOpenClaw(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	copyTree(t, "testdata/openclaw-home", src)
	before := snapshot(t, src, nil)
	h := newHome(t)

	r := run(t, h, src, "", false, false)
	if r.From != FromOpenClaw || !r.Detected || r.Counts.Failed != 0 {
		t.Fatalf("from %q detected %v:\n%s", r.From, r.Detected, dump(r))
	}
	sameSnapshot(t, "source", before, snapshot(t, src, nil))

	loaded, err := config.Load(h.Path(home.ConfigFile))
	if err != nil {
		t.Fatalf("the written config does not load: %v", err)
	}
	c := loaded.Config
	if c.Model.Default != "claude-opus-4-5" || c.Model.Provider != "anthropic" || !c.Platforms.Telegram.Enabled ||
		c.Platforms.Telegram.UnauthorizedDMBehavior != "pair" || c.Providers["local"].BaseURL != "http://127.0.0.1:8000/v1" ||
		c.Providers["local"].KeyEnv != "LOCAL_KEY" || c.Providers["local"].APIMode != "chat_completions" {
		t.Errorf("config: %+v", c)
	}
	if it := want(t, r, "config", "gateway.port", NoEquivalent); !strings.HasSuffix(it.Where, "openclaw.json:26") {
		t.Errorf("gateway.port at %q, want openclaw.json:26", it.Where)
	}
	want(t, r, "config", "agents.defaults.model.fallbacks", NoEquivalent)

	env, _, err := config.LoadEnv(h.Path(home.EnvFile))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{
		"TELEGRAM_BOT_TOKEN":     "123456:fixture-claw-telegram-000000000000",
		"TELEGRAM_ALLOWED_USERS": "111,222",
		"ANTHROPIC_API_KEY":      "sk-ant-api03-fixture-00000000000000000000000000",
	} {
		if got, _ := env.Lookup(name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	want(t, r, "env", "OPENCLAW_GATEWAY_TOKEN", NoEquivalent)
	if strings.Contains(dump(r), "fixture-claw-telegram") {
		t.Error("a secret is in the report")
	}

	pools, _ := pool.Open(h.Path(home.AuthFile), nil).Pools()
	if e := pools["anthropic"].Entries; len(e) != 1 || e[0].Label != "default" {
		t.Errorf("anthropic pool: %+v", e)
	}
	want(t, r, "auth", "openai-codex:me", NoEquivalent)

	for f, from := range map[string]string{"SOUL.md": "workspace/SOUL.md", "memories/USER.md": "workspace/USER.md",
		"memories/MEMORY.md": "workspace/MEMORY.md", "skills/openclaw/weather/SKILL.md": "workspace/skills/weather/SKILL.md"} {
		a, _ := os.ReadFile("testdata/openclaw-home/" + from)
		b, err := os.ReadFile(h.Path(f))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s not copied from %s: %v", f, from, err)
		}
	}
	want(t, r, "file", "AGENTS.md", NoEquivalent)
	want(t, r, "memory", "memory/*.md", NoEquivalent)

	js, _ := cron.OpenJobs(h.Path(home.CronDir))
	jobs, _ := js.List()
	byName := map[string]cron.Job{}
	for _, j := range jobs {
		byName[j.Name] = j
	}
	if m := byName["Morning brief"]; m.Deliver != "telegram:111" || m.Schedule.Expr != "0 7 * * *" || m.Prompt != "Brief me on today." {
		t.Errorf("Morning brief: %+v", m)
	}
	if hj := byName["Hourly check"]; hj.Schedule.Kind != cron.KindInterval || hj.Schedule.Expr != "1h0m0s" || hj.Deliver != "local" {
		t.Errorf("Hourly check: %+v", hj)
	}
	want(t, r, "cron", "Poke main", NoEquivalent)

	ps := pairing.Open(h.Path(home.PairingDir))
	for _, u := range []string{"111", "444"} {
		if ok, _ := ps.IsApproved("telegram", u); !ok {
			t.Errorf("telegram %s not approved", u)
		}
	}

	st, err := store.Open(h.Path(home.StateDB), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, _ := st.List(context.Background(), store.ListOptions{Limit: 10})
	if len(list) != 2 {
		t.Fatalf("%d sessions", len(list))
	}
	for _, s := range list {
		msgs, _ := st.Messages(context.Background(), s.ID)
		switch s.Source {
		case "telegram":
			if len(msgs) != 4 || msgs[1].ToolCalls[0].Name != "web_search" || msgs[1].ToolCalls[0].Arguments != `{"query":"Lisbon weather"}` ||
				msgs[2].Role != llm.RoleTool || msgs[2].Content != "Sunny, 18C" || msgs[3].Content != "Sunny and 18C in Lisbon." {
				t.Errorf("telegram session: %+v", msgs)
			}
		case "cli":
			if len(msgs) != 2 || msgs[0].Content != "Remind me what we planned." {
				t.Errorf("cli session: %+v", msgs)
			}
		default:
			t.Errorf("session source %q", s.Source)
		}
	}
	st.Close()

	again := run(t, h, src, FromOpenClaw, false, false)
	if !again.NothingToDo() {
		t.Fatalf("second run is not a no-op:\n%s", dump(again))
	}
}
