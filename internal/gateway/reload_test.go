package gateway

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/config"
)

// TestReloadKeepsLastGood: a valid edit is applied, an invalid one is
// rejected with file:line:col and the last good config stays.
func TestReloadKeepsLastGood(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	write := func(s string, age time.Duration) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-age) // distinct mtimes without sleeping
		os.Chtimes(path, at, at)
	}
	write("gateway:\n  busy_mode: queue\n", time.Hour)
	var current, loaded *config.Config
	var logs []string
	r := &Reloader{Paths: []string{path},
		Load: func() error {
			l, err := config.Load(path)
			if err != nil {
				return err
			}
			loaded = l.Config
			return nil
		},
		Apply: func() { current = loaded },
		Logf:  func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) },
	}
	if !r.Reload("start") || current.Gateway.BusyMode != "queue" {
		t.Fatal("first load")
	}
	r.Changed()
	write("gateway:\n  busy_mode: interrupt\n", 30*time.Minute)
	if !r.Changed() || !r.Reload("file changed") || current.Gateway.BusyMode != "interrupt" {
		t.Fatalf("valid edit not applied: %+v", current.Gateway)
	}
	write("gateway:\n  busy_mode: sometimes\n", 10*time.Minute)
	if !r.Changed() {
		t.Fatal("change not seen")
	}
	if r.Reload("file changed") {
		t.Fatal("invalid edit applied")
	}
	if current.Gateway.BusyMode != "interrupt" {
		t.Fatalf("last good config lost: %q", current.Gateway.BusyMode)
	}
	last := logs[len(logs)-1]
	if !strings.Contains(last, "rejected") || !strings.Contains(last, "config.yaml:2:") {
		t.Fatalf("log %q lacks file:line:col", last)
	}
	if r.Changed() {
		t.Fatal("no change reported as one")
	}
}
