package cli

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/llmtest"
)

// hermesEnv runs the real command tree with the variables in vars.
func hermesEnv(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb, func(k string) string { return vars[k] })
	return result{out.String(), errb.String(), code}
}

// receiver is a webhook endpoint on 127.0.0.1 that keeps what it got.
type receiver struct {
	mu   sync.Mutex
	msgs []map[string]any
	sigs []string
	tss  []string
	body [][]byte
}

func newReceiver(t *testing.T) (*receiver, string) {
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			http.Error(w, "bad json", 400)
			return
		}
		r.mu.Lock()
		r.msgs, r.sigs, r.body = append(r.msgs, m), append(r.sigs, req.Header.Get("X-Hermes-Signature-256")), append(r.body, b)
		r.tss = append(r.tss, req.Header.Get("X-Hermes-Timestamp"))
		r.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL + "/hook"
}

func (r *receiver) all() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.msgs...)
}

// The seed's scenario: a weekly job delivers to a webhook; the key is
// replaced by one the provider rejects; the next run is error with the
// provider's message, the failure reaches the receiver, failure_streak is
// 1 and cron status shows it; with the key fixed the recovery arrives.
func TestCronSeedScenario(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Key: "sk-good"}, Times: -1, Response: llmtest.Response{Text: "FINAL_CRON_OUTPUT: weekly report: all green"}},
		{Match: llmtest.Match{Key: "sk-revoked"}, Times: -1, Response: llmtest.Response{Status: 401, Error: "Incorrect API key provided: sk-revo****"}},
	}})
	rcv, url := newReceiver(t)
	home := chatHome(t, srv, "agent:\n  api_max_retries: 0\ncron:\n  webhook_secret_env: HOOK_SECRET\n")
	writeFile(t, filepath.Join(home, ".env"), "HOOK_SECRET=s3cret-hook-value\n", 0o600)
	vars := map[string]string{"HERMES_HOME": home, chatKeyEnv: "sk-good"}

	r := hermesEnv(t, vars, "cron", "create", "every monday 9am", "write the weekly report", "--name", "weekly", "--deliver", "webhook:"+url, "--json")
	if r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	var job map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &job); err != nil || job["id"] == "" || job["next_run_at"] == nil || job["model"] != "scripted-model" {
		t.Fatalf("create --json: %v %s", err, r.stdout)
	}

	if r := hermesEnv(t, vars, "cron", "run", "weekly"); r.code != 0 || !strings.Contains(r.stdout, ": ok") {
		t.Fatalf("first run: %+v", r)
	}
	vars[chatKeyEnv] = "sk-revoked"
	r = hermesEnv(t, vars, "cron", "run", "weekly")
	if r.code != 1 || !strings.Contains(r.stdout, "error") || !strings.Contains(r.stdout, "Incorrect API key") {
		t.Fatalf("run with a revoked key: %+v", r)
	}
	r = hermesEnv(t, vars, "cron", "status", "--json")
	var st []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st) != 1 {
		t.Fatalf("status --json: %v %+v", err, r)
	}
	if st[0]["last_status"] != "error" || st[0]["failure_streak"] != 1.0 || !strings.Contains(st[0]["last_error"].(string), "Incorrect API key") ||
		st[0]["name"] != "weekly" || st[0]["last_delivery_error"] != "" {
		t.Fatalf("status after the failure: %v", st[0])
	}
	vars[chatKeyEnv] = "sk-good"
	if r := hermesEnv(t, vars, "cron", "run", "weekly"); r.code != 0 {
		t.Fatalf("run after the fix: %+v", r)
	}
	msgs := rcv.all()
	if len(msgs) != 3 {
		t.Fatalf("the receiver got %d messages, want 3: %v", len(msgs), msgs)
	}
	want := []struct{ status, text, err string }{{"ok", "weekly report: all green", ""}, {"error", "", "Incorrect API key"}, {"ok", "weekly report: all green", ""}}
	for i, w := range want {
		m := msgs[i]
		if m["status"] != w.status || m["text"] != w.text || !strings.Contains(m["error"].(string), w.err) || m["job_id"] != job["id"] || m["name"] != "weekly" || m["run_id"] == "" {
			t.Fatalf("message %d = %v, want %+v", i, m, w)
		}
	}
	if msgs[2]["recovered"] != true {
		t.Fatalf("the recovery is not marked: %v", msgs[2])
	}
	mac := hmac.New(sha256.New, []byte("s3cret-hook-value"))
	mac.Write([]byte(rcv.tss[0] + "."))
	mac.Write(rcv.body[0])
	if rcv.sigs[0] != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
		t.Fatalf("signature %q", rcv.sigs[0])
	}
	r = hermesEnv(t, vars, "cron", "incidents", "--all", "--json")
	var incs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &incs); err != nil || len(incs) != 1 || incs[0]["resolved_at"] == nil ||
		!strings.Contains(incs[0]["signature"].(string), "Incorrect API key") {
		t.Fatalf("incidents: %v %+v", err, r)
	}
	if r := hermesEnv(t, vars, "cron", "incidents"); r.code != 0 || !strings.Contains(r.stdout, "no open incidents") {
		t.Fatalf("open incidents after the recovery: %+v", r)
	}
	if r := hermesEnv(t, vars, "cron", "incidents", "ack", incs[0]["id"].(string)); r.code != 0 || !strings.Contains(r.stdout, "acknowledged") {
		t.Fatalf("ack: %+v", r)
	}
	if r := hermesEnv(t, vars, "cron", "incidents", "ack"); r.code != 2 {
		t.Fatalf("ack without id: %+v", r)
	}
	r = hermesEnv(t, vars, "cron", "history", "weekly", "--json")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) != 3 || runs[1]["Status"] != "error" {
		t.Fatalf("history: %v %s", err, r.stdout)
	}
}

