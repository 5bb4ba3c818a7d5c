package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/llmtest"
)

type doctorRow struct{ Name, Status, Message, Fix string }

func doctorRows(t *testing.T, bin, home string, args ...string) (map[string]doctorRow, string) {
	t.Helper()
	cmd := chatCmd(bin, home, t.TempDir(), append([]string{"doctor", "--json"}, args...)...)
	out, _ := cmd.Output()
	var rep struct {
		Checks []doctorRow `json:"checks"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	rows := map[string]doctorRow{}
	for _, r := range rep.Checks {
		if _, dup := rows[r.Name]; !dup {
			rows[r.Name] = r
		}
	}
	return rows, string(out)
}

// TestDoctorE2EGateway: a gateway that runs the scheduler writes its
// heartbeat, so the doctor sees the gateway and a fresh scheduler; after
// kill -9 the doctor reports the gateway down and its stale pid file,
// which --fix removes.
func TestDoctorE2EGateway(t *testing.T) {
	bin := chatBinary(t)
	srv := llmtest.New(t, llmtest.Script{})
	home := e2eHome(t, srv)
	withConfig(t, home, "gateway:\n  health_listen: 127.0.0.1:0\ncron:\n  enabled: true\nplatforms:\n  webhooks:\n    enabled: true\n    routes:\n      gh:\n        prompt: \"{{.Body}}\"\n        secret_env: HOOK_SECRET\n        deliver: local\n")
	if err := os.WriteFile(filepath.Join(home, ".env"), []byte("HOOK_SECRET=a-long-random-hook-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := chatCmd(bin, home, t.TempDir(), "cron", "create", "every 1h", "report", "--name", "hourly").CombinedOutput(); err != nil {
		t.Fatalf("cron create: %v %s", err, out)
	}
	rows, out := doctorRows(t, bin, home)
	if rows["cron scheduler"].Status != "fail" || rows["gateway"].Status != "fail" {
		t.Fatalf("before the gateway: %s", out)
	}
	cmd := chatCmd(bin, home, t.TempDir(), "gateway", "run")
	var logs syncBuf
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows, out = doctorRows(t, bin, home)
		if rows["gateway"].Status == "ok" && rows["cron scheduler"].Status == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the doctor never saw the gateway and its scheduler: %s\n%s", out, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(rows["cron scheduler"].Message, "pid "+itoa(cmd.Process.Pid)) {
		t.Fatalf("heartbeat of another process: %+v", rows["cron scheduler"])
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	rows, out = doctorRows(t, bin, home)
	if rows["gateway"].Status != "warn" || !strings.Contains(out, "stale gateway.pid") || !strings.Contains(out, "not running, and webhooks is enabled") {
		t.Fatalf("after kill -9: %s", out)
	}
	fix, _ := chatCmd(bin, home, t.TempDir(), "doctor", "--fix").Output()
	if !strings.Contains(string(fix), "fixed: removed stale "+filepath.Join(home, "gateway.pid")) {
		t.Fatalf("--fix: %s", fix)
	}
	if _, err := os.Stat(filepath.Join(home, "gateway.pid")); err == nil {
		t.Fatal("the stale pid file is still there")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
