package doctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/cron"
	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/ops/backup"
	"github.com/hermes-go/hermes/internal/store"
)

// realisticHome builds the home of someone who has used hermes for
// months: a full config.yaml, .env, 20 cron jobs with history, a state.db
// of 3,000 messages in 100 sessions, 30 skills, memories near half full,
// SOUL.md, a second profile.
func realisticHome(tb testing.TB, dir string) *home.Home {
	tb.Helper()
	os.Chmod(dir, 0o700)
	h := &home.Home{Root: dir, Profile: home.DefaultProfile, Dir: dir}
	if err := h.Ensure(); err != nil {
		tb.Fatal(err)
	}
	cfg := baseConfig + `approvals:
  mode: manual
  unattended: deny
cron:
  enabled: true
memory:
  memory_char_limit: 4000
skills:
  enabled: true
mcp_servers:
  files:
    command: sh
    args: ["-c", "exit 0"]
    env:
      TOKEN: ${MCP_TOKEN}
agent:
  max_turns: 60
`
	writeTB(tb, h.Path("config.yaml"), cfg)
	writeTB(tb, h.Path(".env"), "PRIMARY_KEY=sk-one-value\nBACKUP_KEY=sk-two-value\nMCP_TOKEN=t0k3n\n# OLD_KEY=gone\n")
	writeTB(tb, h.Path("SOUL.md"), strings.Repeat("You are a careful assistant who explains what you do.\n", 40))
	var mem []string
	for i := range 30 {
		mem = append(mem, fmt.Sprintf("The user's project %d lives in ~/src/p%d and builds with make.", i, i))
	}
	writeTB(tb, h.Path("memories", "MEMORY.md"), strings.Join(mem, "\n§\n"))
	writeTB(tb, h.Path("memories", "USER.md"), "Prefers short answers.\n§\nWorks in UTC.")
	for i := range 30 {
		writeTB(tb, h.Path("skills", fmt.Sprintf("cat%d", i%5), fmt.Sprintf("skill-%d", i), "SKILL.md"),
			fmt.Sprintf("---\nname: skill-%d\ndescription: does task %d well\n---\n%s", i, i, strings.Repeat("Step: run the tests, read the output, fix the code.\n", 30)))
	}
	jobs, err := cron.OpenJobs(h.Path("cron"))
	if err != nil {
		tb.Fatal(err)
	}
	sch, _ := cron.Parse("every monday 9am", time.UTC, time.Now())
	jobs.Update(func(js []cron.Job) ([]cron.Job, error) {
		for i := range 20 {
			now := time.Now()
			js = append(js, cron.Job{ID: cron.NewID(), Name: fmt.Sprintf("job-%d", i), Prompt: "write the weekly report", Schedule: sch, Enabled: true,
				State: cron.StateScheduled, CreatedAt: now, LastRunAt: &now, LastStatus: cron.StatusOK, Deliver: "webhook:http://127.0.0.1:9/hook"})
		}
		return js, nil
	})
	cron.WriteHeartbeat(h.Path("cron"), time.Now())
	st, err := store.Open(h.Path("state.db"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	for i := range 100 {
		s, err := st.CreateSession(ctx, store.Session{Source: "cli", Model: "m"})
		if err != nil {
			tb.Fatal(err)
		}
		var msgs []llm.Message
		for j := range 30 {
			role := llm.RoleUser
			if j%2 == 1 {
				role = llm.RoleAssistant
			}
			msgs = append(msgs, llm.Message{Role: role, Content: fmt.Sprintf("message %d of session %d: %s", j, i, strings.Repeat("words about the build ", 20))})
		}
		if err := st.AppendMessages(ctx, s.ID, msgs...); err != nil {
			tb.Fatal(err)
		}
	}
	st.Close()
	backup.WriteRecord(h, backup.Record{Time: time.Now()})
	p := &home.Home{Root: dir, Profile: "work", Dir: filepath.Join(dir, "profiles", "work")}
	p.Ensure()
	writeTB(tb, p.Path("config.yaml"), baseConfig)
	writeTB(tb, p.Path(".env"), "PRIMARY_KEY=a\nBACKUP_KEY=b\n")
	backup.WriteRecord(p, backup.Record{Time: time.Now()})
	return h
}

func writeTB(tb testing.TB, path, data string) {
	tb.Helper()
	os.MkdirAll(filepath.Dir(path), 0o700)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkDoctor runs every offline check of a realistic home. Set
// HERMES_DOCTOR_BENCH_HOME to a folder to keep the home there (for
// timing the binary: bench/doctor.sh).
func BenchmarkDoctor(b *testing.B) {
	dir := os.Getenv("HERMES_DOCTOR_BENCH_HOME")
	if dir == "" {
		dir = b.TempDir()
	}
	h := realisticHome(b, dir)
	o := Options{Getenv: func(string) string { return "" }}
	rep := Run(context.Background(), Checks(h, o))
	if !rep.OK || rep.Warnings != 0 {
		b.Fatalf("the fixture is not green: %+v", rep.Issues())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Run(context.Background(), Checks(h, o))
	}
}

// TestRealisticHomeIsGreen keeps the benchmark's fixture honest.
func TestRealisticHomeIsGreen(t *testing.T) {
	t.Parallel()
	h := realisticHome(t, t.TempDir())
	rep := Run(context.Background(), Checks(h, Options{Getenv: func(string) string { return "" }}))
	if !rep.OK || rep.Warnings != 0 || len(rep.Checks) < 30 {
		t.Fatalf("%d rows, issues %+v", len(rep.Checks), rep.Issues())
	}
}
