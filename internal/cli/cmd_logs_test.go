package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func logRec(ts time.Time, level, comp, msg string, kv ...string) string {
	extra := ""
	for i := 0; i+1 < len(kv); i += 2 {
		extra += fmt.Sprintf(",%q:%q", kv[i], kv[i+1])
	}
	return fmt.Sprintf(`{"time":%q,"level":%q,"msg":%q,"component":%q%s}`, ts.Format(time.RFC3339Nano), level, msg, comp, extra)
}

// logsHome is a home whose logs/ holds a rotated hermes.log and a
// gateway.log with a panic in it.
func logsHome(t *testing.T) (string, time.Time) {
	t.Helper()
	home := t.TempDir()
	now := time.Now().UTC()
	old := now.Add(-5 * time.Hour)
	logs := filepath.Join(home, "logs")
	writeFile(t, filepath.Join(logs, "hermes.log.1"), strings.Join([]string{
		logRec(old, "INFO", "gateway", "running for ~/.hermes", "pid", "42"),
		logRec(old.Add(time.Minute), "DEBUG", "cron", "tick"),
	}, "\n")+"\n", 0o600)
	writeFile(t, filepath.Join(logs, "hermes.log"), strings.Join([]string{
		logRec(now.Add(-30*time.Minute), "WARN", "cron", "job daily failed", "error", "429 too many requests"),
		logRec(now.Add(-10*time.Minute), "ERROR", "chat", "model request failed"),
	}, "\n")+"\n", 0o600)
	writeFile(t, filepath.Join(logs, "gateway.log"), strings.Join([]string{
		logRec(now.Add(-20*time.Minute), "INFO", "gateway", "gateway start: output of the background gateway follows"),
		"panic: runtime error: index out of range",
	}, "\n")+"\n", 0o600)
	return home, now
}

func TestLogsMergedAndFiltered(t *testing.T) {
	t.Parallel()
	home, _ := logsHome(t)
	tests := []struct {
		args []string
		want []string // messages, in order
	}{
		{nil, []string{"running for", "tick", "job daily failed", "gateway start", "panic: runtime", "model request failed"}},
		{[]string{"--component", "cron"}, []string{"tick", "job daily failed"}},
		{[]string{"--component", "chat,raw"}, []string{"panic: runtime", "model request failed"}},
		{[]string{"--component", "chat", "--component", "gateway"}, []string{"running for", "gateway start", "model request failed"}},
		{[]string{"--level", "warn"}, []string{"job daily failed", "panic: runtime", "model request failed"}},
		{[]string{"--level", "ERROR"}, []string{"panic: runtime", "model request failed"}},
		{[]string{"--since", "1h"}, []string{"job daily failed", "gateway start", "panic: runtime", "model request failed"}},
		{[]string{"--since", "15m", "--level", "info"}, []string{"model request failed"}},
	}
	for _, tc := range tests {
		r := hermes(t, home, nil, append([]string{"logs"}, tc.args...)...)
		if r.code != 0 {
			t.Fatalf("%v: %+v", tc.args, r)
		}
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != len(tc.want) {
			t.Errorf("%v: %d lines, want %d:\n%s", tc.args, len(lines), len(tc.want), r.stdout)
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("%v: line %d is %q, want %q", tc.args, i, lines[i], w)
			}
		}
	}
	// Human lines carry level, component and attributes; raw lines say raw.
	r := hermes(t, home, nil, "logs", "--component", "cron,raw", "--level", "warn")
	if !strings.Contains(r.stdout, `WARN  cron     job daily failed error="429 too many requests"`) || !strings.Contains(r.stdout, "raw      panic: runtime") {
		t.Errorf("human format:\n%s", r.stdout)
	}
	// --json prints the stored lines as they are.
	r = hermes(t, home, nil, "logs", "--json", "--component", "chat")
	if r.code != 0 || !strings.HasPrefix(r.stdout, `{"time":`) || !strings.Contains(r.stdout, `"component":"chat"`) || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("--json: %+v", r)
	}
}

func TestLogsBadFlags(t *testing.T) {
	t.Parallel()
	home, _ := logsHome(t)
	for _, tc := range []struct{ args []string }{
		{[]string{"--level", "loud"}},
		{[]string{"--since", "yesterday"}},
		{[]string{"--since", "-5m"}},
		{[]string{"--component", "gatewy"}},
		{[]string{"extra"}},
	} {
		r := hermes(t, home, nil, append([]string{"logs"}, tc.args...)...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "hermes: ") || r.stdout != "" {
			t.Errorf("%v: %+v", tc.args, r)
		}
	}
	r := hermes(t, home, nil, "logs", "--component", "gatewy")
	if !strings.Contains(r.stderr, "want one of gateway, cron") {
		t.Errorf("component error: %q", r.stderr)
	}
	r = hermes(t, home, nil, "logs", "--since", "yesterday")
	if !strings.Contains(r.stderr, "10m, 2h or 3d") {
		t.Errorf("since error: %q", r.stderr)
	}
}

