package logging

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/redact"
)

func newRedactor(t *testing.T) *redact.Redactor {
	t.Helper()
	r, err := redact.New(redact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFileHandlerWritesRedactedJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := OpenWriter(filepath.Join(dir, MainFile), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	l := slog.New(NewFileHandler(w, slog.LevelInfo, newRedactor(t))).With(ComponentKey, "gateway")
	key := "sk-ant-api03-" + strings.Repeat("a1B2", 20)
	l.Debug("hidden")
	l.Info("connected with "+key, "platform", "telegram", "api_key", "hunter2hunter2", "n", 3)
	data, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), key) || strings.Contains(string(data), "hunter2hunter2") || strings.Contains(string(data), "hidden") {
		t.Fatalf("secret or debug record in the log: %s", data)
	}
	fi, _ := os.Stat(w.Path())
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %o", fi.Mode().Perm())
	}
	e := ParseLine(strings.TrimSpace(string(data)))
	if e.Raw || e.Component != "gateway" || e.Level != slog.LevelInfo || !strings.HasPrefix(e.Msg, "connected with ") || e.Time.IsZero() {
		t.Fatalf("parsed %+v", e)
	}
	if got := e.Format(); !strings.Contains(got, "INFO  gateway  connected with") || !strings.Contains(got, "platform=telegram") || !strings.Contains(got, "n=3") {
		t.Errorf("format %q", got)
	}
}

func TestRotationKeepsN(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, MainFile)
	w, err := OpenWriter(path, Options{MaxSize: 1000, Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 99) + "\n"
	for i := 0; i < 100; i++ { // 10 KB: 10 files' worth
		if _, err := w.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	files := Files(dir, MainFile)
	want := []string{path + ".3", path + ".2", path + ".1", path}
	if strings.Join(files, ",") != strings.Join(want, ",") {
		t.Fatalf("files %q, want %q", files, want)
	}
	for _, f := range files {
		fi, _ := os.Stat(f)
		if fi.Size() > 1000 || fi.Size() == 0 {
			t.Errorf("%s: %d bytes", f, fi.Size())
		}
	}
}

// TestHelperWriter is the child process of TestConcurrentProcesses.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv("LOGGING_HELPER_PATH")
	if path == "" {
		t.Skip("helper process only")
	}
	w, err := OpenWriter(path, Options{MaxSize: 4000, Keep: 50})
	if err != nil {
		t.Fatal(err)
	}
	l := slog.New(slog.NewJSONHandler(w, nil))
	id := os.Getenv("LOGGING_HELPER_ID")
	for i := 0; i < 300; i++ {
		l.Info("line", "proc", id, "i", i)
	}
}