// A rate limit that outlasts the retries is error with the provider's
// message, over the real wire, never ok.
func TestCronRateLimitIsError(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Times: -1, Response: llmtest.Response{Status: 429, Error: "Rate limit reached for requests"}},
	}})
	home := chatHome(t, srv, "agent:\n  api_max_retries: 0\n")
	vars := map[string]string{"HERMES_HOME": home, chatKeyEnv: "k"}
	if r := hermesEnv(t, vars, "cron", "create", "1h", "poll", "--name", "p"); r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	r := hermesEnv(t, vars, "cron", "run", "p", "--json")
	var rec map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || r.code != 1 {
		t.Fatalf("run: %v %+v", err, r)
	}
	if rec["status"] != "error" || !strings.Contains(rec["error"].(string), "Rate limit reached") {
		t.Fatalf("a 429 recorded as %v", rec)
	}
}

// The daemon is one per home: a second one is refused, naming the holder.
func TestCronDaemonOnePerHome(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lock, err := fileutil.LockFile(context.Background(), filepath.Join(dir, "cron.lock"), fileutil.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	lock.WritePID()
	r := hermesEnv(t, map[string]string{"HERMES_HOME": dir}, "cron", "daemon")
	if r.code != 1 || !strings.Contains(r.stderr, "another scheduler runs this home") || !strings.Contains(r.stderr, "pid") {
		t.Fatalf("second daemon: %+v", r)
	}
	writeFile(t, filepath.Join(dir, "config.yaml"), "cron:\n  enabled: false\n", 0o600)
	lock.Unlock()
	if r := hermesEnv(t, map[string]string{"HERMES_HOME": dir}, "cron", "daemon"); r.code != 1 || !strings.Contains(r.stderr, "cron.enabled") {
		t.Fatalf("disabled daemon: %+v", r)
	}
}

func TestCronBlockedConfigNoKey(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{{Times: -1, Response: llmtest.Response{Text: "should not be asked"}}}})
	srv.AllowUnused()
	home := chatHome(t, srv, "")
	vars := map[string]string{"HERMES_HOME": home}
	if r := hermesEnv(t, vars, "cron", "create", "30m", "check things", "--name", "c"); r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	r := hermesEnv(t, vars, "cron", "run", "c")
	if r.code != 1 || !strings.Contains(r.stdout, "blocked_config") || !strings.Contains(r.stdout, chatKeyEnv) {
		t.Fatalf("run without a key: %+v", r)
	}
	if !strings.Contains(r.stderr, "blocked_config") {
		t.Fatalf("a local failure is not written to stderr: %q", r.stderr)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d model requests while blocked", n)
	}
}

