package cli

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/llm"
	"github.com/hermes-go/hermes/internal/store"
	"github.com/hermes-go/hermes/internal/testenv"
)

// treeOf snapshots a directory: every path with its type, mode and, for
// files, content.
func treeOf(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			dest, _ := os.Readlink(p)
			v += " -> " + dest
		}
		out[strings.TrimPrefix(p, root)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// dbRows dumps every table of a database, sorted.
func dbRows(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables []string
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type='table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var out []string
	for _, tb := range tables {
		rows, err := db.Query(`SELECT * FROM "` + tb + `"`)
		if err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			out = append(out, fmt.Sprintf("%s %v", tb, vals))
		}
		rows.Close()
	}
	sort.Strings(out)
	return out
}

func integrityCheck(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check of %s: %q %v", path, res, err)
	}
}

// TestBackupImportRoundTrip: backup, then import into an empty home,
// reproduces every backed-up file byte for byte and every database row.
func TestBackupImportRoundTrip(t *testing.T) {
	t.Parallel()
	src := backupHome(t)
	zipPath := runBackupJSON(t, src, "--output", filepath.Join(t.TempDir(), "b.zip")).Path
	dst := filepath.Join(t.TempDir(), "restored")
	r := hermes(t, dst, nil, "import", zipPath)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d written", len(wantInBackup))) {
		t.Fatalf("import: %+v", r)
	}
	for _, rel := range wantInBackup {
		a, b := filepath.Join(src, rel), filepath.Join(dst, rel)
		if strings.HasSuffix(rel, "state.db") {
			if !slices.Equal(dbRows(t, a), dbRows(t, b)) || len(dbRows(t, b)) < 6 {
				t.Errorf("%s: rows differ", rel)
			}
			integrityCheck(t, b)
			continue
		}
		wa, _ := os.ReadFile(a)
		wb, err := os.ReadFile(b)
		if err != nil || !bytes.Equal(wa, wb) {
			t.Errorf("%s differs: %v", rel, err)
		}
	}
	for rel, want := range map[string]fs.FileMode{".env": 0o600, "auth.json": 0o600, "state.db": 0o600, "profiles/work/state.db": 0o600,
		"skills/dev/review/scripts/run.sh": 0o700, "memories": 0o700 | fs.ModeDir, "profiles/work/memories": 0o700 | fs.ModeDir} {
		if fi, err := os.Stat(filepath.Join(dst, rel)); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v (%v)", rel, fi.Mode(), want, err)
		}
	}
	for _, never := range []string{"gateway.pid", "cron.lock", "logs", "last_backup.json", "state.db-journal"} {
		if _, err := os.Lstat(filepath.Join(dst, never)); err == nil {
			t.Errorf("import wrote %s", never)
		}
	}
	// A second import changes nothing.
	r = hermes(t, dst, nil, "import", zipPath, "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "would write 0 new and 0 changed") {
		t.Errorf("dry run after import: %+v", r)
	}
}

// TestImportOverlay: files in the archive overwrite, others are kept;
// --dry-run lists new / overwrite / unchanged and writes nothing;
// config.yaml and .env that differ need --force without a terminal.
func TestImportOverlay(t *testing.T) {
	t.Parallel()
	src := backupHome(t)
	zipPath := runBackupJSON(t, src, "--output", filepath.Join(t.TempDir(), "b.zip")).Path
	dst := t.TempDir()
	writeFile(t, filepath.Join(dst, "memories/MEMORY.md"), "other\n", 0o600)
	writeFile(t, filepath.Join(dst, "SOUL.md"), "You are calm.\n", 0o600)
	writeFile(t, filepath.Join(dst, "mine.txt"), "keep me", 0o600)
	writeFile(t, filepath.Join(dst, "config.yaml"), "model:\n  default: local\n", 0o600)
	before := treeOf(t, dst)
	r := hermes(t, dst, nil, "import", zipPath, "--dry-run")
	for _, want := range []string{"overwrite", "memories/MEMORY.md", "unchanged", "SOUL.md", "new", "state.db (SQLite", "would write 15 new and 2 changed file(s); 1 unchanged"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry run lacks %q: %+v", want, r)
		}
	}
	if !mapsEqual(before, treeOf(t, dst)) {
		t.Errorf("dry run wrote")
	}
	r = hermes(t, dst, nil, "import", zipPath)
	if r.code != 1 || !strings.Contains(r.stderr, "config.yaml differs from the archive's: run with --force") || !mapsEqual(before, treeOf(t, dst)) {
		t.Fatalf("without --force: %+v", r)
	}
	r = hermes(t, dst, nil, "import", zipPath, "--force")
	if r.code != 0 {
		t.Fatalf("--force: %+v", r)
	}
	for rel, want := range map[string]string{"mine.txt": "keep me", "memories/MEMORY.md": "likes tea\n", "config.yaml": "model:\n  default: m\n"} {
		if b, _ := os.ReadFile(filepath.Join(dst, rel)); string(b) != want {
			t.Errorf("%s = %q, want %q", rel, b, want)
		}
	}
}

