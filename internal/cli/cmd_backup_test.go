package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/ops/backup"
	"github.com/hermes-go/hermes/internal/store"
	"github.com/hermes-go/hermes/internal/testenv"
)

// backupHome builds a realistic home: every kind of file the spec lists,
// a real state.db in each profile, and the transient files a backup must
// leave out.
func backupHome(t *testing.T) string {
	t.Helper()
	h := t.TempDir()
	files := map[string]string{
		"config.yaml":                        "model:\n  default: m\n",
		".env":                               "OPENAI_API_KEY=sk-test\n",
		"auth.json":                          `{"pools":{}}` + "\n",
		"SOUL.md":                            "You are calm.\n",
		"active_profile":                     "default\n",
		"memories/MEMORY.md":                 "likes tea\n",
		"memories/USER.md":                   "name: Ann\n",
		"skills/dev/review/SKILL.md":         "---\nname: review\n---\nReview.\n",
		"skills/dev/review/scripts/run.sh":   "#!/bin/sh\necho ok\n",
		"cron/jobs.json":                     `{"jobs":[]}` + "\n",
		"cron/output/job1/2026-12-01.md":     "ran\n",
		"platforms/pairing/telegram.json":    `{"approved":[]}` + "\n",
		"platforms/matrix/crypto/olm.pickle": "olm-state",
		"profiles/work/config.yaml":          "model:\n  default: w\n",
		"profiles/work/.env":                 "ANTHROPIC_API_KEY=sk-ant-x\n",
		"profiles/work/memories/MEMORY.md":   "work notes\n",
		// left out:
		"logs/gateway.log":                         "log line\n",
		"cache/models.json":                        "{}",
		"sandboxes/s1/file":                        "x",
		"gateway.pid":                              "123\n",
		"cron.lock":                                "",
		"cron/jobs.lock":                           "",
		"cron/heartbeat.json":                      "{}",
		"gateway.json":                             "{}",
		"last_backup.json":                         "{}",
		"hermes-backup-2020-01-01-000000.zip":      "old",
		"x.zip.partial":                            "half",
		"hermes-agent/.git/HEAD":                   "ref: main\n",
		"hermes-agent/main.py":                     "print()\n",
		"profiles/work/logs/x.log":                 "x",
		"profiles/work/gateway.pid":                "1\n",
		"skills/dev/review/.git/config":            "[core]\n",
		"memories/.MEMORY.md.tmp-0123456789abcdef": "tmp",
	}
	for rel, data := range files {
		writeFile(t, filepath.Join(h, rel), data, 0o600)
	}
	os.Chmod(filepath.Join(h, "skills/dev/review/scripts/run.sh"), 0o700)
	for _, dir := range []string{h, filepath.Join(h, "profiles/work")} {
		fillStateDB(t, filepath.Join(dir, "state.db"), 3)
	}
	return h
}

