package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/testenv"
)

// fakeBin makes a folder holding an executable script name; it is the
// whole PATH of the test, with sh's folder so the script can run.
func fakeBin(t *testing.T, name, script string) string {
	t.Helper()
	dir := t.TempDir()
	if name != "" {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestResolveAuto(t *testing.T) {
	tests := []struct {
		name    string
		path    func(t *testing.T) string
		backend string
		reason  string
	}{
		{"no bwrap", func(t *testing.T) string { return fakeBin(t, "", "") }, "local", "not installed"},
		{"bwrap that cannot sandbox", func(t *testing.T) string {
			return fakeBin(t, "bwrap", "echo 'bwrap: No permissions to create new namespace' >&2; exit 1")
		}, "local", "No permissions to create new namespace"},
		{"real bwrap", func(t *testing.T) string {
			testenv.Bwrap(t)
			p, _ := exec.LookPath("bwrap")
			return filepath.Dir(p)
		}, "bubblewrap", "made a test sandbox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path(t))
			c := ResolveAuto()
			if c.Backend != tt.backend || !strings.Contains(c.Reason, tt.reason) {
				t.Fatalf("got %+v, want %s because %q", c, tt.backend, tt.reason)
			}
			if again := ResolveAuto(); again != c {
				t.Errorf("second call: %+v, want the cached %+v", again, c)
			}
			if c.Isolated() != (tt.backend == "bubblewrap") {
				t.Errorf("Isolated() = %v", c.Isolated())
			}
		})
	}
}

func TestLocalWarningSaysWhatAndHow(t *testing.T) {
	t.Parallel()
	w := LocalWarning(Choice{Backend: "local", Reason: "bubblewrap is not installed (no bwrap on PATH)"})
	for _, want := range []string{"without a sandbox", "not installed", "~/.ssh", "apt install bubblewrap", "dnf install bubblewrap", "terminal.backend: local"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning lacks %q:\n%s", want, w)
		}
	}
}

// TestHiddenCredentialsAreExposeEnum keeps terminal.expose's allowed values
// equal to the paths the sandbox hides.
func TestHiddenCredentialsAreExposeEnum(t *testing.T) {
	t.Parallel()
	f, ok := reflect.TypeFor[config.Terminal]().FieldByName("Expose")
	if !ok {
		t.Fatal("config.Terminal has no Expose field")
	}
	enum := strings.Split(f.Tag.Get("enum"), ",")
	if !slices.Equal(enum, HiddenCredentials) {
		t.Errorf("terminal.expose enum %v != HiddenCredentials %v", enum, HiddenCredentials)
	}
}
