package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/gateway/platforms/telegram/tgtest"
	"github.com/hermes-go/hermes/internal/llmtest"
)

// ppid reads a process's parent from /proc.
func ppid(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	n, _ := strconv.Atoi(f[1])
	return n
}

// TestGatewayE2ERestartDrainsAndResumes: `hermes gateway restart` with a
// slow turn in flight waits gateway.drain_timeout, cuts the turn off, and
// reports done only when the new gateway (not a child of the old) is
// healthy; the new gateway answers the message once, on the same session,
// and later messages continue that session.
func TestGatewayE2ERestartDrainsAndResumes(t *testing.T) {
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		// The first gateway's turn outlives the drain timeout.
		{Match: llmtest.Match{Contains: "slow question"}, Response: llmtest.Response{Text: "too late", Delay: llmtest.Duration(time.Minute)}},
		{Match: llmtest.Match{Contains: "slow question"}, Response: llmtest.Response{Text: "Answered after the restart."}},
		{Match: llmtest.Match{Contains: "follow-up"}, Response: llmtest.Response{Text: "Follow-up answer."}},
	}})
	tg := tgtest.New(t, tgToken)
	bin := chatBinary(t)
	home := telegramHome(t, srv, tg, "cron:\n  enabled: false\n", "TELEGRAM_ALLOWED_USERS=42")
	cfg, err := os.ReadFile(home + "/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "health_listen: 127.0.0.1:0\n", "health_listen: 127.0.0.1:0\n  drain_timeout: 1s\n", 1))
	if err := os.WriteFile(home+"/config.yaml", cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		out, err := chatCmd(bin, home, dir, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("hermes %v: %v\n%s\n%s", args, err, out, readLog(home))
		}
		return string(out)
	}
	defer chatCmd(bin, home, dir, "gateway", "stop").Run()
	run("gateway", "start")
	first := gatewayStatus(t, bin, home)

	user := tgtest.User{ID: 42, FirstName: "Ada"}
	tg.InjectMessage(tgtest.Message{From: &user, Text: "a slow question"})
	deadline := time.Now().Add(30 * time.Second)
	for chatRequests(srv) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the gateway never asked the model:\n%s", readLog(home))
		}
		time.Sleep(20 * time.Millisecond)
	}
	began := time.Now()
	out := run("gateway", "restart")
	if !strings.Contains(out, "stopped") || !strings.Contains(out, "running (pid") {
		t.Fatalf("restart: %s", out)
	}
	if took := time.Since(began); took < time.Second {
		t.Errorf("restart took %s: it did not wait for the drain", took)
	}
	second := gatewayStatus(t, bin, home)
	if !second.Running || second.PID == first.PID || !second.Platforms["telegram"].Connected {
		t.Fatalf("after restart: %+v (first pid %d): restart reported done before the new gateway was healthy\n%s\n%s", second, first.PID, out, readLog(home))
	}
	if p := ppid(t, second.PID); p == first.PID {
		t.Fatalf("the new gateway is a child of the old one")
	}
	if !strings.Contains(readLog(home), "interrupting 1 turn") {
		t.Errorf("no drain timeout logged:\n%s", readLog(home))
	}

	tg.Wait(t, "the answer after the restart", func() bool { return sentWith(tg, "Answered after the restart.") >= 1 })
	tg.InjectMessage(tgtest.Message{From: &user, Text: "a follow-up"})
	tg.Wait(t, "the follow-up answer", func() bool { return sentWith(tg, "Follow-up answer.") == 1 })
	if n := sentWith(tg, "Answered after the restart."); n != 1 {
		t.Fatalf("answered %d times:\n%s", n, readLog(home))
	}
	if n := sentWith(tg, "too late"); n != 0 {
		t.Fatalf("the cut-off turn's answer was sent %d times", n)
	}
	reqs := srv.Requests()
	var posts []llmtest.Request
	for _, r := range reqs {
		if r.Method == "POST" {
			posts = append(posts, r)
		}
	}
	if len(posts) != 3 {
		t.Fatalf("model requests: %d, want 3 (cut off, resumed, follow-up)", len(posts))
	}
	// The resumed turn says it was cut off; the follow-up continues the
	// same session (it carries the resumed answer in its history).
	if !strings.Contains(string(posts[1].Body), "gateway stopped while you were answering") {
		t.Errorf("the resumed turn has no note: %s", posts[1].Body)
	}
	if !strings.Contains(string(posts[2].Body), "Answered after the restart.") || !strings.Contains(string(posts[2].Body), "a slow question") {
		t.Errorf("the follow-up is not in the same session: %s", posts[2].Body)
	}
}

// readLog is the background gateways' output (gateway.log) and their log
// records (hermes.log, where a background gateway writes its lines).
func readLog(home string) string {
	var out []byte
	for _, f := range []string{"gateway.log", "hermes.log"} {
		b, _ := os.ReadFile(home + "/logs/" + f)
		out = append(out, b...)
	}
	return string(out)
}
