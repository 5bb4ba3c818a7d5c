package backup

import (
	"bufio"
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/testenv"
)

// procStatus returns a "kB" field of /proc/self/status in bytes.
func procStatus(t testing.TB, field string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		testenv.Missing(t, "/proc/self/status", "peak memory is read from it")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// resetPeak returns the process's resident memory after resetting its
// high-water mark (VmHWM) to it.
func resetPeak(t testing.TB) int64 {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		testenv.Missing(t, "/proc/self/clear_refs", "resetting the peak resident memory needs Linux >= 4.0: "+err.Error())
	}
	return procStatus(t, "VmRSS")
}

// fillHome writes a state.db of about mb MiB into root: rows of 64 KiB,
// half random and half text, so the zip compresses them about 2:1.
func fillHome(t testing.TB, root string, mb int) {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(filepath.Join(root, "state.db"), "journal_mode(WAL)", "synchronous(NORMAL)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, content BLOB)`); err != nil {
		t.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{byte(mb)})
	row := make([]byte, 64<<10)
	text := []byte(strings.Repeat("the agent replied with a long answer about backups. ", 700))
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for range mb * 16 {
		rng.Read(row[:32<<10])
		copy(row[32<<10:], text)
		if _, err := tx.Exec(`INSERT INTO messages(content) VALUES (?)`, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
}

// measureBackup backs up a home with a state.db of mb MiB and returns the
// peak resident memory above the start and the peak Go heap in use.
func measureBackup(t *testing.T, mb int) (rss int64, heap uint64) {
	root := t.TempDir()
	fillHome(t, root, mb)
	base := resetPeak(t)
	var ms runtime.MemStats
	var next int64
	_, err := Create(context.Background(), Options{Root: root, Output: t.TempDir(), Progress: func(done, _ int64) {
		if done >= next {
			runtime.ReadMemStats(&ms)
			heap = max(heap, ms.HeapInuse)
			next = done + 4<<20
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	return procStatus(t, "VmHWM") - base, heap
}

// TestBackupMemoryFlat: the memory a backup needs does not grow with the
// size of state.db (it streams: SQLite's backup pages through a small
// page cache, the zip through a fixed buffer). Not parallel: it reads the
// whole process's peak memory.
func TestBackupMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 160 MB of databases")
	}
	smallRSS, smallHeap := measureBackup(t, 32)
	bigRSS, bigHeap := measureBackup(t, 128)
	t.Logf("32 MiB state.db: peak RSS +%d MiB, heap %d MiB; 128 MiB: +%d MiB, heap %d MiB",
		smallRSS>>20, smallHeap>>20, bigRSS>>20, bigHeap>>20)
	if bigRSS > 48<<20 || bigRSS-smallRSS > 24<<20 {
		t.Errorf("peak memory grows with the database: +%d MiB for 32 MiB, +%d MiB for 128 MiB", smallRSS>>20, bigRSS>>20)
	}
	if bigHeap > 32<<20 {
		t.Errorf("Go heap reached %d MiB", bigHeap>>20)
	}
}

// benchMB is the state.db size of the benchmarks: HERMES_BENCH_DB_MB, or
// 256.
func benchMB() int {
	if n, err := strconv.Atoi(os.Getenv("HERMES_BENCH_DB_MB")); err == nil && n > 0 {
		return n
	}
	return 256
}

// BenchmarkBackupLargeDB: time and peak memory of a backup of a home with
// a large state.db (HERMES_BENCH_DB_MB=1024 for the 1 GB figure).
func BenchmarkBackupLargeDB(b *testing.B) {
	mb := benchMB()
	root := b.TempDir()
	fillHome(b, root, mb)
	b.SetBytes(int64(mb) << 20)
	base := resetPeak(b)
	b.ResetTimer()
	for range b.N {
		out := b.TempDir()
		if _, err := Create(context.Background(), Options{Root: root, Output: out}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(procStatus(b, "VmHWM")-base)/(1<<20), "peak-MiB")
}

// BenchmarkImportLargeDB: time and peak memory of importing that backup
// over a home that has a state.db.
func BenchmarkImportLargeDB(b *testing.B) {
	mb := benchMB()
	src := b.TempDir()
	fillHome(b, src, mb)
	res, err := Create(context.Background(), Options{Root: src, Output: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(mb) << 20)
	b.ResetTimer()
	var peak int64
	for range b.N {
		b.StopTimer()
		dst := b.TempDir()
		fillHome(b, dst, 1)
		base := resetPeak(b)
		b.StartTimer()
		im, err := OpenImport(res.Path, dst, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := im.Apply(context.Background()); err != nil {
			b.Fatal(err)
		}
		im.Close()
		peak = max(peak, procStatus(b, "VmHWM")-base)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
}
