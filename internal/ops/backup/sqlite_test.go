package backup

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// openWAL opens a database the way the store and the gateway do.
func openWAL(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, "busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// fillBlobs adds mb MiB of rows (random, incompressible) to table t.
func fillBlobs(t testing.TB, db *sql.DB, mb int) {
	t.Helper()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, b BLOB)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for range mb * 16 {
		if _, err := tx.Exec(`INSERT INTO blobs(b) VALUES (randomblob(65536))`); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func check(t testing.TB, path, pragma string) {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out string
	if err := db.QueryRow("PRAGMA " + pragma).Scan(&out); err != nil || out != "ok" {
		t.Fatalf("%s of %s: %q %v", pragma, path, out, err)
	}
}

// TestCopyDBWhileWriting: another connection commits all through the
// copy; the copy restarts, ends (the last attempt in one step) and is a
// sound database holding at least every row committed before it began.
func TestCopyDBWhileWriting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "state.db")
	db := openWAL(t, src)
	fillBlobs(t, db, 16) // 4 steps of 1024 pages
	var before int
	db.QueryRow(`SELECT count(*) FROM blobs`).Scan(&before)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			db.Exec(`INSERT INTO blobs(b) VALUES (randomblob(4096))`)
			time.Sleep(200 * time.Microsecond)
		}
	}()
	dst := filepath.Join(dir, "copy.db")
	var reports int
	start := time.Now()
	restarts, err := copyDB(context.Background(), src, dst, func(int64) { reports++ })
	t.Logf("copy took %s with %d restart(s)", time.Since(start), restarts)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if restarts == 0 {
		t.Logf("no restart happened (a slow machine let the copy finish between writes)")
	}
	if reports < 2 {
		t.Errorf("%d progress reports", reports)
	}
	check(t, dst, "integrity_check")
	cp, _ := sql.Open("sqlite", dsn(dst))
	defer cp.Close()
	var got int
	cp.QueryRow(`SELECT count(*) FROM blobs`).Scan(&got)
	if got < before {
		t.Errorf("copy holds %d rows, %d were committed before it", got, before)
	}
}

// TestRestoreDBInPlace: restoring into an existing database keeps its
// file (same inode) and an open connection sees the new rows.
func TestRestoreDBInPlace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	fillBlobs(t, openWAL(t, src), 1)
	open := openWAL(t, dst)
	if _, err := open.Exec(`CREATE TABLE other (x)`); err != nil {
		t.Fatal(err)
	}
	if err := restoreDB(context.Background(), src, dst); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := open.QueryRow(`SELECT count(*) FROM blobs`).Scan(&n); err != nil || n != 16 {
		t.Fatalf("open connection sees %d rows, %v", n, err)
	}
	check(t, dst, "integrity_check")
}

// TestCopyDBNeverCreatesSource: a database removed since the scan is not
// recreated empty by the copy.
func TestCopyDBNeverCreatesSource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "gone.db")
	if _, err := copyDB(context.Background(), src, filepath.Join(dir, "copy.db"), nil); err == nil {
		t.Fatal("copied a missing database")
	}
	if _, err := os.Stat(src); err == nil {
		t.Error("the copy created the missing source")
	}
}