func TestCronCLI(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{{Times: -1, Response: llmtest.Response{Text: "done"}}}})
	home := chatHome(t, srv, "cron:\n  timezone: Europe/Berlin\n")
	vars := map[string]string{"HERMES_HOME": home, chatKeyEnv: "k"}
	steps := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"cron", "list"}, 0, "no jobs"},
		{[]string{"cron", "create", "sometimes", "x"}, 2, "accepted schedules:"},
		{[]string{"cron", "create", "weekdays at 9am", "daily digest", "--name", "digest"}, 0, "created"},
		{[]string{"cron", "create", "1h", "again", "--name", "DIGEST"}, 2, "choose another --name"},
		{[]string{"cron", "create", "1h", "x", "--deliver", "ftp:/x y"}, 2, "deliver"},
		{[]string{"cron", "create", "2020-01-01T09:00", "x"}, 2, "in the past"},
		{[]string{"cron", "list"}, 0, "weekdays at 9am"},
		{[]string{"cron", "edit", "digest", "--schedule", "every 2h"}, 0, "every 2h"},
		{[]string{"cron", "edit", "digest", "--concurrency", "often"}, 2, "forbid, allow or replace"},
		{[]string{"cron", "pause", "digest", "--reason", "holiday"}, 0, "paused digest"},
		{[]string{"cron", "pause", "nope"}, 1, "hermes cron list shows"},
		{[]string{"cron", "resume", "digest"}, 0, "resumed digest"},
		{[]string{"cron", "resume", "digest"}, 1, "not paused"},
		{[]string{"cron", "tick"}, 0, "nothing due"},
		{[]string{"cron", "run", "digest", "--json"}, 0, `"status": "ok"`},
		{[]string{"cron", "status"}, 0, "ok"},
		{[]string{"cron", "history"}, 0, "manual"},
		{[]string{"cron", "show", "digest"}, 0, `"every 2h"`},
		{[]string{"cron", "remove", "digest"}, 0, "removed"},
		{[]string{"cron", "list", "--json"}, 0, "[]"},
	}
	for _, s := range steps {
		r := hermesEnv(t, vars, s.args...)
		if r.code != s.code || !strings.Contains(r.stdout+r.stderr, s.out) {
			t.Fatalf("%v: code %d (want %d), out %q err %q, want %q", s.args, r.code, s.code, r.stdout, r.stderr, s.out)
		}
	}
	fi, err := os.Stat(filepath.Join(home, "cron", "jobs.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("jobs.json: %v %v", fi, err)
	}
}

