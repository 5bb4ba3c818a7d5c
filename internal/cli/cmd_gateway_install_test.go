package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// installEnv is a user home with a fake systemctl on PATH that records
// its arguments (and fails show-environment when broken).
type installEnv struct {
	dir, hermes, cfg, log, bin string
}

func newInstallEnv(t *testing.T, systemctl bool, broken bool) installEnv {
	t.Helper()
	d := t.TempDir()
	e := installEnv{dir: d, hermes: filepath.Join(d, "hermes-home"), cfg: filepath.Join(d, "config"),
		log: filepath.Join(d, "systemctl.log"), bin: filepath.Join(d, "bin")}
	os.MkdirAll(e.bin, 0o755)
	if systemctl {
		exit := "0"
		if broken {
			exit = `$( [ "$1 $2" = "--user show-environment" ] && echo 1 || echo 0 )`
		}
		writeFile(t, filepath.Join(e.bin, "systemctl"), "#!/bin/sh\necho \"$*\" >> "+e.log+"\nexit "+exit+"\n", 0o755)
	}
	return e
}

func (e installEnv) run(args ...string) result {
	var out, errb bytes.Buffer
	env := map[string]string{"HERMES_HOME": e.hermes, "HOME": e.dir, "XDG_CONFIG_HOME": e.cfg, "PATH": e.bin}
	code := runApp(&App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}, args)
	return result{out.String(), errb.String(), code}
}

func (e installEnv) calls() []string {
	b, _ := os.ReadFile(e.log)
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// TestGatewayInstallUserUnit: the unit is written, systemctl --user is
// asked to reload and enable it, and uninstall undoes it.
func TestGatewayInstallUserUnit(t *testing.T) {
	t.Parallel()
	e := newInstallEnv(t, true, false)
	r := e.run("gateway", "install")
	if r.code != 0 {
		t.Fatalf("install: %+v", r)
	}
	unit := filepath.Join(e.cfg, "systemd", "user", "hermes-gateway.service")
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	for _, want := range []string{"Type=notify\n", "NotifyAccess=main\n", "WatchdogSec=30s\n", "Restart=always\n", "RestartSec=5\n",
		"ExecStart=" + exe + " gateway run\n", "Environment=HERMES_HOME=" + e.hermes + "\n", "ExecReload=/bin/kill -HUP $MAINPID\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("unit lacks %q:\n%s", want, b)
		}
	}
	want := []string{"--user show-environment", "--user daemon-reload", "--user enable --now hermes-gateway.service"}
	if got := e.calls(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("systemctl calls %q, want %q", got, want)
	}
	// Again: up to date, nothing replaced.
	if r := e.run("gateway", "install"); r.code != 0 || !strings.Contains(r.stdout, "up to date") {
		t.Errorf("second install: %+v", r)
	}
	// A hand-edited unit is replaced, and the user is told.
	writeFile(t, unit, "[Service]\nExecStart=/bin/true\n", 0o644)
	if r := e.run("gateway", "install"); r.code != 0 || !strings.Contains(r.stdout, "replacing") {
		t.Errorf("install over a different unit: %+v", r)
	}
	os.Remove(e.log)
	if r := e.run("gateway", "uninstall"); r.code != 0 {
		t.Fatalf("uninstall: %+v", r)
	}
	if _, err := os.Stat(unit); !os.IsNotExist(err) {
		t.Errorf("unit still there: %v", err)
	}
	want = []string{"--user show-environment", "--user disable --now hermes-gateway.service", "--user daemon-reload"}
	if got := e.calls(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("uninstall systemctl calls %q, want %q", got, want)
	}
}

// TestGatewayInstallProfileWithoutSystemctl: a profile gets its own unit
// and -p; without a working systemctl the commands are printed.
func TestGatewayInstallProfileWithoutSystemctl(t *testing.T) {
	t.Parallel()
	for _, broken := range []bool{false, true} {
		e := newInstallEnv(t, broken, broken)
		if r := e.run("profile", "create", "work"); r.code != 0 {
			t.Fatalf("profile create: %+v", r)
		}
		r := e.run("-p", "work", "gateway", "install")
		if r.code != 0 || !strings.Contains(r.stdout, "systemctl --user enable --now hermes-gateway-work.service") {
			t.Fatalf("install (systemctl present but broken: %v): %+v", broken, r)
		}
		b, err := os.ReadFile(filepath.Join(e.cfg, "systemd", "user", "hermes-gateway-work.service"))
		if err != nil || !strings.Contains(string(b), " -p work gateway run\n") {
			t.Errorf("unit: %s %v", b, err)
		}
		if broken && strings.Contains(strings.Join(e.calls(), "|"), "enable") {
			t.Errorf("enable run against a broken systemctl: %q", e.calls())
		}
	}
}

func TestGatewayInstallDocker(t *testing.T) {
	t.Parallel()
	e := newInstallEnv(t, true, false)
	r := e.run("gateway", "install", "--docker", "--image", "registry.local/hermes:2")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	want := "docker run -d --name hermes-gateway --restart unless-stopped -v " + e.hermes + ":/data -e HERMES_HOME=/data " +
		"-p 127.0.0.1:8643:8643 registry.local/hermes:2 gateway run\n"
	if r.stdout != want {
		t.Errorf("got  %swant %s", r.stdout, want)
	}
	if _, err := os.Stat(e.log); !os.IsNotExist(err) {
		t.Error("--docker ran systemctl")
	}
	if _, err := os.Stat(filepath.Join(e.cfg, "systemd")); !os.IsNotExist(err) {
		t.Error("--docker wrote a unit")
	}
}

// TestGatewayRestartThroughSystemd: a gateway that an installed, active
// unit runs is stopped and restarted with systemctl, not by signal (which
// Restart=always would undo, or race).
func TestGatewayRestartThroughSystemd(t *testing.T) {
	t.Parallel()
	e := newInstallEnv(t, true, false)
	if r := e.run("gateway", "install"); r.code != 0 {
		t.Fatalf("install: %+v", r)
	}
	os.Remove(e.log)
	if r := e.run("gateway", "restart"); r.code != 0 || !strings.Contains(r.stdout, "systemctl --user restart hermes-gateway.service") {
		t.Fatalf("restart: %+v", r)
	}
	if r := e.run("gateway", "stop"); r.code != 0 {
		t.Fatalf("stop: %+v", r)
	}
	want := []string{"--user is-active --quiet hermes-gateway.service", "--user restart hermes-gateway.service",
		"--user is-active --quiet hermes-gateway.service", "--user stop hermes-gateway.service"}
	if got := e.calls(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("systemctl calls %q, want %q", got, want)
	}
}