// refusedZips are archives an import must refuse.
func refusedZips(t *testing.T, dir string) map[string]string {
	t.Helper()
	type ent struct {
		name, data string
		mode       fs.FileMode
	}
	mk := func(file string, ents ...ent) string {
		p := filepath.Join(dir, file)
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, e := range ents {
			h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
			h.SetMode(e.mode | 0o600)
			w, err := zw.CreateHeader(h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(e.data))
		}
		zw.Close()
		os.WriteFile(p, buf.Bytes(), 0o600)
		return p
	}
	good := ent{"config.yaml", "model:\n  default: evil\n", 0}
	dbFile := filepath.Join(t.TempDir(), "x.db")
	fillStateDB(t, dbFile, 1)
	dbBytes, err := os.ReadFile(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"path traversal":            mk("dotdot.zip", good, ent{"memories/MEMORY.md", "x", 0}, ent{"../escaped", "x", 0}),
		"absolute path":             mk("abs.zip", good, ent{"/tmp/hermes-abs-test", "x", 0}),
		"a symbolic link":           mk("link.zip", good, ent{"SOUL.md", "/etc/passwd", fs.ModeSymlink}),
		"listed twice":              mk("dup.zip", good, ent{"config.yaml", "again", 0}),
		"not clean":                 mk("unclean.zip", good, ent{"skills/./x", "x", 0}),
		"symbolic link in the home": mk("parentlink.zip", good, ent{"skills/linked/SKILL.md", "x", 0}),
		"zip bomb":                  mk("bomb.zip", good, ent{"cron/output/z", strings.Repeat("\x00", 4<<20), 0}),
		"not an SQLite database":    mk("notdb.zip", good, ent{"state.db", "not a database", 0}),
		"is not one":                mk("dbovertext.zip", ent{"config.yaml", string(dbBytes), 0}),
	}
}

