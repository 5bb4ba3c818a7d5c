package home

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRootDir(t *testing.T) {
	t.Parallel()
	cwd, _ := os.Getwd()
	user := func() (string, error) { return "/home/u", nil }
	noUser := func() (string, error) { return "", errors.New("no $HOME") }
	tests := []struct {
		name    string
		env     map[string]string
		user    func() (string, error)
		want    string
		wantErr string
	}{
		{"default", nil, user, "/home/u/.hermes", ""},
		{"HERMES_HOME", map[string]string{"HERMES_HOME": "/srv/h"}, user, "/srv/h", ""},
		{"relative HERMES_HOME", map[string]string{"HERMES_HOME": "rel/h"}, user, filepath.Join(cwd, "rel/h"), ""},
		{"tilde HERMES_HOME", map[string]string{"HERMES_HOME": "~/alt"}, user, "/home/u/alt", ""},
		{"no user home", nil, noUser, "", "set HERMES_HOME"},
		{"HERMES_HOME without user home", map[string]string{"HERMES_HOME": "/x"}, noUser, "/x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RootDir(Options{Getenv: env(tt.env), UserHome: tt.user})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestResolveOrder: -p beats HERMES_PROFILE beats active_profile beats
// default, and every source is validated.
func TestResolveOrder(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, p := range []string{"flag", "envp", "sticky"} {
		if err := os.MkdirAll(filepath.Join(root, ProfilesDir, p), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	sticky := func(name string) func(t *testing.T) string {
		return func(t *testing.T) string {
			r := t.TempDir()
			if err := os.CopyFS(r, os.DirFS(root)); err != nil {
				t.Fatal(err)
			}
			if name != "" {
				os.WriteFile(filepath.Join(r, ActiveProfile), []byte(name+"\n"), 0o600)
			}
			return r
		}
	}
	tests := []struct {
		name       string
		setup      func(t *testing.T) string
		flag, envp string
		want       string
		source     string
		wantErr    string
	}{
		{"nothing set", sticky(""), "", "", DefaultProfile, "default", ""},
		{"sticky", sticky("sticky"), "", "", "sticky", ActiveProfile, ""},
		{"env beats sticky", sticky("sticky"), "", "envp", "envp", "HERMES_PROFILE", ""},
		{"flag beats env", sticky("sticky"), "flag", "envp", "flag", "-p", ""},
		{"flag default beats sticky", sticky("sticky"), "default", "", DefaultProfile, "-p", ""},
		{"missing flag profile", sticky(""), "ghost", "", "", "", `profile "ghost" (from -p) does not exist`},
		{"missing env profile", sticky(""), "", "ghost", "", "", "from HERMES_PROFILE"},
		{"stale sticky", sticky("gone"), "", "", "", "", "hermes profile use default"},
		{"traversal in flag", sticky(""), "../etc", "", "", "", "invalid profile name"},
		{"separator in env", sticky(""), "", "a/b", "", "", "invalid profile name"},
		{"traversal in sticky", sticky("../../etc"), "", "", "", "", "profile from active_profile: invalid"},
		{"absolute", sticky(""), "/etc", "", "", "", "invalid profile name"},
		{"hidden", sticky(""), ".hidden", "", "", "", "invalid profile name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.setup(t)
			h, err := Resolve(Options{Profile: tt.flag, Getenv: env(map[string]string{"HERMES_HOME": r, "HERMES_PROFILE": tt.envp})})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Profile != tt.want || h.Source != tt.source || h.Root != r {
				t.Fatalf("got %+v, want profile %s from %s", h, tt.want, tt.source)
			}
			wantDir := r
			if tt.want != DefaultProfile {
				wantDir = filepath.Join(r, ProfilesDir, tt.want)
			}
			if h.Dir != wantDir {
				t.Errorf("dir %s, want %s", h.Dir, wantDir)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"work", "a", "Work-2", "x_y", strings.Repeat("a", 64), "default", "9lives"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/b", `a\b`, "/abs", ".hidden", "-flag", "a b", "a\x00", strings.Repeat("a", 65), "é"} {
		if err := ValidateName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestEnsureCreatesLayout(t *testing.T) {
	t.Parallel()
	h := &Home{Dir: filepath.Join(t.TempDir(), "new", "home")}
	if err := h.Ensure(); err != nil {
		t.Fatal(err)
	}
	for _, d := range append([]string{""}, layout...) {
		fi, err := os.Stat(h.Path(d))
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v", d, err, fi)
		}
	}
	// An existing, looser home keeps its mode (the doctor reports it).
	os.Chmod(h.Dir, 0o755)
	if err := h.Ensure(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(h.Dir); fi.Mode().Perm() != 0o755 {
		t.Errorf("mode changed to %v", fi.Mode().Perm())
	}
}

func TestModeWarning(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	os.Chmod(root, 0o700)
	h := &Home{Root: root, Profile: DefaultProfile, Dir: root}
	if w := h.ModeWarning(); w != "" {
		t.Errorf("0700 home warned: %s", w)
	}
	os.Chmod(root, 0o755)
	if w := h.ModeWarning(); !strings.Contains(w, "mode 0755") || !strings.Contains(w, "chmod 700 "+root) {
		t.Errorf("0755 home: %q", w)
	}
	os.Chmod(root, 0o700)
	prof := filepath.Join(root, "profiles", "work")
	os.MkdirAll(prof, 0o750)
	os.Chmod(prof, 0o750)
	h = &Home{Root: root, Profile: "work", Dir: prof}
	if w := h.ModeWarning(); !strings.Contains(w, prof+" is open to others (mode 0750)") {
		t.Errorf("0750 profile: %q", w)
	}
}