func TestLogsEmptyHome(t *testing.T) {
	t.Parallel()
	r := hermes(t, t.TempDir(), nil, "logs")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "no log records in") {
		t.Errorf("%+v", r)
	}
}

// TestLogsFollow: -f prints what is appended after it started, across a
// rotation, and stops when the context ends (Ctrl-C).
func TestLogsFollow(t *testing.T) {
	t.Parallel()
	home, now := logsHome(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- runCtx(ctx, home, "logs", "-f", "--component", "cron,raw") }()
	path := filepath.Join(home, "logs", "hermes.log")
	appendTo := func(p, line string) {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Error(err)
			return
		}
		fmt.Fprintln(f, line)
		f.Close()
	}
	time.Sleep(300 * time.Millisecond)
	appendTo(path, logRec(now.Add(time.Second), "INFO", "cron", "followed one"))
	appendTo(path, logRec(now.Add(time.Second), "INFO", "chat", "filtered out"))
	time.Sleep(400 * time.Millisecond)
	if err := os.Rename(path, path+".1"); err != nil { // a rotation (hermes.log.1 was there: replaced)
		t.Fatal(err)
	}
	appendTo(path, logRec(now.Add(2*time.Second), "INFO", "cron", "after rotation"))
	appendTo(filepath.Join(home, "logs", "gateway.log"), "fatal error: out of memory")
	time.Sleep(600 * time.Millisecond)
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("logs -f did not stop when its context ended")
	}
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	for _, want := range []string{"job daily failed", "panic: runtime", "followed one", "after rotation", "fatal error: out of memory"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "filtered out") || strings.Count(r.stdout, "followed one") != 1 {
		t.Errorf("filter or duplicate:\n%s", r.stdout)
	}
}

// TestCronDaemonWritesLogFile: a long-running command writes its records
// to logs/hermes.log (0600, redacted JSON), read back by hermes logs.
func TestCronLogLinesReachTheLogFile(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config.yaml"), "logging:\n  level: debug\n", 0o600)
	a := &App{Stdin: strings.NewReader(""), Stdout: new(strings.Builder), Stderr: new(strings.Builder),
		Getenv: func(k string) string { return map[string]string{"HERMES_HOME": home}[k] }}
	h, err := a.Home()
	if err != nil {
		t.Fatal(err)
	}
	l, err := a.Config()
	if err != nil {
		t.Fatal(err)
	}
	a.openLogs(h, l.Config, "cron")
	key := "sk-proj-" + strings.Repeat("Zq9", 16)
	fmt.Fprintf(a.logWriter("cron", -4, "hermes cron:"), "hermes cron: job x failed with %s\n", key)
	a.gatewayLogf("telegram: connected as %s", "@bot")
	a.closeLogs()
	data, err := os.ReadFile(filepath.Join(home, "logs", "hermes.log"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), key) || !strings.Contains(string(data), `"component":"cron"`) || !strings.Contains(string(data), `"level":"DEBUG"`) {
		t.Errorf("log file:\n%s", data)
	}
	if fi, _ := os.Stat(filepath.Join(home, "logs", "hermes.log")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %o", fi.Mode().Perm())
	}
	if se := a.Stderr.(*strings.Builder).String(); !strings.Contains(se, "hermes cron: job x failed") || !strings.Contains(se, "hermes gateway: telegram: connected") {
		t.Errorf("stderr lost the lines: %q", se)
	}
	r := hermes(t, home, nil, "logs", "--component", "gateway")
	if !strings.Contains(r.stdout, "INFO  gateway  telegram: connected as @bot") {
		t.Errorf("hermes logs: %+v", r)
	}
}

// TestCronDaemonLogsToFile: the real `cron daemon` writes its records to
// logs/hermes.log, where hermes logs finds them; Ctrl-C (the context)
// stops it.
func TestCronDaemonLogsToFile(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- runCtx(ctx, home, "cron", "daemon") }()
	path := filepath.Join(home, "logs", "hermes.log")
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, _ := os.ReadFile(path)
		if strings.Contains(string(data), "scheduler running") {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no record in %s: %q; daemon: %+v", path, data, <-done)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if r := <-done; r.code != 0 || !strings.Contains(r.stderr, "scheduler running for") {
		t.Fatalf("daemon: %+v", r)
	}
	r := hermes(t, home, nil, "logs", "--component", "cron", "--since", "5m")
	if r.code != 0 || !strings.Contains(r.stdout, "INFO  cron     scheduler running") || !strings.Contains(r.stdout, "pid=") {
		t.Errorf("hermes logs: %+v", r)
	}
}