// TestCronInterfaces checks the "interfaces other work relies on"
// through the real commands: create --json, status --json on a job that
// never ran, tick running what is due once, and run's exit code (0 only
// for ok: a result that could not be delivered is delivery_failed, 1).
func TestCronInterfaces(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{{Times: -1, Response: llmtest.Response{Text: "fine"}}}})
	home := chatHome(t, srv, "cron:\n  delivery_retries: 1\n")
	vars := map[string]string{"HERMES_HOME": home, chatKeyEnv: "k"}
	r := hermesEnv(t, vars, "cron", "create", "30m", "check", "--name", "c", "--deliver", "webhook:http://127.0.0.1:1/hook",
		"--failure-deliver", "local", "--json")
	var job map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &job); err != nil || r.code != 0 {
		t.Fatalf("create --json: %v %+v", err, r)
	}
	for _, k := range []string{"id", "name", "next_run_at"} {
		if job[k] == nil || job[k] == "" {
			t.Fatalf("create --json lacks %s: %s", k, r.stdout)
		}
	}
	status := func() map[string]any {
		t.Helper()
		r := hermesEnv(t, vars, "cron", "status", "--json")
		var st []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != 0 || len(st) != 1 {
			t.Fatalf("status --json: %v %+v", err, r)
		}
		return st[0]
	}
	st := status()
	for _, k := range []string{"id", "name", "last_status", "last_error", "failure_streak", "last_delivery_error", "next_run_at"} {
		if _, ok := st[k]; !ok {
			t.Fatalf("status --json of a job that never ran lacks %s: %v", k, st)
		}
	}
	r = hermesEnv(t, vars, "cron", "run", "c", "--json")
	var rec map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || r.code != 1 || rec["status"] != "delivery_failed" ||
		!strings.Contains(rec["delivery_error"].(string), "127.0.0.1:1") {
		t.Fatalf("run with an undeliverable result: %v %+v", err, r)
	}
	if !strings.Contains(r.stderr, "could not be delivered to webhook:") {
		t.Fatalf("the delivery failure did not reach failure_deliver (local, stderr): %q", r.stderr)
	}
	if st := status(); st["last_status"] != "delivery_failed" || st["failure_streak"] != 1.0 || st["last_delivery_error"] == "" {
		t.Fatalf("status after the delivery failure: %v", st)
	}
	if r := hermesEnv(t, vars, "cron", "edit", "c", "--deliver", "local"); r.code != 0 {
		t.Fatalf("edit: %+v", r)
	}
	// Make it due, by hand: tick runs it once, the next tick nothing.
	path := filepath.Join(home, "cron", "jobs.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string][]map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	f["jobs"][0]["next_run_at"] = time.Now().Add(-10 * time.Second).UTC().Format(time.RFC3339Nano)
	data, _ = json.Marshal(f)
	writeFile(t, path, string(data), 0o600)
	for i, want := range []int{1, 0} {
		r := hermesEnv(t, vars, "cron", "tick", "--json")
		var recs []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &recs); err != nil || r.code != 0 || len(recs) != want {
			t.Fatalf("tick %d: %v %+v", i, err, r)
		}
		if want == 1 && recs[0]["status"] != "ok" {
			t.Fatalf("tick ran %v", recs[0])
		}
	}
	if r := hermesEnv(t, vars, "cron", "run", "c"); r.code != 0 || !strings.Contains(r.stdout, ": ok") {
		t.Fatalf("run: %+v", r)
	}
	if r := hermesEnv(t, vars, "cron", "run", "nope"); r.code != 1 || !strings.Contains(r.stderr, "no such job") {
		t.Fatalf("run of a missing job: %+v", r)
	}
}

// The agent's cronjob tool runs a job now from a chat through the CLI's
// scheduler: the job's own turn is made, recorded with trigger tool and
// delivered, and the chat hears the status and output path.
func TestCronToolRunFromChat(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{ToolResult: true, Contains: "): ok"}, Response: text("It ran.")},
		{Match: llmtest.Match{Contains: "This is a scheduled job"}, Response: text("FINAL_CRON_OUTPUT: the weekly numbers")},
		{Match: llmtest.Match{Contains: "run the report now"}, Response: llmtest.Response{ToolCalls: []llmtest.ToolCall{
			call("c1", "cronjob", `{"action":"run","job":"report"}`)}}},
	}})
	rcv, url := newReceiver(t)
	home := chatHome(t, srv, "")
	vars := map[string]string{"HERMES_HOME": home, chatKeyEnv: "k"}
	if r := hermesEnv(t, vars, "cron", "create", "every monday 9am", "write the report", "--name", "report", "--deliver", "webhook:"+url); r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	r := hermesEnv(t, vars, "chat", "-q", "run the report now")
	if r.code != 0 || !strings.Contains(r.stdout, "It ran.") {
		t.Fatalf("chat: %+v", r)
	}
	if msgs := rcv.all(); len(msgs) != 1 || msgs[0]["text"] != "the weekly numbers" || msgs[0]["status"] != "ok" {
		t.Fatalf("delivered %v", msgs)
	}
	r = hermesEnv(t, vars, "cron", "history", "report", "--json")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) != 1 || runs[0]["Trigger"] != "tool" || runs[0]["Status"] != "ok" {
		t.Fatalf("history: %v %s", err, r.stdout)
	}
}
