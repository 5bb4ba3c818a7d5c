package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/llmtest"
	"github.com/hermes-go/hermes/internal/ops/backup"
)

const greenConfig = `model:
  provider: custom
  default: scripted-model
  base_url: %BASE%
  key_env: PRIMARY_KEY
  auto_fallback: true
fallback_providers:
  - provider: custom
    model: backup-model
    base_url: http://127.0.0.1:9/v1
    key_env: BACKUP_KEY
terminal:
  backend: local
`

// greenHome is a home on which every offline check passes: private,
// complete, keys set, a fallback, a recent backup, local terminal.
func greenHome(t *testing.T, base string) string {
	t.Helper()
	dir := t.TempDir()
	if base == "" {
		base = "http://127.0.0.1:9/v1"
	}
	writeFile(t, filepath.Join(dir, "config.yaml"), strings.ReplaceAll(greenConfig, "%BASE%", base), 0o600)
	writeFile(t, filepath.Join(dir, ".env"), "PRIMARY_KEY=sk-primary-value-123\nBACKUP_KEY=sk-backup-value-456\n", 0o600)
	h := &home.Home{Root: dir, Profile: home.DefaultProfile, Dir: dir}
	if err := h.Ensure(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := backup.WriteRecord(h, backup.Record{Time: time.Now().UTC(), Path: filepath.Join(dir, "b.zip")}); err != nil {
		t.Fatal(err)
	}
	return dir
}

type doctorJSON struct {
	OK     bool `json:"ok"`
	Checks []struct {
		Name, Status, Message, Fix string
	} `json:"checks"`
	Failures int `json:"failures"`
	Warnings int `json:"warnings"`
}

func doctorReport(t *testing.T, dir string, env map[string]string, args ...string) (doctorJSON, result) {
	t.Helper()
	r := hermes(t, dir, env, append([]string{"doctor", "--json"}, args...)...)
	var rep doctorJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%+v", err, r)
	}
	return rep, r
}

func TestDoctorGreenHomePasses(t *testing.T) {
	t.Parallel()
	dir := greenHome(t, "")
	r := hermes(t, dir, nil, "doctor")
	if r.code != 0 || !strings.Contains(r.stdout, "All checks passed") || strings.Contains(r.stdout, "⚠") {
		t.Fatalf("green home: %+v", r)
	}
	rep, r := doctorReport(t, dir, nil, "--lint")
	if r.code != 0 || !rep.OK || rep.Failures != 0 || rep.Warnings != 0 || len(rep.Checks) < 15 {
		t.Fatalf("--json on a green home: %+v", rep)
	}
	// The raw JSON has every field of every row, fix included.
	var raw map[string]any
	json.Unmarshal([]byte(r.stdout), &raw)
	for _, k := range []string{"ok", "checks", "failures", "warnings"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("doctor --json lacks %q", k)
		}
	}
	row := raw["checks"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "status", "message", "fix"} {
		if _, ok := row[k]; !ok {
			t.Errorf("a check row lacks %q: %v", k, row)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state.db")); err == nil {
		t.Error("doctor created state.db")
	}
}

// Acceptance: a syntax error in config.yaml is shown at config.yaml:LINE:COL
// with ✗ and exit 1; once fixed, every check passes.
func TestDoctorConfigSyntaxError(t *testing.T) {
	t.Parallel()
	dir := greenHome(t, "")
	good, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	bad := strings.Replace(string(good), "  default: scripted-model\n", "  default: \"scripted-model\n", 1)
	writeFile(t, filepath.Join(dir, "config.yaml"), bad, 0o600)
	r := hermes(t, dir, nil, "doctor")
	if r.code != 1 || !regexp.MustCompile(`✗ config\s+config\.yaml:\d+:\d+: YAML syntax`).MatchString(r.stdout) {
		t.Fatalf("broken config: %+v", r)
	}
	if strings.Contains(r.stdout, "approvals") || strings.Contains(strings.ToLower(r.stdout), "defaults") {
		t.Fatalf("doctor speaks of defaults on a broken config: %s", r.stdout)
	}
	writeFile(t, filepath.Join(dir, "config.yaml"), string(good), 0o600)
	if r := hermes(t, dir, nil, "doctor"); r.code != 0 || !strings.Contains(r.stdout, "All checks passed") {
		t.Fatalf("after the fix: %+v", r)
	}
}

