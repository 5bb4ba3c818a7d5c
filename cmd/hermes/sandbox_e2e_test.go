package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/testenv"
)

// pathWithout is a PATH folder linking every program of PATH except name.
func pathWithout(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.Name() == name {
				continue
			}
			_ = os.Symlink(filepath.Join(d, e.Name()), filepath.Join(dir, e.Name())) // the first of a name wins, as in PATH
		}
	}
	return dir
}

// TestSandboxCheckAuto: on a fresh home terminal.backend is auto; with
// bubblewrap it chooses bubblewrap and every promised probe holds;
// without bwrap on PATH it chooses local and warns on stderr.
func TestSandboxCheckAuto(t *testing.T) {
	t.Parallel()
	bin := testenv.BuildHermes(t)
	run := func(t *testing.T, path string, args ...string) (string, string, int) {
		t.Helper()
		cmd := hermesCmd(bin, t.TempDir(), append([]string{"sandbox", "check", "--dir", t.TempDir()}, args...)...)
		if path != "" {
			cmd.Env = append(cmd.Env, "PATH="+path)
		}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	t.Run("bubblewrap present", func(t *testing.T) {
		t.Parallel()
		testenv.Bwrap(t)
		stdout, stderr, code := run(t, "", "--json")
		var rep struct {
			Backend string
			Auto    *struct{ Backend, Reason string }
			Probes  []struct {
				ID                 string
				Isolated, Expected bool
			}
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 {
			t.Fatalf("exit %d, %v:\n%s%s", code, err, stdout, stderr)
		}
		if rep.Backend != "bubblewrap" || rep.Auto == nil || rep.Auto.Backend != "bubblewrap" || rep.Auto.Reason == "" {
			t.Fatalf("auto did not choose bubblewrap: %s", stdout)
		}
		for _, p := range rep.Probes {
			if p.Expected && !p.Isolated {
				t.Errorf("probe %s failed: %+v", p.ID, p)
			}
		}
		if strings.Contains(stderr, "without a sandbox") {
			t.Errorf("warned although bubblewrap works:\n%s", stderr)
		}
		text, _, _ := run(t, "")
		if !strings.HasPrefix(text, "backend: auto -> bubblewrap (") {
			t.Errorf("text report:\n%s", text)
		}
	})
	t.Run("bubblewrap absent", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, code := run(t, pathWithout(t, "bwrap"))
		if code != 0 {
			t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
		}
		for _, want := range []string{"backend: auto -> local (bubblewrap is not installed", "apt install bubblewrap"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout)
			}
		}
		if strings.Count(stderr, "warning: terminal.backend auto runs commands on this machine without a sandbox") != 1 ||
			!strings.Contains(stderr, "dnf install bubblewrap") {
			t.Errorf("stderr lacks the warning, once:\n%s", stderr)
		}
	})
}
