package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/llmtest"
)

type gwStatus struct {
	Running   bool   `json:"running"`
	PID       int    `json:"pid"`
	Health    string `json:"health"`
	Ready     bool   `json:"ready"`
	StalePID  int    `json:"stale_pid"`
	Platforms map[string]struct {
		Connected bool `json:"connected"`
	} `json:"platforms"`
}

func gatewayStatus(t *testing.T, bin, home string) gwStatus {
	t.Helper()
	out, err := hermesCmd(bin, home, "gateway", "status", "--json").Output()
	if err != nil {
		t.Fatalf("gateway status: %v", err)
	}
	var st gwStatus
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("status %q: %v", out, err)
	}
	return st
}

// TestGatewayE2ERunStatusHealth runs `hermes gateway run`, reads its
// status and /healthz and /metrics, refuses a second gateway on the same
// home, and reports a stale pid after SIGKILL.
func TestGatewayE2ERunStatusHealth(t *testing.T) {
	bin := chatBinary(t)
	srv := llmtest.New(t, llmtest.Script{})
	home := e2eHome(t, srv)
	withConfig(t, home, "gateway:\n  health_listen: 127.0.0.1:0\ncron:\n  enabled: false\n")
	if st := gatewayStatus(t, bin, home); st.Running {
		t.Fatalf("running before start: %+v", st)
	}
	cmd := chatCmd(bin, home, t.TempDir(), "gateway", "run")
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var st gwStatus
	deadline := time.Now().Add(30 * time.Second)
	for {
		st = gatewayStatus(t, bin, home)
		if st.Running && st.Health != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not come up: %+v\n%s", st, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.PID != cmd.Process.Pid || st.Platforms == nil {
		t.Fatalf("status %+v, pid %d", st, cmd.Process.Pid)
	}
	resp, err := http.Get("http://" + st.Health + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ready":true`) {
		t.Fatalf("healthz %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + st.Health + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "go_goroutines") {
		t.Fatalf("metrics %d %.200s", resp.StatusCode, body)
	}
	second := chatCmd(bin, home, t.TempDir(), "gateway", "run")
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "a gateway already runs") {
		t.Fatalf("second gateway: %v %s", err, out)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	st = gatewayStatus(t, bin, home)
	if st.Running || st.StalePID != cmd.Process.Pid {
		t.Fatalf("after kill -9: %+v", st)
	}
	if _, err := os.Stat(filepath.Join(home, "gateway.json")); err != nil {
		t.Fatal(err)
	}
	// a stale pid file does not stop a new gateway
	again := chatCmd(bin, home, t.TempDir(), "gateway", "run")
	var logs2 strings.Builder
	again.Stderr = &logs2
	if err := again.Start(); err != nil {
		t.Fatal(err)
	}
	defer again.Process.Kill()
	deadline = time.Now().Add(30 * time.Second)
	for st = gatewayStatus(t, bin, home); !st.Running || st.PID != again.Process.Pid; st = gatewayStatus(t, bin, home) {
		if time.Now().After(deadline) {
			t.Fatalf("restart over a stale pid failed: %+v\n%s", st, logs2.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	again.Process.Signal(syscall.SIGTERM)
	if err := again.Wait(); err != nil {
		t.Fatalf("SIGTERM exit: %v\n%s", err, logs2.String())
	}
	if st := gatewayStatus(t, bin, home); st.Running {
		t.Fatalf("running after SIGTERM: %+v", st)
	}
}

// syncBuf is a strings.Builder safe to read while the process writes.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestGatewayE2EReloadRejectsBadEdit: SIGHUP after an invalid edit logs
// file:line:col and the gateway keeps running; a valid edit is applied.
func TestGatewayE2EReloadRejectsBadEdit(t *testing.T) {
	bin := chatBinary(t)
	srv := llmtest.New(t, llmtest.Script{})
	home := e2eHome(t, srv)
	withConfig(t, home, "gateway:\n  health_listen: 127.0.0.1:0\ncron:\n  enabled: false\n")
	cmd := chatCmd(bin, home, t.TempDir(), "gateway", "run")
	logs := &syncBuf{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitLog := func(want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(logs.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("log lacks %q:\n%s", want, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitLog("health on")
	path := filepath.Join(home, "config.yaml")
	good, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(good), "api_max_retries: 0", "api_max_retries: lots", 1)), 0o600)
	cmd.Process.Signal(syscall.SIGHUP)
	waitLog("rejected, keeping the last good config")
	if !regexp.MustCompile(`config\.yaml:\d+:\d+`).MatchString(logs.String()) {
		t.Fatalf("no file:line:col in\n%s", logs.String())
	}
	if st := gatewayStatus(t, bin, home); !st.Running {
		t.Fatalf("stopped after a bad edit: %+v", st)
	}
	os.WriteFile(path, good, 0o600)
	cmd.Process.Signal(syscall.SIGHUP)
	waitLog("config reloaded (SIGHUP)")
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, logs.String())
	}
}

// TestGatewayE2EStartRestartStop: start returns once healthy; restart
// replaces the process with one that is not its child; stop waits.
func TestGatewayE2EStartRestartStop(t *testing.T) {
	bin := chatBinary(t)
	srv := llmtest.New(t, llmtest.Script{})
	home := e2eHome(t, srv)
	withConfig(t, home, "gateway:\n  health_listen: 127.0.0.1:0\ncron:\n  enabled: false\n")
	run := func(args ...string) string {
		t.Helper()
		cmd := chatCmd(bin, home, t.TempDir(), args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	defer chatCmd(bin, home, t.TempDir(), "gateway", "stop").Run()
	if out := run("gateway", "start"); !strings.Contains(out, "gateway: running (pid") {
		t.Fatalf("start: %s", out)
	}
	first := gatewayStatus(t, bin, home)
	if !first.Running || !first.Ready {
		t.Fatalf("after start: %+v", first)
	}
	if out := run("gateway", "restart"); !strings.Contains(out, "stopped") || !strings.Contains(out, "running (pid") {
		t.Fatalf("restart: %s", out)
	}
	second := gatewayStatus(t, bin, home)
	if !second.Running || second.PID == first.PID {
		t.Fatalf("after restart: %+v (first pid %d)", second, first.PID)
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(second.PID), "stat"))
	if err == nil {
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(first.PID) {
			t.Fatal("the new gateway is a child of the old")
		}
	}
	if out := run("gateway", "stop"); !strings.Contains(out, "stopped") {
		t.Fatalf("stop: %s", out)
	}
	if st := gatewayStatus(t, bin, home); st.Running {
		t.Fatalf("after stop: %+v", st)
	}
}
