package file

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	writeTestFile(t, filepath.Join(env.Cwd, "exec.sh"), "old\n")
	if err := os.Chmod(filepath.Join(env.Cwd, "exec.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(env.Cwd, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    obj
		want    string
		file    string // relative to Cwd; checked when content is given
		content string
		perm    os.FileMode
		isError bool
	}{
		{"new file", obj{"path": "a.txt", "content": "x\ny\n"}, "wrote 4 bytes (2 lines) to a.txt", "a.txt", "x\ny\n", 0o644, false},
		{"no final newline", obj{"path": "b.txt", "content": "x\ny"}, "wrote 3 bytes (2 lines) to b.txt", "b.txt", "x\ny", 0o644, false},
		{"parents created", obj{"path": "deep/er/c.txt", "content": "c"}, "wrote 1 byte (1 line) to deep/er/c.txt", "deep/er/c.txt", "c", 0o644, false},
		{"empty content", obj{"path": "e.txt", "content": ""}, "wrote 0 bytes (0 lines)", "e.txt", "", 0o644, false},
		{"overwrite keeps mode", obj{"path": "exec.sh", "content": "#!/bin/sh\n"}, "wrote 10 bytes", "exec.sh", "#!/bin/sh\n", 0o755, false},
		{"content missing", obj{"path": "m.txt"}, "content is missing", "", "", 0, true},
		{"directory", obj{"path": "dir", "content": "x"}, "dir is a directory", "", "", 0, true},
		{"no path", obj{"content": "x"}, "path is empty", "", "", 0, true},
		{"home env", obj{"path": filepath.Join(env.Home, ".env"), "content": "X=1"}, "hermes home's .env and cannot be written", "", "", 0, true},
		{"home auth", obj{"path": filepath.Join(env.Home, "auth.json"), "content": "{}"}, "hermes home's auth.json", "", "", 0, true},
		{"home config", obj{"path": filepath.Join(env.Home, "config.yaml"), "content": "a: 1"}, "hermes config set", "", "", 0, true},
		{"home config via dots", obj{"path": filepath.Join(env.Home, "sub", "..", "config.yaml"), "content": "a: 1"}, "hermes home's config.yaml", "", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := call(t, env, WriteFile{}, tt.args)
			if m.IsError != tt.isError || !strings.Contains(m.Content, tt.want) {
				t.Fatalf("got %+v, want %q (error %v)", m, tt.want, tt.isError)
			}
			if tt.file == "" {
				return
			}
			p := filepath.Join(env.Cwd, tt.file)
			if got := readTestFile(t, p); got != tt.content {
				t.Errorf("file = %q, want %q", got, tt.content)
			}
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != tt.perm {
				t.Errorf("mode = %v (%v), want %v", fi.Mode().Perm(), err, tt.perm)
			}
		})
	}
	for _, f := range []string{".env", "auth.json", "config.yaml"} {
		if got := readTestFile(t, filepath.Join(env.Home, f)); got != "SECRET=1\n" {
			t.Errorf("%s changed: %q", f, got)
		}
	}
}

func TestWriteFileThroughSymlinkToHome(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	if err := os.Symlink(env.Home, filepath.Join(env.Cwd, "h")); err != nil {
		t.Fatal(err)
	}
	m := call(t, env, WriteFile{}, obj{"path": "h/.env", "content": "X=1"})
	if !m.IsError || !strings.Contains(m.Content, "hermes home's .env") {
		t.Fatalf("%+v", m)
	}
}
