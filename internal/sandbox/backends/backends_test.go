package backends

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
	"github.com/hermes-go/hermes/internal/testenv"
)

// TestAuto: auto is bubblewrap where bwrap works, else local with one
// warning per process. The two cases share the package's warning, so
// they run in order, not in parallel.
func TestAuto(t *testing.T) {
	var warned bytes.Buffer
	old := sandbox.Warnings
	sandbox.Warnings = &warned
	t.Cleanup(func() { sandbox.Warnings = old })
	home := t.TempDir()
	o := sandbox.Options{Terminal: config.Terminal{Backend: "auto"}, Workspace: t.TempDir(), HomeDir: home, Env: os.Environ()}

	t.Run("without bwrap", func(t *testing.T) {
		t.Setenv("PATH", shDir(t))
		for range 2 {
			b, err := sandbox.New(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if b.Name() != "local" {
				t.Errorf("auto without bwrap chose %s", b.Name())
			}
			_ = b.Close()
		}
		if n := strings.Count(warned.String(), "without a sandbox"); n != 1 {
			t.Errorf("warned %d times, want once:\n%s", n, warned.String())
		}
	})
	t.Run("with bwrap", func(t *testing.T) {
		testenv.Bwrap(t)
		b, err := sandbox.New(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if b.Name() != "bubblewrap" {
			t.Errorf("auto with bwrap chose %s", b.Name())
		}
	})
}

// shDir is a folder holding only a link to sh, so PATH can have sh
// without bwrap.
func shDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink("/bin/sh", dir+"/sh"); err != nil {
		t.Fatal(err)
	}
	return dir
}