func TestDoctorUnknownKeyAndCommentedKey(t *testing.T) {
	t.Parallel()
	dir := greenHome(t, "")
	cfg, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	writeFile(t, filepath.Join(dir, "config.yaml"), string(cfg)+"aproovals:\n  mode: manual\n", 0o600)
	writeFile(t, filepath.Join(dir, ".env"), "# PRIMARY_KEY=sk-primary-value-123\nBACKUP_KEY=sk-backup-value-456\n", 0o600)
	r := hermes(t, dir, nil, "doctor")
	if r.code != 1 {
		t.Fatalf("code %d: %s", r.code, r.stdout)
	}
	if !strings.Contains(r.stdout, "did you mean approvals") {
		t.Errorf("no did-you-mean for the unknown key: %s", r.stdout)
	}
	if !strings.Contains(r.stdout, "PRIMARY_KEY (the key of custom/scripted-model) is commented out in .env line 1") {
		t.Errorf("a commented-out key counted as configured: %s", r.stdout)
	}
	if strings.Contains(r.stdout, "sk-primary-value-123") {
		t.Errorf("a key reached the output: %s", r.stdout)
	}
}

func TestDoctorLintExitsOnWarnings(t *testing.T) {
	t.Parallel()
	dir := greenHome(t, "")
	os.Remove(filepath.Join(dir, backup.RecordFile))
	if r := hermes(t, dir, nil, "doctor"); r.code != 0 || !strings.Contains(r.stdout, "⚠ backup") || !strings.Contains(r.stdout, "1 issue(s) to address") {
		t.Fatalf("warning without --lint: %+v", r)
	}
	if r := hermes(t, dir, nil, "doctor", "--lint"); r.code != 1 {
		t.Fatalf("--lint with a warning: %+v", r)
	}
}

func TestDoctorFix(t *testing.T) {
	t.Parallel()
	dir := greenHome(t, "")
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Join(dir, ".env"), 0o644)
	os.RemoveAll(filepath.Join(dir, "skills"))
	writeFile(t, filepath.Join(dir, "auth.json"), "{}", 0o644)
	// A pid file of a process that is gone; pid 2^22-1 is above Linux's
	// default pid_max on this machine's kernel configuration only when
	// unused, so find a dead pid instead.
	dead := deadPID(t)
	writeFile(t, filepath.Join(dir, "gateway.pid"), dead+"\n", 0o600)
	r := hermes(t, dir, nil, "doctor")
	if r.code != 1 || !strings.Contains(r.stdout, ".env is readable by others") || !strings.Contains(r.stdout, "stale gateway.pid") {
		t.Fatalf("before --fix: %+v", r)
	}
	r = hermes(t, dir, nil, "doctor", "--fix")
	for _, want := range []string{"fixed: created " + filepath.Join(dir, "skills"), "fixed: chmod 0700 " + dir, "fixed: chmod 0600 " + filepath.Join(dir, ".env"),
		"fixed: chmod 0600 " + filepath.Join(dir, "auth.json"), "fixed: removed stale " + filepath.Join(dir, "gateway.pid")} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--fix did not say %q:\n%s", want, r.stdout)
		}
	}
	if r.code != 0 || !strings.Contains(r.stdout, "All checks passed") {
		t.Fatalf("after --fix: %+v", r)
	}
	if r := hermes(t, dir, nil, "doctor", "--fix"); !strings.Contains(r.stdout, "nothing needed a safe repair") {
		t.Fatalf("second --fix: %s", r.stdout)
	}
}

// deadPID returns a pid with no process.
func deadPID(t *testing.T) string {
	t.Helper()
	for pid := 4_000_000; pid > 3_000_000; pid -= 7919 {
		if _, err := os.Stat("/proc/" + itoa(pid)); os.IsNotExist(err) {
			return itoa(pid)
		}
	}
	t.Skip("no free pid found")
	return ""
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Acceptance: the seed's cron scenario. The provider's key is replaced
// by one it rejects (401), the job's run fails, and the doctor names the
// job and its error and exits 1.
func TestDoctorCronSeedScenario(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Key: "sk-good"}, Times: -1, Response: llmtest.Response{Text: "FINAL_CRON_OUTPUT: all green"}},
		{Match: llmtest.Match{Key: "sk-revoked"}, Times: -1, Response: llmtest.Response{Status: 401, Error: "Incorrect API key provided: sk-revo****"}},
	}})
	rcv, url := newReceiver(t)
	dir := greenHome(t, srv.OpenAIBaseURL())
	cfg, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	writeFile(t, filepath.Join(dir, "config.yaml"), string(cfg)+"agent:\n  api_max_retries: 0\n", 0o600)
	vars := map[string]string{"PRIMARY_KEY": "sk-good"}
	if r := hermes(t, dir, vars, "cron", "create", "every monday 9am", "write the weekly report", "--name", "weekly", "--deliver", "webhook:"+url); r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	if r := hermes(t, dir, vars, "cron", "run", "weekly"); r.code != 0 {
		t.Fatalf("first run: %+v", r)
	}
	vars["PRIMARY_KEY"] = "sk-revoked"
	if r := hermes(t, dir, vars, "cron", "run", "weekly"); r.code != 1 {
		t.Fatalf("run with the revoked key: %+v", r)
	}
	if len(rcv.all()) != 2 {
		t.Fatalf("the receiver got %d messages", len(rcv.all()))
	}
	r := hermes(t, dir, vars, "doctor")
	if r.code != 1 || !regexp.MustCompile(`✗ cron jobs\s+job "weekly" \([0-9a-f]{12}\) failed its last run: error: .*401.*Incorrect API key`).MatchString(r.stdout) {
		t.Fatalf("doctor after the failed run: %+v", r)
	}
	if !strings.Contains(r.stdout, "provider refused the key") {
		t.Errorf("no fix naming the key: %s", r.stdout)
	}
	rep, _ := doctorReport(t, dir, vars)
	found := false
	for _, c := range rep.Checks {
		if c.Name == "cron jobs" && c.Status == "fail" && strings.Contains(c.Message, "weekly") {
			found = true
		}
	}
	if !found || rep.OK {
		t.Fatalf("--json: %+v", rep)
	}
}

