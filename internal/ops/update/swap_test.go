package update

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeBin(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

func readBin(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestInstallRestoreSwap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "hermes")
	writeBin(t, bin, "v1")
	if err := Restore(bin); err == nil || !strings.Contains(err.Error(), "no previous binary") {
		t.Fatalf("restore without .prev: %v", err)
	}
	next, err := TempBinary(bin)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(next) != dir {
		t.Fatalf("temp binary %s not beside %s", next, bin)
	}
	writeBin(t, next, "v2")
	if err := Install(bin, next); err != nil {
		t.Fatal(err)
	}
	if got, prev := readBin(t, bin), readBin(t, Prev(bin)); got != "v2" || prev != "v1" {
		t.Fatalf("after install: bin %q prev %q", got, prev)
	}
	if fi, err := os.Stat(bin); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("installed mode: %v %v", fi, err)
	}
	if _, err := os.Stat(next); !os.IsNotExist(err) {
		t.Fatalf("temp binary left behind: %v", err)
	}
	// A manual rollback exchanges them; a second one undoes it.
	if err := Swap(bin); err != nil {
		t.Fatal(err)
	}
	if got, prev := readBin(t, bin), readBin(t, Prev(bin)); got != "v1" || prev != "v2" {
		t.Fatalf("after swap: bin %q prev %q", got, prev)
	}
	if err := Swap(bin); err != nil {
		t.Fatal(err)
	}
	if got := readBin(t, bin); got != "v2" {
		t.Fatalf("after second swap: %q", got)
	}
	// An automatic rollback restores .prev and discards the failed one.
	if err := Restore(bin); err != nil {
		t.Fatal(err)
	}
	if got := readBin(t, bin); got != "v1" {
		t.Fatalf("after restore: %q", got)
	}
	if _, err := os.Stat(Prev(bin)); !os.IsNotExist(err) {
		t.Fatalf(".prev still there after restore: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("leftovers in %s: %v", dir, entries)
	}
}

func TestTempBinaryUnwritableDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root writes anywhere")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "hermes")
	writeBin(t, bin, "v1")
	os.Chmod(dir, 0o555)
	defer os.Chmod(dir, 0o755)
	if _, err := TempBinary(bin); err == nil || !strings.Contains(err.Error(), "cannot write beside the binary") {
		t.Fatalf("got %v", err)
	}
}
