package ssh

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBootScriptLocally runs the boot command with the local sh, feeding
// the script on stdin as a session would: exports, cd, command, then the
// command's own stdin.
func TestBootScriptLocally(t *testing.T) {
	t.Parallel()
	marker, err := newMarker()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := map[string]string{"A": "x'y\nz", "B": "$(echo no)", "C": ""}
	script, err := commandScript(env, dir, "printf '%s|%s|%s|' \"$A\" \"$B\" \"$C\"; pwd; cat", marker)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(bootCommand(marker), "x'y") {
		t.Fatal("a value is on the command line")
	}
	cmd := exec.Command("sh", "-c", bootCommand(marker))
	cmd.Stdin = strings.NewReader(script + "rest of stdin\n")
	var out bytes.Buffer
	w := &pgidWriter{r: &remote{ready: make(chan struct{})}, out: &out}
	cmd.Stdout = w
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	want := "x'y\nz|$(echo no)||" + dir + "\nrest of stdin\n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	if w.r.pgid.Load() <= 1 {
		t.Error("no process group reported")
	}
}

// TestBootScriptNeedsMarker: input that ends before the end marker (the
// command was killed before it was sent) runs none of it.
func TestBootScriptNeedsMarker(t *testing.T) {
	t.Parallel()
	marker, err := newMarker()
	if err != nil {
		t.Fatal(err)
	}
	mark := filepath.Join(t.TempDir(), "ran")
	for _, in := range []string{"", "touch " + mark + "\n", "touch " + mark} {
		cmd := exec.Command("sh", "-c", bootCommand(marker))
		cmd.Stdin = strings.NewReader(in)
		var out bytes.Buffer
		cmd.Stdout = &pgidWriter{r: &remote{ready: make(chan struct{})}, out: &out}
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 125 {
			t.Errorf("input %q: %v, want exit 125", in, err)
		}
		if _, err := os.Stat(mark); err == nil {
			t.Fatalf("input %q ran without its end marker", in)
		}
		if out.Len() != 0 {
			t.Errorf("input %q: output %q", in, out.String())
		}
	}
}

func TestCommandScriptRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		cmd  string
	}{
		{"bad name", map[string]string{"A-B": "1"}, "true"},
		{"digit first", map[string]string{"1A": "1"}, "true"},
		{"nul", map[string]string{"A": "a\x00b"}, "true"},
		{"marker in command", nil, "echo\nMARK\necho"},
	}
	for _, tt := range tests {
		if _, err := commandScript(tt.env, "/tmp", tt.cmd, "MARK"); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

func TestResolveDir(t *testing.T) {
	t.Parallel()
	tests := []struct{ ws, dir, want string }{
		{"/w", "", "/w"},
		{"/w", "a/b", "/w/a/b"},
		{"/w", "/abs", "/abs"},
		{"/w", "~/x", "~/x"},
		{"/w", "a;b", ""},
		{"/w", "../etc", "/etc"},
		{"/w", "/a/../b", ""},
	}
	for _, tt := range tests {
		got, err := resolveDir(tt.ws, tt.dir)
		if tt.want == "" {
			if err == nil {
				t.Errorf("resolveDir(%q) = %q, want an error", tt.dir, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("resolveDir(%q) = %q, %v; want %q", tt.dir, got, err, tt.want)
		}
	}
}

// FuzzPgidWriter: however output is split, everything but the marker line
// comes through in order, and the group is read.
func FuzzPgidWriter(f *testing.F) {
	f.Add([]byte("motd\n"), []byte("out\nmore"), 3)
	f.Add([]byte(""), []byte(""), 1)
	f.Fuzz(func(t *testing.T, before, after []byte, split int) {
		// Only a marker line that starts at the end of before is the real one.
		if bytes.Index(append(append([]byte{}, before...), pgidMarker...), []byte(pgidMarker)) != len(before) {
			// the marker would start inside before
			return
		}
		stream := append(append(append([]byte{}, before...), pgidMarker+"4242\n"...), after...)
		var out bytes.Buffer
		w := &pgidWriter{r: &remote{ready: make(chan struct{})}, out: &out}
		if split < 1 {
			split = 1
		}
		for p := stream; len(p) > 0; {
			n := min(split, len(p))
			if k, err := w.Write(p[:n]); k != n || err != nil {
				t.Fatalf("Write = %d, %v", k, err)
			}
			p = p[n:]
		}
		if want := string(before) + string(after); out.String() != want {
			t.Fatalf("out %q, want %q", out.String(), want)
		}
		if w.r.pgid.Load() != 4242 {
			t.Fatalf("pgid %d", w.r.pgid.Load())
		}
	})
}