// --live sends one request per provider; a 401 is an invalid key.
func TestDoctorLiveInvalidKey(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, llmtest.Script{Steps: []llmtest.Step{
		{Match: llmtest.Match{Key: "sk-primary-value-123"}, Times: -1, Response: llmtest.Response{Status: 401, Error: "Incorrect API key provided"}},
		{Match: llmtest.Match{Key: "sk-backup-value-456"}, Times: -1, Response: llmtest.Response{Text: "OK"}},
	}})
	dir := greenHome(t, srv.OpenAIBaseURL())
	cfg, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	writeFile(t, filepath.Join(dir, "config.yaml"), strings.Replace(string(cfg), "http://127.0.0.1:9/v1", srv.OpenAIBaseURL(), 1), 0o600)
	if r := hermes(t, dir, nil, "doctor"); r.code != 0 {
		t.Fatalf("offline doctor sends nothing and passes: %+v", r)
	}
	r := hermes(t, dir, nil, "doctor", "--live")
	if r.code != 1 || !regexp.MustCompile(`✗ provider custom/scripted-model\s+primary: invalid key \(401 from 127\.0\.0\.1:\d+\)`).MatchString(r.stdout) ||
		!regexp.MustCompile(`✓ provider custom/backup-model\s+fallback 1 answered in`).MatchString(r.stdout) {
		t.Fatalf("--live: %+v", r)
	}
	if !strings.Contains(r.stdout, "replace PRIMARY_KEY in .env") {
		t.Errorf("no fix: %s", r.stdout)
	}
}

// The gateway rows come from what `gateway status --json` reads: a
// running gateway (this test's own pid holds the pid file) with one
// adapter connected and one not, and a stopped one while a platform is
// enabled.
func TestDoctorGatewayAdapters(t *testing.T) {
	t.Parallel()
	dir := greenHome(t, "")
	cfg, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	writeFile(t, filepath.Join(dir, "config.yaml"), string(cfg)+"platforms:\n  telegram:\n    enabled: true\n", 0o600)
	writeFile(t, filepath.Join(dir, ".env"), "PRIMARY_KEY=a\nBACKUP_KEY=b\nTELEGRAM_BOT_TOKEN=1:abc\n", 0o600)
	r := hermes(t, dir, nil, "doctor")
	if r.code != 1 || !strings.Contains(r.stdout, "✗ gateway") || !strings.Contains(r.stdout, "not running, and telegram is enabled") {
		t.Fatalf("gateway down: %+v", r)
	}
	pid := itoa(os.Getpid())
	writeFile(t, filepath.Join(dir, "gateway.pid"), pid+"\n", 0o600)
	writeFile(t, filepath.Join(dir, "gateway.json"), `{"running":true,"pid":`+pid+`,"health":"127.0.0.1:1","ready":true,
		"platforms":{"telegram":{"connected":false,"error":"getMe: 401 Unauthorized","restarts":3},"future":{"connected":true,"restarts":0}},"services":[]}`, 0o600)
	r = hermes(t, dir, nil, "doctor")
	if r.code != 1 || !strings.Contains(r.stdout, "✓ gateway") || !regexp.MustCompile(`✗ platform telegram\s+disconnected: getMe: 401 Unauthorized`).MatchString(r.stdout) ||
		!regexp.MustCompile(`✓ platform future\s+connected`).MatchString(r.stdout) {
		t.Fatalf("adapters: %+v", r)
	}
}
