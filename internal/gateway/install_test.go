package gateway

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestUnitGolden: the unit files this binary writes, byte for byte.
func TestUnitGolden(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		u    Unit
	}{
		{"user-default", Unit{Exe: "/usr/local/bin/hermes"}},
		{"user-profile-home", Unit{Exe: "/opt/hermes $bin/hermes", Profile: "work", Home: "/srv/100%/hermes$x"}},
		{"system", Unit{Exe: "/usr/local/bin/hermes", System: true, User: "hermes", Home: "/var/lib/hermes", Drain: 5 * time.Minute}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.u.Render()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "unit-"+tt.name+".service")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("unit differs from %s:\n%s", golden, got)
			}
		})
	}
}

func TestUnitRefusesBadInput(t *testing.T) {
	t.Parallel()
	for _, u := range []Unit{
		{Exe: "hermes"},
		{Exe: "/bin/hermes", Home: "/h\nExecStartPre=/bin/rm -rf /"},
		{Exe: "/bin/hermes", Profile: "a\x00b"},
	} {
		if _, err := u.Render(); err == nil {
			t.Errorf("%+v: rendered", u)
		}
	}
}

func TestUnitNameAndPath(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		u    Unit
		want string
	}{
		{Unit{}, "/home/u/.config/systemd/user/hermes-gateway.service"},
		{Unit{Profile: "default"}, "/home/u/.config/systemd/user/hermes-gateway.service"},
		{Unit{Profile: "work"}, "/home/u/.config/systemd/user/hermes-gateway-work.service"},
		{Unit{Profile: "work", System: true}, "/etc/systemd/system/hermes-gateway-work.service"},
	} {
		if got := UnitPath(tt.u, "/home/u/.config"); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.u, got, tt.want)
		}
	}
}

// TestWriteUnit: atomic, unchanged when equal, and a different unit is
// replaced only after saying so.
func TestWriteUnit(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "systemd", "user", "hermes-gateway.service")
	var said []string
	logf := func(f string, a ...any) { said = append(said, f) }
	if changed, err := WriteUnit(path, "A\n", logf); err != nil || !changed || len(said) != 0 {
		t.Fatalf("first write: %v %v %v", changed, err, said)
	}
	if changed, err := WriteUnit(path, "A\n", logf); err != nil || changed || len(said) != 0 {
		t.Fatalf("same again: %v %v %v", changed, err, said)
	}
	if changed, err := WriteUnit(path, "B\n", logf); err != nil || !changed || len(said) != 1 || !strings.Contains(said[0], "replacing") {
		t.Fatalf("different: %v %v %v", changed, err, said)
	}
	if b, _ := os.ReadFile(path); string(b) != "B\n" {
		t.Errorf("file: %q", b)
	}
}

func TestDockerLine(t *testing.T) {
	t.Parallel()
	got, err := DockerRun{Image: "hermes:1", Name: "hermes-gateway-work", Home: "/home/u/my hermes", Profile: "work",
		Ports: []string{"127.0.0.1:8643", "127.0.0.1:8642"}}.Line()
	if err != nil {
		t.Fatal(err)
	}
	want := "docker run -d --name hermes-gateway-work --restart unless-stopped -v '/home/u/my hermes:/data' -e HERMES_HOME=/data " +
		"-p 127.0.0.1:8643:8643 -p 127.0.0.1:8642:8642 hermes:1 -p work gateway run"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, err := (DockerRun{Image: "x", Ports: []string{"127.0.0.1:0"}}).Line(); err == nil {
		t.Error("port 0 published")
	}
	if _, err := (DockerRun{}).Line(); err == nil {
		t.Error("no image accepted")
	}
}
