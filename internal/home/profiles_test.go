package home

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func write(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sourceHome is a default profile with a bit of everything.
func sourceHome(t *testing.T) string {
	root := t.TempDir()
	write(t, filepath.Join(root, ConfigFile), "# mine\nagent:\n  max_turns: 7\n", 0o644)
	write(t, filepath.Join(root, SoulFile), "You are terse.\n", 0o600)
	write(t, filepath.Join(root, AuthFile), `{"pools":{}}`, 0o600)
	write(t, filepath.Join(root, EnvFile), "# keys\nOPENAI_API_KEY=sk-1\nTELEGRAM_BOT_TOKEN=123:abc\nexport SLACK_BOT_TOKEN=\"xoxb\nmulti\"\nGATEWAY_ALLOWED_USERS=1,2\nANTHROPIC_API_KEY=sk-ant\n", 0o600)
	write(t, filepath.Join(root, SkillsDir, "dev", "git", "SKILL.md"), "---\nname: git\n---\n", 0o644)
	write(t, filepath.Join(root, MemoriesDir, "MEMORY.md"), "private memory\n", 0o600)
	write(t, filepath.Join(root, PairingDir, "telegram.json"), "{}", 0o600)
	write(t, filepath.Join(root, StateDB), "db", 0o600)
	if err := os.Symlink("/etc/passwd", filepath.Join(root, SkillsDir, "escape.md")); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestCreateEmpty(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r, err := Create(root, "work", CreateOptions{})
	if err != nil || len(r.Copied) != 0 {
		t.Fatalf("%v %+v", err, r)
	}
	h := &Home{Dir: Dir(root, "work")}
	for _, d := range layout {
		if fi, err := os.Stat(h.Path(d)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v", d, err)
		}
	}
	if _, err := Create(root, "work", CreateOptions{}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second create: %v", err)
	}
	for _, bad := range []string{"default", "../x", "a/b"} {
		if _, err := Create(root, bad, CreateOptions{}); err == nil {
			t.Errorf("created %q", bad)
		}
	}
	assertNoLeftovers(t, root)
}

func TestCloneLeavesOutMessagingCredentials(t *testing.T) {
	t.Parallel()
	root := sourceHome(t)
	r, err := Create(root, "work", CreateOptions{CloneFrom: root})
	if err != nil {
		t.Fatal(err)
	}
	dir := Dir(root, "work")
	if want := []string{ConfigFile, SoulFile, AuthFile, SkillsDir, EnvFile}; !reflect.DeepEqual(r.Copied, want) {
		t.Errorf("copied %v, want %v", r.Copied, want)
	}
	if want := []string{"TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "GATEWAY_ALLOWED_USERS"}; !reflect.DeepEqual(r.LeftOut, want) {
		t.Errorf("left out %v, want %v", r.LeftOut, want)
	}
	if got, want := read(t, filepath.Join(dir, EnvFile)), "# keys\nOPENAI_API_KEY=sk-1\nANTHROPIC_API_KEY=sk-ant\n"; got != want {
		t.Errorf(".env = %q, want %q", got, want)
	}
	if fi, _ := os.Stat(filepath.Join(dir, EnvFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf(".env mode %v", fi.Mode().Perm())
	}
	if read(t, filepath.Join(dir, ConfigFile)) != "# mine\nagent:\n  max_turns: 7\n" {
		t.Error("config not copied verbatim")
	}
	if read(t, filepath.Join(dir, SkillsDir, "dev", "git", "SKILL.md")) == "" {
		t.Error("skill not copied")
	}
	for _, never := range []string{filepath.Join(MemoriesDir, "MEMORY.md"), StateDB, filepath.Join(PairingDir, "telegram.json"), filepath.Join(SkillsDir, "escape.md")} {
		if _, err := os.Lstat(filepath.Join(dir, never)); err == nil {
			t.Errorf("%s was copied", never)
		}
	}
}

func TestCloneSecrets(t *testing.T) {
	t.Parallel()
	root := sourceHome(t)
	r, err := Create(root, "twin", CreateOptions{CloneFrom: root, CloneSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := Dir(root, "twin")
	if read(t, filepath.Join(dir, EnvFile)) != read(t, filepath.Join(root, EnvFile)) {
		t.Error(".env not copied whole")
	}
	if len(r.LeftOut) != 0 {
		t.Errorf("left out %v", r.LeftOut)
	}
	if read(t, filepath.Join(dir, PairingDir, "telegram.json")) != "{}" {
		t.Error("pairing store not copied")
	}
}

// TestCreateFailureLeavesNothing: a clone that fails half-way leaves no
// profile and no temporary folder behind.
func TestCreateFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	root := sourceHome(t)
	write(t, filepath.Join(root, EnvFile), "OK=1\nthis is not an assignment\n", 0o600)
	_, err := Create(root, "broken", CreateOptions{CloneFrom: root})
	if err == nil || !strings.Contains(err.Error(), ".env:2:") {
		t.Fatalf("err = %v", err)
	}
	if Exists(root, "broken") {
		t.Error("half-made profile exists")
	}
	assertNoLeftovers(t, root)
}

func assertNoLeftovers(t *testing.T, root string) {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(root, ProfilesDir))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".creating-") || strings.Contains(e.Name(), ".deleting-") {
			t.Errorf("leftover %s", e.Name())
		}
	}
}

func TestListUseDelete(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, n := range []string{"zeta", "alpha"} {
		if _, err := Create(root, n, CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, ProfilesDir, ".hidden"), 0o700)
	os.WriteFile(filepath.Join(root, ProfilesDir, "file"), nil, 0o600)
	names := func() (out []string) {
		ps, err := List(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			n := p.Name
			if p.Active {
				n += "*"
			}
			out = append(out, n)
		}
		return out
	}
	if got := names(); !reflect.DeepEqual(got, []string{"default*", "alpha", "zeta"}) {
		t.Errorf("list = %v", got)
	}
	if err := SetActive(root, "zeta"); err != nil {
		t.Fatal(err)
	}
	if got := names(); !reflect.DeepEqual(got, []string{"default", "alpha", "zeta*"}) {
		t.Errorf("after use: %v", got)
	}
	if fi, _ := os.Stat(filepath.Join(root, ActiveProfile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("active_profile mode %v", fi.Mode().Perm())
	}
	if err := SetActive(root, "ghost"); err == nil {
		t.Error("use of a missing profile")
	}
	if err := Delete(root, "zeta"); err != nil {
		t.Fatal(err)
	}
	if got := names(); !reflect.DeepEqual(got, []string{"default*", "alpha"}) {
		t.Errorf("after deleting the active one: %v", got)
	}
	if _, err := os.Stat(filepath.Join(root, ActiveProfile)); !os.IsNotExist(err) {
		t.Error("active_profile still names the deleted profile")
	}
	assertNoLeftovers(t, root)
	for _, bad := range []string{"default", "ghost", "../alpha"} {
		if err := Delete(root, bad); err == nil {
			t.Errorf("deleted %q", bad)
		}
	}
}

func TestDeleteRefusesRunningGateway(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if _, err := Create(root, "live", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(Dir(root, "live"), GatewayPID)
	write(t, pidFile, strconv.Itoa(os.Getpid())+"\n", 0o600)
	if err := Delete(root, "live"); err == nil || !strings.Contains(err.Error(), "gateway running") {
		t.Fatalf("err = %v", err)
	}
	// A stale pid file (no such process) does not block.
	write(t, pidFile, "999999999\n", 0o600)
	if err := Delete(root, "live"); err != nil {
		t.Fatal(err)
	}
}