// fillStateDB creates (or adds to) a real store with n sessions of two
// messages each.
func fillStateDB(t *testing.T, path string, n int) {
	t.Helper()
	st, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for range n {
		s, err := st.CreateSession(ctx, store.Session{Source: "cli", Title: "t"})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AppendMessages(ctx, s.ID, llm.Message{Role: llm.RoleUser, Content: "hello"}, llm.Message{Role: llm.RoleAssistant, Content: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
}

// wantInBackup is what backupHome's backup must hold, exactly.
var wantInBackup = []string{
	".env", "SOUL.md", "active_profile", "auth.json", "config.yaml",
	"cron/jobs.json", "cron/output/job1/2026-12-01.md",
	"memories/MEMORY.md", "memories/USER.md",
	"platforms/matrix/crypto/olm.pickle", "platforms/pairing/telegram.json",
	"profiles/work/.env", "profiles/work/config.yaml", "profiles/work/memories/MEMORY.md", "profiles/work/state.db",
	"skills/dev/review/SKILL.md", "skills/dev/review/scripts/run.sh",
	"state.db",
}

func zipNames(t *testing.T, path string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	return names
}

type backupJSON struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Files  int    `json:"files"`
	SHA256 string `json:"sha256"`
}

func runBackupJSON(t *testing.T, h string, args ...string) backupJSON {
	t.Helper()
	r := hermes(t, h, nil, append([]string{"backup", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	var out backupJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("backup --json: %v: %q", err, r.stdout)
	}
	return out
}

func TestBackupContents(t *testing.T) {
	t.Parallel()
	h := backupHome(t)
	r := hermes(t, h, nil, "backup")
	if r.code != 0 || r.stderr != "" { // no progress bar off a terminal
		t.Fatalf("%+v", r)
	}
	for _, want := range []string{"config.yaml", "memories/", "profiles/work/", "state.db", "(online copy)", "18 files", "sha256 "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(h, "hermes-backup-2*.zip"))
	var path string
	for _, m := range matches {
		if !strings.Contains(m, "2020-01-01") {
			path = m
		}
	}
	if path == "" {
		t.Fatalf("no new backup in %s: %v", h, matches)
	}
	if got := zipNames(t, path); !slices.Equal(got, wantInBackup) {
		t.Errorf("zip holds\n%q\nwant\n%q", got, wantInBackup)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("zip mode: %v %v", fi, err)
	}
	if left, _ := filepath.Glob(filepath.Join(h, "*.partial")); len(left) != 1 { // only the fixture's own
		t.Errorf("partial files: %v", left)
	}
	if left, _ := filepath.Glob(filepath.Join(h, ".hermes-backup-tmp-*")); len(left) != 0 {
		t.Errorf("scratch left: %v", left)
	}
	// A backup saved under another name in the home is left out too; a
	// zip of the user's own is not.
	renamed := filepath.Join(h, "skills", "pre-update.zip")
	if err := os.Rename(path, renamed); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(h, "skills", "mine.zip"), "PK\x05\x06"+strings.Repeat("\x00", 18), 0o600)
	next := runBackupJSON(t, h, "--output", filepath.Join(t.TempDir(), "next.zip"))
	want := slices.Sorted(slices.Values(append(slices.Clone(wantInBackup), "skills/mine.zip")))
	if got := zipNames(t, next.Path); !slices.Equal(got, want) {
		t.Errorf("second backup holds\n%q\nwant\n%q", got, want)
	}
}

func TestBackupJSONAndRecord(t *testing.T) {
	t.Parallel()
	h := backupHome(t)
	out := filepath.Join(t.TempDir(), "b.zip")
	got := runBackupJSON(t, h, "--output", out)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got.Path != out || got.Size != int64(len(data)) || got.Files != len(wantInBackup) || got.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("json %+v; file %d bytes sha %x", got, len(data), sum)
	}
	for _, dir := range []string{h, filepath.Join(h, "profiles/work")} {
		var rec backup.Record
		raw, err := os.ReadFile(filepath.Join(dir, backup.RecordFile))
		if err != nil || json.Unmarshal(raw, &rec) != nil || rec.Path != out || rec.SHA256 != got.SHA256 || rec.Files != got.Files {
			t.Errorf("%s: record %s %v", dir, raw, err)
		}
	}
}

func TestBackupOutputDirKeepQuickDryRun(t *testing.T) {
	t.Parallel()
	h := backupHome(t)
	dir := t.TempDir()
	other := filepath.Join(dir, "notes.zip")
	writeFile(t, other, "mine", 0o600)
	var paths []string
	for range 3 {
		paths = append(paths, runBackupJSON(t, h, "--output", dir, "--keep", "2").Path)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	want := []string{paths[1], paths[2], other}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("after --keep 2: %v, want %v", left, want)
	}
	q := runBackupJSON(t, h, "--output", filepath.Join(dir, "q.zip"), "--quick")
	if names := zipNames(t, q.Path); slices.Contains(names, "cron/output/job1/2026-12-01.md") || !slices.Contains(names, "cron/jobs.json") {
		t.Errorf("--quick: %q", names)
	}
	before, _ := filepath.Glob(filepath.Join(dir, "*"))
	r := hermes(t, h, nil, "backup", "--dry-run", "--output", dir)
	after, _ := filepath.Glob(filepath.Join(dir, "*"))
	if r.code != 0 || !slices.Equal(before, after) || !strings.Contains(r.stdout, "state.db (SQLite: online copy)") ||
		!strings.Contains(r.stdout, "logs/ (logs)") || !strings.Contains(r.stdout, "would include 18 files") {
		t.Errorf("dry run: %+v\n%v -> %v", r, before, after)
	}
	notZip := filepath.Join(dir, "notes.txt")
	writeFile(t, notZip, "precious", 0o600)
	if r := hermes(t, h, nil, "backup", "--output", notZip); r.code != 1 || !strings.Contains(r.stderr, "is not a zip") {
		t.Errorf("--output over a text file: %+v", r)
	}
	if r := hermes(t, h, nil, "backup", "--keep", "-1"); r.code != 2 {
		t.Errorf("--keep -1: %+v", r)
	}
	if r := hermes(t, h, nil, "backup", "--output", filepath.Join(dir, "missing", "x.zip")); r.code != 1 || !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("missing folder: %+v", r)
	}
}

// TestBackupConcurrent: while one backup holds the lock a second refuses,
// naming the holder.
func TestBackupConcurrent(t *testing.T) {
	t.Parallel()
	h := backupHome(t)
	l, err := fileutil.LockFile(context.Background(), filepath.Join(h, backup.LockName), fileutil.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l.WritePID()
	r := hermes(t, h, nil, "backup")
	l.Unlock()
	if r.code != 1 || !strings.Contains(r.stderr, "another backup or import") || !strings.Contains(r.stderr, "pid ") {
		t.Errorf("second backup: %+v", r)
	}
	if m, _ := filepath.Glob(filepath.Join(h, "hermes-backup-2026*.zip")); len(m) != 0 {
		t.Errorf("refused backup wrote %v", m)
	}
	if r := hermes(t, h, nil, "backup"); r.code != 0 {
		t.Errorf("after unlock: %+v", r)
	}
}

// TestBackupConcurrentReal: two backups started together: each either
// finishes or refuses with the clear busy message; at least one finishes.
func TestBackupConcurrentReal(t *testing.T) {
	t.Parallel()
	h := backupHome(t)
	fillStateDB(t, filepath.Join(h, "state.db"), 200)
	out := t.TempDir()
	results := make(chan result, 2)
	for range 2 {
		go func() { results <- hermes(t, h, nil, "backup", "--output", out) }()
	}
	ok := 0
	for range 2 {
		r := <-results
		switch {
		case r.code == 0:
			ok++
		case !strings.Contains(r.stderr, "another backup or import of") || !strings.Contains(r.stderr, "wait for it to finish"):
			t.Errorf("unclear failure: %+v", r)
		}
	}
	if ok == 0 {
		t.Error("neither backup finished")
	}
	if m, _ := filepath.Glob(filepath.Join(out, "*")); len(m) != ok {
		t.Errorf("%d backups finished, %d files: %v", ok, len(m), m)
	}
}

// TestLateBar: the progress bar stays hidden during the first second and
// on anything but a terminal, and draws on a terminal after that.
func TestLateBar(t *testing.T) {
	t.Parallel()
	ptmx, tty, err := pty.Open()
	if err != nil {
		testenv.Missing(t, "a pseudo-terminal", err.Error())
	}
	defer ptmx.Close()
	defer tty.Close()
	var buf bytes.Buffer
	if b := (&App{Stderr: &buf}).newLateBar(); b.tty {
		t.Error("a buffer counts as a terminal")
	}
	b := (&App{Stderr: tty}).newLateBar()
	if !b.tty {
		t.Fatal("a pty is not seen as a terminal")
	}
	b.update(10, 100)
	if b.bar != nil {
		t.Error("the bar appeared before a second passed")
	}
	b.start = time.Now().Add(-2 * time.Second)
	b.update(50, 100)
	b.finish()
	out := &ptyOutput{}
	go io.Copy(out, ptmx)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "backup") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "backup") {
		t.Errorf("no bar on the terminal: %q", out.String())
	}
}

// TestBackupLinkedHome: a home that is a symbolic link to its folder is
// backed up and imported like any other.
func TestBackupLinkedHome(t *testing.T) {
	t.Parallel()
	real := backupHome(t)
	link := filepath.Join(t.TempDir(), "hermes")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	got := runBackupJSON(t, link, "--output", filepath.Join(t.TempDir(), "b.zip"))
	if names := zipNames(t, got.Path); !slices.Equal(names, wantInBackup) {
		t.Errorf("zip holds %q", names)
	}
	dst := filepath.Join(t.TempDir(), "restored")
	os.Mkdir(dst, 0o700)
	dstLink := filepath.Join(t.TempDir(), "hermes")
	os.Symlink(dst, dstLink)
	if r := hermes(t, dstLink, nil, "import", got.Path); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "SOUL.md")); err != nil || string(b) != "You are calm.\n" {
		t.Errorf("SOUL.md: %q %v", b, err)
	}
}