// TestConcurrentProcesses: several processes append and rotate at once;
// every line survives whole, exactly once.
func TestConcurrentProcesses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, MainFile)
	const procs = 4
	var wg sync.WaitGroup
	errs := make(chan error, procs)
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
			cmd.Env = append(os.Environ(), "LOGGING_HELPER_PATH="+path, "LOGGING_HELPER_ID="+strconv.Itoa(p))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("helper %d: %v: %s", p, err, out)
			}
		}(p)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range Files(dir, MainFile) {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			var rec struct {
				Proc string `json:"proc"`
				I    int    `json:"i"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("%s: torn line %q", f, sc.Text())
			}
			k := rec.Proc + "/" + strconv.Itoa(rec.I)
			if seen[k] {
				t.Fatalf("line %s twice", k)
			}
			seen[k] = true
		}
		fh.Close()
	}
	if len(seen) != procs*300 {
		t.Fatalf("%d lines survived, want %d", len(seen), procs*300)
	}
}

func writeLog(t *testing.T, path string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func rec(ts, level, comp, msg string) string {
	return fmt.Sprintf(`{"time":%q,"level":%q,"msg":%q,"component":%q}`, ts, level, msg, comp)
}

func TestReadMergesAndFilters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeLog(t, filepath.Join(dir, "hermes.log.1"),
		rec("2026-01-01T10:00:00Z", "INFO", "gateway", "one"),
		rec("2026-01-01T10:02:00Z", "WARN", "cron", "three"))
	writeLog(t, filepath.Join(dir, "hermes.log"),
		rec("2026-01-01T10:04:00Z", "ERROR", "chat", "five"))
	writeLog(t, filepath.Join(dir, "gateway.log"),
		rec("2026-01-01T10:01:00Z", "INFO", "gateway", "two: gateway start"),
		"panic: boom",
		"goroutine 1 [running]:")
	tests := []struct {
		name string
		f    Filter
		want string
	}{
		{"all", Filter{}, "one,two: gateway start,panic: boom,goroutine 1 [running]:,three,five"},
		{"component", Filter{Components: map[string]bool{"cron": true, "chat": true}}, "three,five"},
		{"raw", Filter{Components: map[string]bool{"raw": true}}, "panic: boom,goroutine 1 [running]:"},
		{"level", Filter{ByLevel: true, MinLevel: slog.LevelWarn}, "panic: boom,goroutine 1 [running]:,three,five"},
		{"since", Filter{Since: time.Date(2026, 1, 1, 10, 1, 30, 0, time.UTC)}, "three,five"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			es, err := Read(dir, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Msg)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("got %q, want %q", strings.Join(got, ","), tc.want)
			}
		})
	}
}

func TestParseSince(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	good := map[string]time.Time{
		"10m":                  now.Add(-10 * time.Minute),
		"2h":                   now.Add(-2 * time.Hour),
		"3d":                   now.Add(-72 * time.Hour),
		"1w":                   now.Add(-7 * 24 * time.Hour),
		"1h30m":                now.Add(-90 * time.Minute),
		"2026-03-01T00:00:00Z": time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	}
	for in, want := range good {
		if got, err := ParseSince(in, now); err != nil || !got.Equal(want) {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "-5m", "0s", "3x", "d", "0d", "2026-03-01"} {
		if _, err := ParseSince(in, now); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestFollowAcrossRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, MainFile)
	writeLog(t, path, rec("2026-01-01T10:00:00Z", "INFO", "gateway", "old"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- Follow(ctx, dir, Filter{}, 10*time.Millisecond, func(e Entry) { got <- e.Msg })
	}()
	time.Sleep(50 * time.Millisecond) // Follow has opened the file at its end
	appendLine := func(p, line string) {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Error(err)
			return
		}
		f.WriteString(line + "\n")
		f.Close()
	}
	appendLine(path, rec("2026-01-01T10:00:01Z", "INFO", "gateway", "before"))
	if err := Shift(path, 3); err != nil {
		t.Fatal(err)
	}
	appendLine(path, rec("2026-01-01T10:00:02Z", "INFO", "cron", "after"))
	appendLine(filepath.Join(dir, RawFile), "panic: boom")
	want := map[string]bool{"before": true, "after": true, "panic: boom": true}
	deadline := time.After(10 * time.Second)
	for len(want) > 0 {
		select {
		case m := <-got:
			if !want[m] {
				t.Fatalf("unexpected %q", m)
			}
			delete(want, m)
		case <-deadline:
			t.Fatalf("still waiting for %v", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestLineWriter(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, _ := OpenWriter(filepath.Join(dir, MainFile), Options{})
	defer w.Close()
	lw := &LineWriter{L: slog.New(NewFileHandler(w, slog.LevelInfo, newRedactor(t))).With(ComponentKey, "cron"), Level: slog.LevelWarn, Prefix: "hermes cron: "}
	fmt.Fprint(lw, "hermes cron: job a failed")
	fmt.Fprint(lw, ": boom\nhermes cron: second\n")
	es, err := Read(dir, Filter{})
	if err != nil || len(es) != 2 || es[0].Msg != "job a failed: boom" || es[0].Level != slog.LevelWarn || es[1].Component != "cron" {
		t.Fatalf("%v %+v", err, es)
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add(rec("2026-01-01T10:00:00Z", "INFO", "gateway", "hello"))
	f.Add(`{"time":"x","level":"INFO+2","msg":3,"a":{"b":[1,2]},"component":null}`)
	f.Add(`{"msg":"a"} trailing`)
	f.Add("panic: runtime error")
	f.Add(`{"time":"2026-01-01T10:00:00Z","time":"2027-01-01T10:00:00Z"}`)
	f.Add("{")
	f.Fuzz(func(t *testing.T, line string) {
		e := ParseLine(line)
		if e.Raw {
			if e.Component != RawComponent || e.HasLevel {
				t.Fatalf("raw entry %+v", e)
			}
		} else if !json.Valid([]byte(strings.TrimSpace(strings.TrimRight(line, "\r\n")))) {
			t.Fatalf("invalid JSON parsed as a record: %q", line)
		}
		_ = e.Format()
		// What the handler writes parses back to the same message.
		if strings.ContainsRune(line, '\n') {
			return
		}
		var b strings.Builder
		slog.New(slog.NewJSONHandler(&b, nil)).With(ComponentKey, "c").Info(line, "k", line)
		back := ParseLine(strings.TrimSuffix(b.String(), "\n"))
		if back.Raw || back.Msg != string([]rune(line)) || back.Component != "c" || len(back.Attrs) != 1 {
			t.Fatalf("round trip of %q: %+v", line, back)
		}
	})
}

// TestForTagsOnce: a subsystem's logger names its component once, even
// under a default that carries the command's.
func TestForTagsOnce(t *testing.T) {
	dir := t.TempDir()
	w, _ := OpenWriter(filepath.Join(dir, MainFile), Options{})
	defer w.Close()
	prev := slog.Default()
	defer func() { slog.SetDefault(prev); base.Store(nil) }()
	SetDefault(slog.New(NewFileHandler(w, slog.LevelInfo, newRedactor(t))), "gateway")
	slog.Info("plain")
	For("mcp").Info("from mcp")
	es, err := Read(dir, Filter{})
	if err != nil || len(es) != 2 || es[0].Component != "gateway" || es[1].Component != "mcp" || strings.Count(es[1].Line, `"component"`) != 1 {
		t.Fatalf("%v %+v", err, es)
	}
	// A line with the key twice names the last one.
	if e := ParseLine(`{"msg":"m","component":"gateway","component":"mcp"}`); e.Component != "mcp" {
		t.Errorf("component %q", e.Component)
	}
}
