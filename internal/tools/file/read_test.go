package file

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/tools"
)

func TestReadFile(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	writeTestFile(t, filepath.Join(env.Cwd, "a.txt"), "one\ntwo\r\nthree\nfour\nfive")
	writeTestFile(t, filepath.Join(env.Cwd, "empty"), "")
	writeTestFile(t, filepath.Join(env.Cwd, "bin"), "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	writeTestFile(t, filepath.Join(env.Cwd, "latin1"), strings.Repeat("caf\xe9 \xe0 la cr\xe8me\n", 10))
	writeTestFile(t, filepath.Join(env.Cwd, "long"), strings.Repeat("x", MaxLineChars+50)+"\n")
	big := strings.Repeat(strings.Repeat("y", 99)+"\n", MaxWholeFile/100+10)
	writeTestFile(t, filepath.Join(env.Cwd, "big"), big)
	many := ""
	for i := 1; i <= DefaultReadLines+5; i++ {
		many += fmt.Sprintf("l%d\n", i)
	}
	writeTestFile(t, filepath.Join(env.Cwd, "many"), many)
	if err := os.Symlink(filepath.Join(env.Home, ".env"), filepath.Join(env.Cwd, "sneaky")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    obj
		want    []string
		not     []string
		isError bool
	}{
		{"whole", obj{"path": "a.txt"}, []string{"     1→one\n", "     2→two\n", "     5→five\n"}, []string{"\r", "[lines"}, false},
		{"absolute", obj{"path": filepath.Join(env.Cwd, "a.txt")}, []string{"     3→three"}, nil, false},
		{"offset", obj{"path": "a.txt", "offset": 4}, []string{"     4→four\n     5→five\n"}, []string{"three"}, false},
		{"offset and limit", obj{"path": "a.txt", "offset": 2, "limit": 2}, []string{"     2→two\n     3→three\n", "[lines 2-3 of 5; call read_file with offset 4"}, []string{"four"}, false},
		{"default limit", obj{"path": "many"}, []string{"  2000→l2000\n", "[lines 1-2000 of 2005; call read_file with offset 2001"}, []string{"l2001"}, false},
		{"big with range", obj{"path": "big", "offset": 3, "limit": 1}, []string{"     3→yyy", "[lines 3-3; more follow"}, nil, false},
		{"long line cut", obj{"path": "long"}, []string{"… [line cut: 2050 characters]"}, nil, false},
		{"empty", obj{"path": "empty"}, []string{"(empty is empty)"}, nil, false},
		{"binary", obj{"path": "bin"}, []string{"bin is a binary file (16 bytes, image/png); read_file shows text only"}, []string{"IHDR"}, false},
		{"invalid utf-8 is binary", obj{"path": "latin1"}, []string{"latin1 is a binary file"}, nil, false},
		{"big without range", obj{"path": "big"}, []string{"over the 256 KiB limit", "pass offset and limit"}, nil, true},
		{"offset past end", obj{"path": "a.txt", "offset": 9}, []string{"offset 9 is past the end of a.txt (5 lines)"}, nil, true},
		{"offset zero", obj{"path": "a.txt", "offset": 0}, []string{"offset 0 is not a line number"}, nil, true},
		{"limit zero", obj{"path": "a.txt", "limit": 0}, []string{"limit 0 must be at least 1"}, nil, true},
		{"missing", obj{"path": "nope.txt"}, []string{"nope.txt does not exist"}, nil, true},
		{"directory", obj{"path": "."}, []string{"is a directory"}, nil, true},
		{"no path", obj{}, []string{"path is empty"}, nil, true},
		{"bad type", obj{"path": 3}, []string{"bad arguments"}, nil, true},
		{"home env", obj{"path": filepath.Join(env.Home, ".env")}, []string{"hermes home's .env", "cannot be read"}, []string{"SECRET"}, true},
		{"home auth", obj{"path": filepath.Join(env.Home, "auth.json")}, []string{"hermes home's auth.json"}, nil, true},
		{"home env through symlink", obj{"path": "sneaky"}, []string{"hermes home's .env"}, []string{"SECRET"}, true},
		{"home config is readable", obj{"path": filepath.Join(env.Home, "config.yaml")}, []string{"     1→SECRET=1"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := call(t, env, ReadFile{}, tt.args)
			if m.IsError != tt.isError {
				t.Errorf("IsError = %v, want %v: %s", m.IsError, tt.isError, m.Content)
			}
			for _, w := range tt.want {
				if !strings.Contains(m.Content, w) {
					t.Errorf("missing %q in:\n%s", w, m.Content)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(m.Content, n) {
					t.Errorf("unexpected %q in:\n%s", n, m.Content)
				}
			}
		})
	}
}

func TestReadFileTilde(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	writeTestFile(t, filepath.Join(home, "notes.md"), "hello\n")
	m := call(t, &tools.Env{Cwd: t.TempDir()}, ReadFile{}, obj{"path": "~/notes.md"})
	if m.IsError || m.Content != "     1→hello\n" {
		t.Fatalf("%+v", m)
	}
}

func TestIsBinary(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"plain text\n", false},
		{"héllo wörld ✓\n", false},
		{"a\x00b", true},
		{"\xff\xfe\xfd\xfc\xfb plain", true},
		{strings.Repeat("ascii ", 100) + "\xe9", false},
	} {
		if got := isBinary([]byte(tt.in)); got != tt.want {
			t.Errorf("isBinary(%q) = %v", tt.in, got)
		}
	}
}