// TestImportRefusesWithNothingWritten: every refused archive leaves the
// home's tree byte for byte as it was.
func TestImportRefusesWithNothingWritten(t *testing.T) {
	t.Parallel()
	zips := refusedZips(t, t.TempDir())
	for want, zipPath := range zips {
		t.Run(want, func(t *testing.T) {
			t.Parallel()
			h := t.TempDir()
			writeFile(t, filepath.Join(h, "config.yaml"), "model:\n  default: mine\n", 0o600)
			outside := t.TempDir()
			os.MkdirAll(filepath.Join(h, "skills"), 0o700)
			os.Symlink(outside, filepath.Join(h, "skills", "linked"))
			fillStateDB(t, filepath.Join(h, "state.db"), 1)
			before := treeOf(t, h)
			r := hermes(t, h, nil, "import", zipPath, "--force")
			if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "nothing was written") {
				t.Errorf("import: %+v", r)
			}
			if !mapsEqual(before, treeOf(t, h)) {
				t.Errorf("the home changed:\nbefore %v\nafter  %v", before, treeOf(t, h))
			}
			if m, _ := filepath.Glob(filepath.Join(outside, "*")); len(m) != 0 {
				t.Errorf("wrote through the link: %v", m)
			}
			if _, err := os.Lstat(filepath.Join(filepath.Dir(h), "escaped")); err == nil {
				t.Errorf("traversal wrote outside the home")
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestImportGatewayRunning: databases are not restored while a gateway
// holds gateway.pid; nothing is written.
func TestImportGatewayRunning(t *testing.T) {
	t.Parallel()
	src := backupHome(t)
	zipPath := runBackupJSON(t, src, "--output", filepath.Join(t.TempDir(), "b.zip")).Path
	dst := t.TempDir()
	fillStateDB(t, filepath.Join(dst, "state.db"), 1)
	l, err := fileutil.LockFile(context.Background(), filepath.Join(dst, "gateway.pid"), fileutil.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l.WritePID()
	before := treeOf(t, dst)
	r := hermes(t, dst, nil, "import", zipPath, "--force")
	if r.code != 1 || !strings.Contains(r.stderr, "stop the gateway first: hermes gateway stop") || !mapsEqual(before, treeOf(t, dst)) {
		t.Errorf("with a gateway: %+v", r)
	}
	if r := hermes(t, dst, nil, "import", zipPath, "--dry-run"); r.code != 0 || !strings.Contains(r.stdout, "note: a gateway is running") {
		t.Errorf("dry run with a gateway: %+v", r)
	}
	l.Unlock()
	if r := hermes(t, dst, nil, "import", zipPath, "--force"); r.code != 0 {
		t.Errorf("after the gateway stopped: %+v", r)
	}
}

// TestImportIntoOpenDatabase: a process that has state.db open sees the
// restored rows (the database was written in place, not swapped), and a
// state.db with fewer sessions than the one it replaces is warned about.
func TestImportIntoOpenDatabase(t *testing.T) {
	t.Parallel()
	src := backupHome(t) // 3 sessions
	zipPath := runBackupJSON(t, src, "--output", filepath.Join(t.TempDir(), "b.zip")).Path
	dst := t.TempDir()
	fillStateDB(t, filepath.Join(dst, "state.db"), 5)
	st, err := store.Open(filepath.Join(dst, "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := hermes(t, dst, nil, "import", zipPath, "--force")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: the imported state.db has 3 session(s), fewer than the 5") {
		t.Fatalf("import: %+v", r)
	}
	list, err := st.List(context.Background(), store.ListOptions{Limit: 100})
	if err != nil || len(list) != 3 {
		t.Errorf("the open store sees %d sessions (%v), want the imported 3", len(list), err)
	}
	if !slices.Equal(dbRows(t, filepath.Join(src, "state.db")), dbRows(t, filepath.Join(dst, "state.db"))) {
		t.Errorf("rows differ after restoring into an open database")
	}
}

// TestBackupWhileWriting: a backup taken while another connection keeps
// writing to state.db in WAL mode (as the gateway does) restores to a
// database that passes PRAGMA integrity_check and holds every session
// committed before the backup started.
func TestBackupWhileWriting(t *testing.T) {
	t.Parallel()
	src := backupHome(t)
	dbPath := filepath.Join(src, "state.db")
	st, err := store.Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			s, err := st.CreateSession(ctx, store.Session{Source: "telegram", Title: strings.Repeat("busy ", 200)})
			if err != nil {
				return
			}
			st.AppendMessages(ctx, s.ID, llm.Message{Role: llm.RoleUser, Content: strings.Repeat("payload ", 8<<10)})
			writes.Add(1)
		}
	}()
	target := int64(300) // 20 MB: several backup steps of 4 MiB
	if testing.Short() {
		target = 100
	}
	for writes.Load() < target {
		time.Sleep(time.Millisecond)
	}
	startWrites := writes.Load()
	zipPath := runBackupJSON(t, src, "--output", filepath.Join(t.TempDir(), "b.zip")).Path
	cancel()
	wg.Wait()
	if writes.Load() == startWrites {
		t.Fatalf("no writes during the backup")
	}
	dst := t.TempDir()
	if r := hermes(t, dst, nil, "import", zipPath); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	restored := filepath.Join(dst, "state.db")
	integrityCheck(t, restored)
	db, _ := sql.Open("sqlite", restored)
	defer db.Close()
	var n int64
	db.QueryRow(`SELECT count(*) FROM sessions WHERE source='telegram'`).Scan(&n)
	if n < startWrites {
		t.Errorf("restored %d busy sessions, %d were committed before the backup", n, startWrites)
	}
}

// TestImportConfirmUnderPTY: on a terminal the import asks before
// overwriting config.yaml and .env that differ; a yes overwrites, a no
// keeps the home's file, and the rest is imported either way.
func TestImportConfirmUnderPTY(t *testing.T) {
	t.Parallel()
	src := backupHome(t)
	zipPath := runBackupJSON(t, src, "--output", filepath.Join(t.TempDir(), "b.zip")).Path
	dst := t.TempDir()
	writeFile(t, filepath.Join(dst, "config.yaml"), "model:\n  default: local\n", 0o600)
	writeFile(t, filepath.Join(dst, ".env"), "MINE=1\n", 0o600)
	ptmx, tty, err := pty.Open()
	if err != nil {
		testenv.Missing(t, "a pseudo-terminal", err.Error())
	}
	defer ptmx.Close()
	defer tty.Close()
	var stdout bytes.Buffer
	done := make(chan int, 1)
	go func() {
		app := &App{Stdin: tty, Stdout: &stdout, Stderr: tty, Getenv: func(k string) string {
			return map[string]string{"HERMES_HOME": dst}[k]
		}}
		done <- runApp(app, []string{"import", zipPath})
	}()
	out := &ptyOutput{}
	go io.Copy(out, ptmx)
	answer := func(prompt, reply string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), prompt) {
			if time.Now().After(deadline) {
				t.Fatalf("no prompt %q:\n%s", prompt, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		ptmx.Write([]byte(reply + "\n"))
	}
	answer("overwrite .env with the archive's version? [y/N]", "n")
	answer("overwrite config.yaml with the archive's version? [y/N]", "y")
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("import exit %d: %s\n%s", code, stdout.String(), out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("import did not finish")
	}
	if b, _ := os.ReadFile(filepath.Join(dst, ".env")); string(b) != "MINE=1\n" {
		t.Errorf(".env = %q, want the home's own", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "config.yaml")); string(b) != "model:\n  default: m\n" {
		t.Errorf("config.yaml = %q, want the archive's", b)
	}
	if _, err := os.Stat(filepath.Join(dst, "memories/USER.md")); err != nil || !strings.Contains(stdout.String(), "kept the home's own") {
		t.Errorf("the rest was not imported: %v\n%s", err, stdout.String())
	}
}

// TestHelperStateWriter is not a test: TestBackupWhileProcessWrites runs
// the test binary with HERMES_TEST_STATE_WRITER set to make it a separate
// process that writes to state.db like a gateway, printing a line per
// committed session, until it is killed.
func TestHelperStateWriter(t *testing.T) {
	path := os.Getenv("HERMES_TEST_STATE_WRITER")
	if path == "" {
		t.Skip("runs only as the writer process of TestBackupWhileProcessWrites")
	}
	st, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; ; i++ {
		s, err := st.CreateSession(ctx, store.Session{Source: "telegram", Title: fmt.Sprint("chat ", i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AppendMessages(ctx, s.ID, llm.Message{Role: llm.RoleUser, Content: strings.Repeat("payload ", 8<<10)}); err != nil {
			t.Fatal(err)
		}
		fmt.Println("committed")
	}
}

// TestBackupWhileProcessWrites: another process (as the gateway is)
// commits to state.db in WAL mode all through `hermes backup`; the
// restored database passes PRAGMA integrity_check and holds every session
// committed before the backup began.
func TestBackupWhileProcessWrites(t *testing.T) {
	t.Parallel()
	src := backupHome(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStateWriter$")
	cmd.Env = append(os.Environ(), "HERMES_TEST_STATE_WRITER="+filepath.Join(src, "state.db"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	var commits atomic.Int64
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "committed" {
				commits.Add(1)
			}
		}
	}()
	target := int64(300)
	if testing.Short() {
		target = 100
	}
	deadline := time.Now().Add(60 * time.Second)
	for commits.Load() < target {
		if time.Now().After(deadline) {
			t.Fatalf("the writer committed only %d sessions", commits.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	before := commits.Load()
	zipPath := runBackupJSON(t, src, "--output", filepath.Join(t.TempDir(), "b.zip")).Path
	if commits.Load() == before {
		t.Errorf("the writer committed nothing during the backup")
	}
	cmd.Process.Kill()
	dst := t.TempDir()
	if r := hermes(t, dst, nil, "import", zipPath); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	restored := filepath.Join(dst, "state.db")
	integrityCheck(t, restored)
	db, _ := sql.Open("sqlite", restored)
	defer db.Close()
	var n int64
	db.QueryRow(`SELECT count(*) FROM sessions WHERE source='telegram'`).Scan(&n)
	if n < before {
		t.Errorf("restored %d sessions, %d were committed before the backup", n, before)
	}
}
